# SPDX-License-Identifier: MIT
"""A slow network never stalls another: broker 2 is frozen (connected, but
acknowledging nothing) while a FIFO whose `room =` is on it keeps writing;
that network's window and queue fill and its FIFO is read no further, but
lines typed for the other network go out at once.  Thawed, everything
written reaches broker 2."""
import os
import signal

import harness
from rooms_helpers import (SLOW, TestCase, network, networks_ini, sub_payloads, wait_connected,
                           wait_count)

LINES = 2000  # far more than a network's window and queue hold


class NetworkSlowTest(TestCase):

    def test_a_frozen_broker_stalls_only_its_network(self):
        broker2 = self.another_broker()
        sub1 = self.watch(self.broker, "room1")
        sub2 = self.watch(broker2, "room2")
        fifo = os.path.join(self.workdir, "slow.fifo")
        ini = networks_ini(self, "two-nets",
                           {"one": network(self.broker.port, "room1"),
                            "two": network(broker2.port, "room2")},
                           core={"frontends": "stdin, slow"},
                           slow={"plugin": "fifo", "path": fifo, "room": "two:room2"})
        m = self.mqchat(ini)
        wait_connected(m, self.broker, broker2)
        m.err.wait_for(r"reading lines from ", timeout=SLOW)

        broker2.proc.send_signal(signal.SIGSTOP)
        self.cleanups.append(lambda: broker2.proc and broker2.proc.send_signal(signal.SIGCONT))
        # Fewer bytes than a pipe holds: written at once, read or not.
        fd = os.open(fifo, os.O_WRONLY)
        try:
            os.write(fd, "".join(f"slow-{i:04d}\n" for i in range(LINES)).encode())
        finally:
            os.close(fd)
        m.send("still here")
        wait_count(sub1, "Ana: still here")
        m.send("and here")
        wait_count(sub1, "Ana: and here")

        broker2.proc.send_signal(signal.SIGCONT)
        wait_count(sub2, f"Ana: slow-{LINES - 1:04d}", timeout=4 * SLOW)
        got = [p for p in sub_payloads(sub2) if p.startswith("Ana: slow-")]
        self.assertEqual(sorted(set(got)), [f"Ana: slow-{i:04d}" for i in range(LINES)])
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
