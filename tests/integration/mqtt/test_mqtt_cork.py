# SPDX-License-Identifier: MIT
"""The socket is corked for a loop round's publishes and uncorked at the
round's end: a lone line must leave at once, not when the kernel gives up
holding it (200 ms on Linux).  Ten lines in turn, each waited for at the
broker, take a few milliseconds each; left corked, at least two seconds."""
import os
import time

import harness

LINES = 10
# Far above ten round trips even in a sanitizer build on a loaded machine,
# far below the 2 s that ten lines held back by the kernel would take.
LIMIT_S = 1.5


class CorkTest(harness.TestCase):
    def test_lone_lines_are_not_held_back(self):
        for qos in ("0", "1"):
            with self.subTest(qos=qos):
                fifo = os.path.join(self.workdir, f"in-{qos}.fifo")
                ini = harness.basic_ini(
                    self.workdir, self.broker,
                    core={"frontends": "fifo", "announce": "off", "history": "off"},
                    mqtt={"qos": qos}, fifo={"path": fifo})
                sub = self.subscriber()
                m = self.mqchat(ini, stdin=open(os.devnull, "rb"))
                m.err.wait_for(r"connected to ")
                fd = os.open(fifo, os.O_WRONLY)
                try:
                    started = time.monotonic()
                    for i in range(LINES):
                        os.write(fd, f"lone {qos}-{i}\n".encode())
                        sub.out.wait_for(rf"^Ana: lone {qos}-{i}$")
                    took = time.monotonic() - started
                finally:
                    os.close(fd)
                self.assertLess(took, LIMIT_S, f"{LINES} lines took {took:.2f} s")
                m.stop()
                sub.stop()


if __name__ == "__main__":
    harness.main()
