# SPDX-License-Identifier: MIT
"""Nick in use: someone else holds "Ana", so mqchat joins as "Ana_"; once
the holder quits (seen in the shared channel), mqchat takes "Ana" back,
which the others see as a NICK change, and speaks as Ana from then on.
With the first alternative taken too, and the server's nick length
reached, it still finds a nick the server takes."""
import harness
from irc_helpers import CHANNEL, SLOW, TestCase


class IrcNickTest(TestCase):

    def test_nick_in_use_then_taken_back_when_it_frees(self):
        server = self.ngircd()
        holder = self.peer(server, "Ana")
        bob = self.peer(server, "bob")
        m = self.start_in_channel(bob, server.port, joins_as="Ana_")
        self.assertEqual(bob.events("join", "Ana"), [], "bob saw a second Ana join")
        m.send("hola como Ana_")
        bob.wait("pubmsg", "Ana_", "hola como Ana_")

        holder.quit("leaving the nick")
        bob.wait("quit", "Ana")
        change = bob.wait("nick", "Ana_")
        self.assertEqual(change.target, "Ana")
        m.send("hola como Ana")
        bob.wait("pubmsg", "Ana", "hola como Ana")
        self.assertEqual(bob.texts("pubmsg", "Ana_", CHANNEL), ["hola como Ana_"])
        self.assertEqual(bob.texts("pubmsg", "Ana", CHANNEL), ["hola como Ana"])
        self.assertIsNone(m.proc.poll(), m.err.text())

    def test_alternatives_taken_too_and_the_server_nick_length(self):
        # ngircd allows 9 characters: "Teletubby_" would be refused.
        server = self.ngircd()
        for holder in ("Teletubby", "Teletubb_"):
            self.peer(server, holder, join=False)
        bob = self.peer(server, "bob")
        m = self.start(self.irc_ini(server.port, nick="Teletubby"))

        def others_joined():
            return [s.nick for s in bob.events("join") if s.nick != "bob"]
        try:
            nick = harness.wait_until(others_joined, SLOW, "mqchat's join")[0]
        except AssertionError as e:
            raise AssertionError(f"{e}; mqchat said:\n{m.err.text()}") from None
        self.assertNotIn(nick, ("Teletubby", "Teletubb_"))
        self.assertLessEqual(len(nick), 9)
        self.assertTrue(nick.startswith("Teletub"), nick)
        m.send("hola")
        bob.wait("pubmsg", nick, "hola")

if __name__ == "__main__":
    harness.main()
