# SPDX-License-Identifier: MIT
"""A server gone silent (ngircd stopped with SIGSTOP: the connection stays
open, nothing answers): after `keepalive` seconds mqchat sends a PING,
after as many more without an answer it gives the link up, and keeps
trying; once the server answers again mqchat is back in #tubbies and
says what was typed while it was away, in order."""
import harness
from irc_helpers import CHANNEL, SLOW, TestCase

MEANWHILE = [f"typed while silent {i}" for i in range(1, 4)]


class IrcSilentServerTest(TestCase):

    def said(self, peer):
        """What mqchat said in the channel (as Ana, or Ana_ while its old
        connection still held the nick), the line said before the silence
        left out (it may come again: at least once)."""
        return [s.text for s in peer.events("pubmsg", target=CHANNEL)
                if s.nick in ("Ana", "Ana_") and s.text != "before the silence"]

    def test_silent_server_detected_and_reconnected(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        m = self.start_in_channel(bob, server.port,
                                  irc={"keepalive": "5", "connect_timeout": "2",
                                       "reconnect_max": "2"})
        self.write("before the silence")
        bob.wait("pubmsg", "Ana", "before the silence")

        server.freeze()
        m.err.wait_for(r"no answer for \d+ s", timeout=SLOW)
        for line in MEANWHILE:
            self.write(line)
        server.thaw()

        harness.wait_until(lambda: len(self.said(bob)) >= len(MEANWHILE), SLOW,
                           f"the lines typed meanwhile; bob saw {bob.seen[-20:]}")
        self.assertEqual(self.said(bob), MEANWHILE)
        # Its old connection ended (QUIT) and it joined again before it said
        # them (as Ana_ when the old one still held Ana).
        ours = [s for s in bob.events() if s.nick in ("Ana", "Ana_")]
        first = next(i for i, s in enumerate(ours) if s.text == MEANWHILE[0])
        kinds = [s.kind for s in ours[:first]]
        self.assertEqual(kinds.count("join"), 2, ours[:first])
        self.assertEqual(kinds.count("quit"), 1, ours[:first])
        self.assertIsNone(m.proc.poll(), m.err.text())


if __name__ == "__main__":
    harness.main()
