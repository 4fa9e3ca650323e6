# SPDX-License-Identifier: MIT
"""A server password (ngircd's [Global] Password): mqchat with that
password in password_file (sasl off) sends PASS and is let in; with
another one the server turns it away and mqchat, irc its only network and
retry off, exits 69."""
import harness
from irc_helpers import TestCase

PASSWORD = "tubby-pass"


class IrcPassTest(TestCase):

    def setUp(self):
        super().setUp()
        self.server = self.ngircd(password=PASSWORD)
        self.bob = self.peer(self.server, "bob", password=PASSWORD)

    def test_the_server_password_lets_mqchat_in(self):
        m = self.start_in_channel(self.bob, self.server.port,
                                  irc={"password_file": self.password_file(PASSWORD)})
        m.send("con contraseña")
        self.bob.wait("pubmsg", "Ana", "con contraseña")

    def test_a_wrong_server_password_exits_69(self):
        ini = self.irc_ini(self.server.port, fifo=False,
                           irc={"password_file": self.password_file("not it"), "retry": "off"})
        m = self.mqchat(ini)
        self.assert_exits(m, 69)
        self.assertRegex(m.err.text(), r"(?i)password")
        self.assertEqual(self.bob.events(nick="Ana"), [])


if __name__ == "__main__":
    harness.main()
