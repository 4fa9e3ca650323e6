# SPDX-License-Identifier: MIT
"""The room commands on a real terminal (a pseudo-terminal: commands run
there): /join, /rooms, /go, /part, and /msg and /who on a network whose
plugin (mqtt today) has no private messages and does not say who is
present.  What is typed after each goes to the room it names."""
import fcntl
import os
import re
import struct
import sys
import termios
import time

import harness
from rooms_helpers import (SLOW, TestCase, assert_no_sanitizer_report, count, sub_payloads,
                           wait_count)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mqtt"))
from test_mqtt_session import PtyMqchat  # noqa: E402

DEFAULT = f"mqtt:{harness.TOPIC}"


class RoomsTerminalTest(TestCase):

    def start(self):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": "off"},
                                stdin={"format": "{nick}: {text}", "color": "never"})
        self.term = PtyMqchat(self, ini)
        # Wide enough that no reply is wrapped (rows, columns; SIGWINCH
        # tells mqchat should it have read the size already).
        fcntl.ioctl(self.term.master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 300, 0, 0))
        self.term.out.wait_for(r"connected to 127\.0\.0\.1", timeout=SLOW)

    def command(self, line, *replies):
        """Types `line`; waits for each reply (literal text, in order) and
        returns the index of the last one's line."""
        at = len(self.term.out.lines)
        self.term.type(line + "\r")
        for reply in replies:
            at = self.term.out.wait_for(re.escape(reply), timeout=SLOW, start=at)
        return at

    def quit(self):
        """/quit: exit 0, and no sanitizer's report on the terminal."""
        self.term.type("/quit\r")
        self.assertEqual(self.term.proc.wait(SLOW), 0, self.term.out.text())
        self.term.out.thread.join(SLOW)
        assert_no_sanitizer_report(self.term.out.text(), "mqchat tty")

    def wait_who(self, listing):
        """Types /who until its reply holds `listing` (our own presence comes
        back from the broker a moment after connecting)."""
        deadline = time.monotonic() + SLOW
        while True:
            at = len(self.term.out.lines)
            self.term.type("/who\r")
            at = self.term.out.wait_for(r"nobody is known to be in |in mqtt:\S+: ",
                                        timeout=SLOW, start=at)
            line = self.term.out.lines[at].decode("utf-8", "replace")
            if listing in line or time.monotonic() > deadline:
                self.assertIn(listing, line)
                return
            time.sleep(0.2)

    def say(self, text, sub):
        self.term.type(text + "\r")
        wait_count(sub, f"Ana: {text}")

    def rooms_listing(self):
        """Types /rooms, then /go 1 as a fence (a command's replies all come
        before the next command's): the lines between them, as shown."""
        start = self.command("/rooms", "rooms (your lines go to the one marked *):")
        end = self.command("/go 1", f"your lines go to {DEFAULT} now")
        return [l.decode("utf-8", "replace").rstrip("\r\n")
                for l in self.term.out.lines[start + 1:end]]

    def assert_rows(self, listing, rows):
        """Each of `rows` (marked, number, room) is a line of `listing`, in
        order, and no other room is listed."""
        text = "\n".join(listing)
        shown = re.findall(r"(\*| ) (\d+) (\S+:\S+)$", text, re.M)
        self.assertEqual(shown, rows, text)

    def test_join_rooms_go_part(self):
        ops = self.subscriber(topic="ops")
        default = self.subscriber()
        self.start()

        self.command("/join ops", "joined mqtt:ops; your lines go to mqtt:ops now")
        self.say("hola ops", ops)
        # Joined, it hears the room too; with two rooms joined each message
        # says where it belongs.
        harness.publish(self.broker, "Bob: desde ops", topic="ops")
        self.term.out.wait_for(r"\[mqtt:ops\] Bob: desde ops", timeout=SLOW)
        self.assert_rows(self.rooms_listing(), [(" ", "1", DEFAULT), ("*", "2", "mqtt:ops")])
        # rooms_listing() ended with /go 1.
        self.say("hola default", default)
        self.command("/go mqtt:ops", "your lines go to mqtt:ops now")
        self.say("otra vez ops", ops)

        self.command("/part", f"left mqtt:ops; your lines go to {DEFAULT} now")
        self.assert_rows(self.rooms_listing(), [("*", "1", DEFAULT)])
        self.say("fin", default)
        # Left, it no longer hears the room: a later message on the default
        # room comes, the one on ops before it does not.
        harness.publish(self.broker, "Bob: ops sin nadie", topic="ops")
        harness.publish(self.broker, "Bob: fin")
        at = self.term.out.wait_for(r"Bob: fin", timeout=SLOW)
        self.assertNotIn("ops sin nadie", self.term.out.text(), at)

        def typed(sub):
            return [p for p in sub_payloads(sub) if not p.startswith("Bob: ")]
        self.assertEqual(typed(ops), ["Ana: hola ops", "Ana: otra vez ops"])
        self.assertEqual(typed(default), ["Ana: hola default", "Ana: fin"])
        self.quit()

    def test_msg_to_nobody_here_and_who(self):
        """/msg to a nick nobody present has is refused, and nothing of it
        reaches the room; /who lists who is there (Ana herself)."""
        default = self.subscriber()
        self.start()
        self.wait_who(f"in {DEFAULT}: Ana")
        self.command("/msg Bob hola en privado", "Bob is not here")
        # Nothing of the private message went to the room.
        self.say("fin", default)
        self.assertEqual(count(default, "Ana: hola en privado"), 0, sub_payloads(default))
        self.assertEqual(sub_payloads(default), ["Ana: fin"])
        self.quit()


if __name__ == "__main__":
    harness.main()
