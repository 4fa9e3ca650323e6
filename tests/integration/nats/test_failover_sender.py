# SPDX-License-Identifier: MIT
"""Failover of the sender: node 1, where A is sending 2 000 QoS 1 lines from
its FIFO, is killed (SIGKILL) mid-stream; A moves at once to the next node
of its `hosts` (all three, node 1 first) and sends what was not
acknowledged; B, on node 3, shows all 2 000 in order, none twice, and A
exits 0 once stopped.  See failover.py."""
import harness
from failover import FailoverTestCase


class FailoverSenderTest(FailoverTestCase):

    def test_sender_node_killed(self):
        self.run_failover(a_hosts=[1, 2, 3], b_hosts=[3], victim=1)


if __name__ == "__main__":
    harness.main()
