# SPDX-License-Identifier: MIT
"""Batch mode of the stdin frontend: standard input is a pipe.

Every line piped in reaches the broker in order, mqchat exits 0 once the
broker acknowledged them, an overlong line is refused with a warning, and the
conversation of others is printed on standard output through the template.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

JOIN = b"Ana ha entrado al chat"
SLOW = 3 * harness.DEFAULT_TIMEOUT  # two cores shared by several test runs


class BatchTest(harness.TestCase):

    def subscriber(self, **kw):
        s = harness.LineSubscriber(self.broker, **kw)
        self.cleanups.append(s.stop)
        return s

    def start(self, **ini_sections):
        ini = harness.basic_ini(self.workdir, self.broker, **ini_sections)
        return self.mqchat(ini)

    def sync_subscriber(self, sub):
        """Everything published before now has reached `sub` once this returns:
        the broker forwards to one subscriber in the order it processed."""
        harness.publish(self.broker, "sync: marker")
        sub.out.wait_for(rb"^sync: marker$", timeout=SLOW)

    def said_by_ana(self, sub):
        return [p for p in sub.payloads() if p.startswith(b"Ana: ")]

    def test_lines_arrive_in_order_then_exit_0(self):
        sub = self.subscriber()
        m = self.start()
        m.proc.stdin.write(b"first line\nsecond, with CRLF\r\nthird\nlast without newline")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.sync_subscriber(sub)
        self.assertEqual(self.said_by_ana(sub), [
            b"Ana: first line", b"Ana: second, with CRLF", b"Ana: third",
            b"Ana: last without newline"])
        self.assertIn(JOIN, sub.payloads())

    def test_empty_input_sends_nothing_and_exits_0(self):
        sub = self.subscriber()
        m = self.start()
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.sync_subscriber(sub)
        said = [p for p in sub.payloads() if p != b"sync: marker"]
        # Nothing said.  The core may still announce joining and leaving
        # (it skips both when it quits before the link is up).
        self.assertEqual(self.said_by_ana(sub), [])
        for p in said:
            self.assertRegex(p, rb"^Ana ha (entrado al|salido del) chat$")

    def test_overlong_line_is_refused_and_the_others_still_go(self):
        sub = self.subscriber()
        m = self.start()
        big = b"x" * (300 * 1024)
        m.proc.stdin.write(b"before\n" + big + b"\nafter\n")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        m.err.wait_for(r"line 2: 307200 bytes, longer than 262144; not sent")
        self.sync_subscriber(sub)
        self.assertEqual(self.said_by_ana(sub), [b"Ana: before", b"Ana: after"])
        self.assertFalse([p for p in sub.payloads() if len(p) > 1000],
                         "the overlong line was sent")

    def test_line_of_exactly_the_limit_is_sent(self):
        sub = self.subscriber()
        m = self.start()
        line = b"y" * (256 * 1024)
        m.proc.stdin.write(line + b"\r\n")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.sync_subscriber(sub)
        self.assertEqual(self.said_by_ana(sub), [b"Ana: " + line])

    def test_conversation_of_others_is_printed_through_the_template(self):
        sub = self.subscriber()
        m = self.start(stdin={"format": "<{nick}> {text}"})
        # The join is published once mqchat is connected and subscribed.
        sub.out.wait_for(JOIN, timeout=SLOW)
        harness.publish(self.broker, "Bob: hi there")
        m.out.wait_for(r"^<Bob> hi there$", timeout=SLOW)
        # Our own lines are sent but not printed back in batch mode.
        m.send("mine")
        sub.out.wait_for(rb"^Ana: mine$", timeout=SLOW)
        harness.publish(self.broker, "Bob: after yours")
        m.out.wait_for(r"^<Bob> after yours$", timeout=SLOW)
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        out = m.out.text()
        self.assertNotIn("mine", out)
        self.assertNotIn("\033", out, "colour in batch output without color = always")
        self.assertEqual(out, "<Bob> hi there\n<Bob> after yours\n")

    def test_a_pipe_does_not_load_the_line_editor(self):
        """libedit, and what it pulls in, is for a terminal: a pipe's mqchat
        (a script, a bot, a room's receiver) does not map it."""
        sub = self.subscriber()
        m = self.start()
        sub.out.wait_for(JOIN, timeout=SLOW)
        harness.publish(self.broker, "Bob: hi there")
        m.out.wait_for(r"Bob: hi there$", timeout=SLOW)
        with open(f"/proc/{m.proc.pid}/maps") as f:
            mapped = {line.split()[-1] for line in f if "/" in line}
        self.assertTrue(any(path.endswith("/stdin.so") for path in mapped), mapped)
        self.assertEqual([path for path in mapped if "libedit" in path or "libtinfo" in path],
                         [])
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_color_always_colours_batch_output(self):
        sub = self.subscriber()
        m = self.start(stdin={"format": "{nick}: {text}", "color": "always"})
        sub.out.wait_for(JOIN, timeout=SLOW)
        harness.publish(self.broker, "Bob: in colour")
        i = m.out.wait_for(r"in colour$", timeout=SLOW)
        self.assertRegex(m.out.lines[i], rb"^\x1b\[38;5;\d+mBob\x1b\[0m: in colour\n$")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_bad_color_value_is_a_config_error(self):
        m = self.start(stdin={"color": "sometimes"})
        self.assertEqual(m.wait(SLOW), 78)
        m.err.wait_for(r"color.*sometimes")


if __name__ == "__main__":
    harness.main()
