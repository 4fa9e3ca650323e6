# SPDX-License-Identifier: MIT
"""mqchat and a python3-irc client chat both ways in #tubbies on a real
ngircd: plain text, /me, UTF-8, NOTICE, mIRC formatting stripped, CTCP
VERSION answered and other CTCP ignored, a long
message split into several whole lines, and text with CR/LF that must
never become a second IRC command."""
import re

import harness
from irc_helpers import CHANNEL, LINE_MAX, TestCase, shown


class IrcChatTest(TestCase):

    def setUp(self):
        super().setUp()
        self.server = self.ngircd()
        self.bob = self.peer(self.server, "bob")
        self.m = self.start_in_channel(self.bob, self.server.port)

    def said_by_ana(self):
        return self.bob.texts("pubmsg", "Ana", CHANNEL)

    def fence(self, text):
        """mqchat says `text`; returns once bob has it: everything mqchat
        said before has reached bob by then (one connection, in order)."""
        self.m.send(text)
        self.bob.wait("pubmsg", "Ana", text)

    def test_both_ways_text_action_utf8_notice_colours(self):
        m, bob = self.m, self.bob
        self.basic_exchange(m, bob)
        bob.notice("a notice for the channel")
        self.wait_shown(m, "bob: a notice for the channel")
        bob.say("\x02bold\x02 \x0304,01red\x03 \x1funder\x1f \x1ditalic\x1d\x0f \x16rev\x16 "
                "\x0312blue\x03 plain")
        self.wait_shown(m, "bob: bold red under italic rev blue plain")
        bob.say("the end")
        at = self.wait_shown(m, "bob: the end")

        # Nothing mqchat showed carries a control byte (colour codes).
        for line in shown(m)[:at + 1]:
            self.assertFalse(re.search(r"[\x00-\x1f\x7f]", line), repr(line))
        self.assertEqual([l for l in shown(m) if "dances" in l], ["* bob dances"])

    def test_ctcp_version_answered_other_ctcp_ignored(self):
        self.bob.ctcp("VERSION", "Ana")
        self.bob.wait("ctcpreply", "Ana", re.compile(r"^VERSION mqchat \S"))
        self.bob.ctcp("TIME", "Ana")
        self.bob.ctcp("PING", CHANNEL, "12345")
        self.bob.ctcp("DCC", "Ana", "SEND x 2130706433 1 1")
        self.bob.say("fin")
        at = self.wait_shown(self.m, "bob: fin")
        self.assertEqual(shown(self.m)[:at + 1], ["bob: fin"])
        # One answer, to the VERSION only: any other would come before this.
        self.fence("fin Ana")
        self.assertEqual(len(self.bob.events("ctcpreply")), 1, self.bob.seen)

    def test_long_message_arrives_whole_in_several_lines(self):
        words = [f"palabra{i}" if i % 3 else f"ñandú{i}" for i in range(260)]
        text = " ".join(words)
        while len(text.encode()) < 2000:
            words.append("más")
            text = " ".join(words)
        self.assertGreaterEqual(len(text.encode()), 2000)
        # One word of 1200 bytes of two-byte characters: split between
        # characters, never inside one.
        blob = "é" * 600
        self.m.send(text)
        self.m.send(blob)
        self.fence("after the long ones")

        parts = self.said_by_ana()
        self.assertEqual(parts[-1], "after the long ones")
        at = next(i for i, p in enumerate(parts) if "é" in p)
        text_parts, blob_parts = parts[:at], parts[at:-1]
        self.assertGreaterEqual(len(text_parts), 4, text_parts)
        self.assertEqual(" ".join(text_parts).split(), words)
        self.assertGreaterEqual(len(blob_parts), 2, blob_parts)
        self.assertEqual("".join(blob_parts), blob)
        # Each relayed line, with the server's ":Ana!user@host " prefix and
        # CR LF, fits in 512 bytes.
        relayed = [r for r in self.bob.raw if re.match(r"^:Ana!\S+ PRIVMSG ", r)]
        self.assertEqual(len(relayed), len(parts))
        for r in relayed:
            self.assertLessEqual(len(r.encode()) + 2, LINE_MAX, r)

    def test_cr_and_lf_in_text_never_make_a_second_command(self):
        # A CR inside a line (the FIFO splits at LF only), a NUL, and a CR LF
        # followed by what would be a command.
        self.write(b"one\rQUIT :cr")
        self.write(b"two\x00PART #tubbies")
        self.write(b"three\r\nQUIT :x")
        self.m.send("four\rQUIT :piped")
        # A fence on each way in (a FIFO's lines and the pipe's are not
        # ordered with each other).
        self.write("still here (fifo)")
        self.fence("still here (stdin)")
        self.bob.wait("pubmsg", "Ana", "still here (fifo)")

        said = self.said_by_ana()
        # Each line said is one PRIVMSG, whatever it carried.
        self.assertEqual(len(said), 7, said)
        self.assertTrue(any(s.startswith("one") and "QUIT :cr" in s for s in said), said)
        self.assertTrue(any(s.startswith("two") and "PART #tubbies" in s for s in said), said)
        self.assertTrue(any(s.startswith("four") and "QUIT :piped" in s for s in said), said)
        self.assertIn("QUIT :x", " ".join(said))
        self.assert_never_quit(self.bob)
        # Still connected and in the channel: later lines still come.
        self.bob.say("are you there?")
        self.wait_shown(self.m, "bob: are you there?")
        self.fence("yes")
        self.assert_never_quit(self.bob)
        self.assertNotRegex(self.server.log_text(), r'User "Ana!.*unregistered')


if __name__ == "__main__":
    harness.main()
