# SPDX-License-Identifier: MIT
"""What a FIFO line becomes: too long is dropped with a warning in bounded
memory, binary is sanitised, a line without its newline goes out after a
quiet second, /me is an action and no other command runs."""
import os
import random
import re
import threading
import time

import harness
from fifo_helpers import (fifo_ini, peak_rss_kib, start_headless, subscriber,
                          wait_payloads, write_all)

MIB = 1024 * 1024


class FifoLines(harness.TestCase):

    def start(self, **kw):
        self.sub = subscriber(self)
        self.path = os.path.join(self.workdir, "run", "in.fifo")
        self.m = start_headless(self, fifo_ini(self, self.path, **kw))

    def assertRunning(self):
        self.assertIsNone(self.m.proc.poll(), "mqchat exited: " + self.m.err.text())

    def test_line_over_max_line_is_dropped(self):
        self.start()
        write_all(self.path, b"L" * MIB + b"\nafter the long line\n")
        self.m.err.wait_for(r"dropped a line of 1048576 bytes", timeout=30)
        self.assertEqual(wait_payloads(self.sub, 1, timeout=30),
                         [b"Ana: after the long line"])
        self.assertRunning()

    def test_max_line_boundary_is_exact_with_and_without_cr(self):
        # max_line bytes pass, one more is dropped, and a CRLF ending counts
        # for nothing either way: its CR is stripped, not measured.
        self.start(fifo={"max_line": "100"})
        write_all(self.path, b"a" * 100 + b"\n" + b"b" * 101 + b"\n" +
                  b"c" * 100 + b"\r\n" + b"d" * 101 + b"\r\n" + b"end\n")
        self.assertEqual(wait_payloads(self.sub, 3, timeout=30),
                         [b"Ana: " + b"a" * 100, b"Ana: " + b"c" * 100, b"Ana: end"])
        def dropped():
            return re.findall(r"dropped a line of (\d+) bytes from .*: longer than "
                              r"max_line \(100 bytes\)", self.m.err.text())
        harness.wait_until(lambda: len(dropped()) >= 2, what="two lines reported dropped")
        self.assertEqual(dropped(), ["101", "101"])
        self.assertRunning()

    def test_endless_line_keeps_memory_bounded(self):
        self.start()
        total = 200 * MIB
        done = threading.Event()

        def flood():
            # 200 MB and not one newline, in 1 MiB writes.
            fd = os.open(self.path, os.O_WRONLY)
            chunk = b"y" * MIB
            try:
                for _ in range(total // MIB):
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
            finally:
                os.close(fd)
                done.set()

        threading.Thread(target=flood, daemon=True).start()
        self.assertTrue(done.wait(60), "mqchat did not read 200 MB within 60 s")
        # Once the pipe has been quiet for a second the line is over: dropped
        # with one warning that tells its length.
        self.m.err.wait_for(rf"dropped a line of {total} bytes", timeout=30)
        peak = peak_rss_kib(self.m.proc.pid)
        self.assertLess(peak, 64 * 1024, f"peak RSS {peak} KiB after 200 MB")
        self.assertEqual(self.m.err.text().count("dropped a line"), 1)

        write_all(self.path, b"still delivering\n")
        self.assertEqual(wait_payloads(self.sub, 1, timeout=30),
                         [b"Ana: still delivering"])
        self.assertRunning()

    def test_binary_bytes_are_sanitised(self):
        self.start()
        rng = random.Random(20261125)
        lines = []
        while len(lines) < 50:
            raw = bytes(rng.randrange(256) for _ in range(200)).replace(b"\n", b"?")
            if not raw.startswith(b"/"):
                lines.append(raw)
        fd = os.open(self.path, os.O_WRONLY)
        for raw in lines:
            os.write(fd, raw + b"\n")
        os.write(fd, b"after the binary\n")
        os.close(fd)

        payloads = wait_payloads(self.sub, 51, timeout=30)
        self.assertEqual(len(payloads), 51)
        self.assertEqual(payloads[-1], b"Ana: after the binary")
        for p in payloads[:-1]:
            text = p.decode("utf-8")  # raises if anything invalid got through
            self.assertTrue(text.startswith("Ana: "), repr(text[:40]))
            controls = [c for c in text if ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f]
            self.assertEqual(controls, [], repr(text))
        self.assertRunning()

    def test_line_without_newline_goes_after_a_quiet_second(self):
        self.start()
        written = time.monotonic()
        write_all(self.path, b"no newline at the end")
        self.assertEqual(wait_payloads(self.sub, 1, timeout=30),
                         [b"Ana: no newline at the end"])
        self.assertGreaterEqual(time.monotonic() - written, 0.9,
                                "sent before the pipe had been quiet for a second")

    def test_only_me_is_a_command(self):
        self.start(fifo={"max_line": "64K"})
        write_all(self.path, b"/me waves\n/nick Mallory\n//double slash\n/quit\n"
                             b"crlf line\r\n\n\nlast\n")
        payloads = wait_payloads(self.sub, 5, timeout=30)
        self.assertEqual(payloads, [b"* Ana waves", b"Ana: /nick Mallory",
                                    b"Ana: /double slash", b"Ana: /quit",
                                    b"Ana: crlf line", b"Ana: last"][:len(payloads)])
        payloads = wait_payloads(self.sub, 6, timeout=30)
        self.assertEqual(payloads[-1], b"Ana: last")
        self.assertRunning()

    def test_nick_key_sets_the_sender(self):
        self.start(fifo={"nick": "alerts"})
        write_all(self.path, b"disk almost full\n/me restarts\n")
        self.assertEqual(wait_payloads(self.sub, 2, timeout=30),
                         [b"alerts: disk almost full", b"* alerts restarts"])


if __name__ == "__main__":
    harness.main()
