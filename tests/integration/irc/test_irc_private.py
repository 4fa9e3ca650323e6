# SPDX-License-Identifier: MIT
"""Private messages both ways, on a terminal: a PRIVMSG to mqchat's nick is
shown marked private ("[irc -> you]"), and `/msg bob hi` reaches bob as a
PRIVMSG to him, not the channel; to a nick nobody has, it is refused."""
import re

import harness
from irc_helpers import CHANNEL, SLOW, TestCase


class IrcPrivateTest(TestCase):

    def test_private_messages_both_ways(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        carl = self.peer(server, "carl")
        term = self.terminal(server.port)
        bob.wait("join", "Ana")

        bob.say("psst, solo para ti", target="Ana")
        term.out.wait_for(re.escape("[irc -> you] bob: psst, solo para ti"), timeout=SLOW)
        term.type("/msg bob hola bob, en privado\r")
        bob.wait("privmsg", "Ana", "hola bob, en privado", target="bob")
        # A fence in the channel: the private line, said before, went to bob
        # alone.
        term.type("fin\r")
        carl.wait("pubmsg", "Ana", "fin")
        self.assertEqual(carl.texts("pubmsg", "Ana", CHANNEL), ["fin"])
        self.assertEqual(carl.events("privmsg"), [])
        # bob hears it on his own connection: carl's copy says nothing of when.
        bob.wait("pubmsg", "Ana", "fin")
        self.assertEqual(bob.texts("pubmsg", "Ana", CHANNEL), ["fin"])
        # bob's private line was never shown as the channel's.
        self.assertNotRegex(term.out.text(), r"(?m)^bob: psst")

        # To a nick nobody has, the server says 401: the message is refused.
        term.type("/msg nadie hola a nadie\r")
        term.out.wait_for(r'refused your message "hola a nadie"', timeout=SLOW)
        self.assertNotIn('refused your message "hola bob', term.out.text())


if __name__ == "__main__":
    harness.main()
