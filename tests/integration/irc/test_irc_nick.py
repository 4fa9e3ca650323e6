# SPDX-License-Identifier: MIT
"""Nick in use: someone else holds "Ana", so mqchat joins as "Ana_"; once
the holder quits (seen in the shared channel), mqchat takes "Ana" back,
which the others see as a NICK change, and speaks as Ana from then on."""
import harness
from irc_helpers import CHANNEL, TestCase


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


if __name__ == "__main__":
    harness.main()
