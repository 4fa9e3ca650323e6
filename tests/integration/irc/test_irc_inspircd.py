# SPDX-License-Identifier: MIT
"""The basic exchange against a second implementation, InspIRCd 3, with
the IRCv3 capabilities a real network offers (server-time, echo-message,
message-tags, multi-prefix): text, /me and UTF-8 both ways, and mqchat's
own lines, which the server echoes back, never shown as received."""
import signal

import harness
from irc_helpers import TestCase


class IrcInspircdTest(TestCase):

    def test_chat_both_ways_on_inspircd(self):
        server = self.inspircd()
        bob = self.peer(server, "bob")
        m = self.start_in_channel(bob, server.port)

        self.basic_exchange(m, bob)
        m.signal(signal.SIGTERM)
        self.assert_exits(m, 0)


if __name__ == "__main__":
    harness.main()
