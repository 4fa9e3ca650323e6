# SPDX-License-Identifier: MIT
"""Writers of a FIFO come and go, several at once: every line arrives whole,
in order per writer, and an idle mqchat costs no CPU."""
import os
import time

import harness
from fifo_helpers import (Writer, cpu_ticks, fifo_ini, start_headless, subscriber,
                          wait_payloads)


def writer_lines(writer, count):
    """Distinct lines of varying length, up to ~1 KiB (below PIPE_BUF)."""
    return [f"w{writer} {i:04d} {'abcdefghij'[i % 10] * (1 + (writer * 131 + i * 17) % 1000)}"
            for i in range(count)]


class FifoWriters(harness.TestCase):

    def test_eight_concurrent_writers(self):
        sub = subscriber(self)
        path = os.path.join(self.workdir, "run", "in.fifo")
        m = start_headless(self, fifo_ini(self, path))
        expected = {w: writer_lines(w, 1000) for w in range(8)}
        writers = [Writer(path, [(line + "\n").encode() for line in expected[w]])
                   for w in range(8)]
        for w in writers:
            w.start()
        payloads = wait_payloads(sub, 8000, timeout=180)
        for w in writers:
            w.join(10)
            self.assertIsNone(w.error)
            self.assertEqual(w.written, 1000)

        got = {w: [] for w in range(8)}
        for p in payloads:
            text = p.decode("utf-8")
            self.assertTrue(text.startswith("Ana: w"), f"unexpected payload {text[:80]!r}")
            body = text[len("Ana: "):]
            got[int(body[1:body.index(" ")])].append(body)
        for w in range(8):
            # Equal lists: none lost, none glued to another, none out of order.
            self.assertEqual(got[w], expected[w], f"writer {w}")
        self.assertEqual(len(payloads), 8000)
        self.assertIsNone(m.proc.poll(), "mqchat exited: " + m.err.text())

    def test_short_lived_writers_then_idle(self):
        sub = subscriber(self)
        path = os.path.join(self.workdir, "run", "in.fifo")
        m = start_headless(self, fifo_ini(self, path, fifo={"nick": "bot"}))
        # Each writer opens, writes one line and closes, as fast as it can:
        # the moment between one close and the next open loses nothing.
        for i in range(200):
            fd = os.open(path, os.O_WRONLY)
            os.write(fd, f"one-shot {i}\n".encode())
            os.close(fd)
        payloads = wait_payloads(sub, 200, timeout=60)
        self.assertEqual(payloads, [f"bot: one-shot {i}".encode() for i in range(200)])

        # No writer left: the pipe is quiet and mqchat must not spin on it.
        before = cpu_ticks(m.proc.pid)
        time.sleep(3)  # measuring a quiet period: here, waiting IS the test
        spent = cpu_ticks(m.proc.pid) - before
        self.assertLess(spent, 5, f"{spent} clock ticks of CPU in 3 s of idling")

        # And the next writer, long after the last one, still gets through.
        fd = os.open(path, os.O_WRONLY)
        os.write(fd, b"after the pause\n")
        os.close(fd)
        payloads = wait_payloads(sub, 201, timeout=30)
        self.assertEqual(payloads[-1], b"bot: after the pause")
        self.assertEqual(len(payloads), 201)


if __name__ == "__main__":
    harness.main()
