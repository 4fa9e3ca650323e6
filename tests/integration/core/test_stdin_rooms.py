# SPDX-License-Identifier: MIT
"""The stdin frontend with more than one room joined: every message shown
says where it belongs ("[mqtt:ops] "), in batch mode and on a terminal, own
messages too, unless the format shows {room} or {network}; with one room
nothing changes; and the terminal's prompt names the current room."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "mqtt"))
import harness  # noqa: E402
from test_mqtt_session import PtyMqchat  # noqa: E402

SLOW = 3 * harness.DEFAULT_TIMEOUT
DEFAULT = f"mqtt:{harness.TOPIC}"


class StdinRoomsTest(harness.TestCase):

    def batch(self, stdin=None, rooms=None):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": "off"},
                                mqtt={"rooms": rooms} if rooms else None,
                                stdin=dict({"format": "{nick}: {text}", "color": "never"},
                                           **(stdin or {})))
        m = self.mqchat(ini)
        m.err.wait_for(r"connected to 127\.0\.0\.1", timeout=SLOW)
        return m

    def finish(self, m):
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_batch_with_two_rooms_says_where(self):
        m = self.batch(rooms="ops")
        harness.publish(self.broker, "Bob: en ops", topic="ops")
        harness.publish(self.broker, "Bob: en la sala")
        m.out.wait_for(rf"^\[mqtt:ops\] Bob: en ops$", timeout=SLOW)
        m.out.wait_for(rf"^\[{re.escape(DEFAULT)}\] Bob: en la sala$", timeout=SLOW)
        self.finish(m)

    def test_batch_with_one_room_as_before(self):
        m = self.batch()
        harness.publish(self.broker, "Bob: hola")
        m.out.wait_for(r"Bob: hola", timeout=SLOW)
        self.finish(m)
        self.assertEqual(m.out.text().splitlines(), ["Bob: hola"])

    def test_a_format_that_shows_the_room_gets_no_prefix(self):
        m = self.batch(rooms="ops", stdin={"format": "{network}/{room}> {nick}: {text}"})
        harness.publish(self.broker, "Bob: en ops", topic="ops")
        m.out.wait_for(r"Bob: en ops", timeout=SLOW)
        self.finish(m)
        self.assertEqual(m.out.text().splitlines(), ["mqtt/ops> Bob: en ops"])

    def test_terminal_prompt_and_own_lines_say_where(self):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": "off"},
                                stdin={"format": "{nick}: {text}", "color": "never"})
        term = PtyMqchat(self, ini)
        term.out.wait_for(r"connected to 127\.0\.0\.1", timeout=SLOW)
        # One room: the prompt and the echo as ever.
        term.type("uno\r")
        at = term.out.wait_for(r"(?<!\] )Ana: uno", timeout=SLOW)
        self.assertNotIn(b"[mqtt:", term.out.lines[at])
        term.type("/join ops\r")
        at = term.out.wait_for(r"joined mqtt:ops; your lines go", timeout=SLOW)
        # The prompt, drawn again below each line shown, names the room:
        # it is seen with the line typed after it.
        term.type("hola\r")
        term.out.wait_for(re.escape("[mqtt:ops] > hola"), timeout=SLOW, start=at)
        term.out.wait_for(re.escape("[mqtt:ops] Ana: hola"), timeout=SLOW, start=at)
        term.type("/go 1\r")
        at = term.out.wait_for(re.escape(f"your lines go to {DEFAULT} now"), timeout=SLOW)
        term.type("/part mqtt:ops\r")
        term.out.wait_for(re.escape(f"[{DEFAULT}] > /part mqtt:ops"), timeout=SLOW, start=at)
        at = term.out.wait_for(r"left mqtt:ops", timeout=SLOW, start=at)
        # Back to one room: the plain prompt again.
        term.type("fin\r")
        fin = term.out.wait_for(r"Ana: fin", timeout=SLOW, start=at)
        self.assertNotIn(b"[mqtt:", b"".join(term.out.lines[at + 1:fin + 1]))
        term.type("/quit\r")
        self.assertEqual(term.proc.wait(SLOW), 0, term.out.text())


if __name__ == "__main__":
    harness.main()
