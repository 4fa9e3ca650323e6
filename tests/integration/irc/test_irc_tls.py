# SPDX-License-Identifier: MIT
"""TLS to ngircd with a CA made by openssl at test time: with that CA as
cafile the server is verified and the chat goes on over TLS; with another
CA, or the system's CAs (which never signed it), the server is refused:
irc the only network and retry off, mqchat exits 69 and says why; so it
does for a host name the certificate does not hold.  tls_insecure = on
takes any certificate, and says so."""
import os

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

    def check_refused(self, reason=r"certificate verify failed", **keys):
        m = self.mqchat(self.irc_ini(self.server.tls_port, fifo=False,
                                    irc=self.tls_keys(**keys)))
        self.assert_exits(m, 69)
        self.assertRegex(m.err.text(), reason)
        self.assertEqual(self.bob.events(nick="Ana"), [])

    def test_a_name_the_certificate_does_not_hold_is_refused(self):
        # The certificate names 127.0.0.1 only; "localhost" is checked
        # against it, whatever address it resolves to.
        self.check_refused(r"certificate verify failed: [Hh]ostname mismatch",
                           host="localhost", cafile=self.ca[0])

    def test_tls_insecure_accepts_an_unknown_ca_and_warns(self):
        other = make_cert(self.workdir, "otherca", server=False)
        m = self.start_in_channel(self.bob, self.server.tls_port,
                                  irc=self.tls_keys(cafile=other[0], tls_insecure="on"))
        self.assertRegex(m.err.text(), r"tls_insecure = on: .*not verified")
        m.send("nobody checked")
        self.bob.wait("pubmsg", "Ana", "nobody checked")

    def test_wrong_ca_is_refused_with_exit_69(self):
        other = make_cert(self.workdir, "otherca", server=False)
        self.check_refused(cafile=other[0])

    def test_a_line_typed_meanwhile_is_reported_as_the_servers_to_acknowledge(self):
        # The exit report names no broker on an IRC network.  The line is
        # there before mqchat starts (as `echo hola | mqchat`): read before
        # the handshake can fail.
        other = make_cert(self.workdir, "otherca", server=False)
        typed = os.path.join(self.workdir, "typed.txt")
        with open(typed, "w") as f:
            f.write("hola\n")
        with open(typed, "rb") as stdin:
            m = self.mqchat(self.irc_ini(self.server.tls_port, fifo=False,
                                        irc=self.tls_keys(cafile=other[0])), stdin=stdin)
        self.assert_exits(m, 69)
        self.assertIn("mqchat: error: 1 message was never acknowledged by the server ",
                      m.err.text())
        self.assertIn("mqchat: error: not acknowledged: Ana: hola", m.err.text())
        self.assertNotIn("broker", m.err.text())

    def test_system_cas_never_signed_the_test_ca(self):
        self.check_refused()


if __name__ == "__main__":
    harness.main()
