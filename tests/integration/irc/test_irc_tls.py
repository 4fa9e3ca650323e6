# SPDX-License-Identifier: MIT
"""TLS to ngircd with a CA made by openssl at test time: with that CA as
cafile the server is verified and the chat goes on over TLS; with another
CA, or the system's CAs (which never signed it), the server is refused:
irc the only network and retry off, mqchat exits 69 and says why."""
import harness
from irc_helpers import SLOW, TestCase
from mqtt_helpers import make_cert


class IrcTlsTest(TestCase):

    def setUp(self):
        super().setUp()
        self.ca = make_cert(self.workdir, "testca", server=False)
        tls = make_cert(self.workdir, "server", ca=self.ca)
        self.server = self.ngircd(tls=tls, ca=self.ca[0])
        self.bob = self.peer(self.server, "bob")

    def tls_keys(self, **keys):
        return dict(tls="on", retry="off", **keys)

    def test_right_ca_verifies_the_server_and_carries_the_chat(self):
        m = self.start_in_channel(self.bob, self.server.tls_port,
                                  irc=self.tls_keys(cafile=self.ca[0]))
        m.send("over tls")
        self.bob.wait("pubmsg", "Ana", "over tls")
        self.bob.say("tls back")
        self.wait_shown(m, "bob: tls back")
        self.assertNotRegex(m.err.text(), r"(?i)warning")

    def check_refused(self, **keys):
        m = self.mqchat(self.irc_ini(self.server.tls_port, fifo=False,
                                    irc=self.tls_keys(**keys)))
        self.assert_exits(m, 69)
        self.assertRegex(m.err.text(), r"certificate verify failed")
        self.assertEqual(self.bob.events(nick="Ana"), [])

    def test_wrong_ca_is_refused_with_exit_69(self):
        other = make_cert(self.workdir, "otherca", server=False)
        self.check_refused(cafile=other[0])

    def test_system_cas_never_signed_the_test_ca(self):
        self.check_refused()


if __name__ == "__main__":
    harness.main()
