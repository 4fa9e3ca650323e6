# SPDX-License-Identifier: MIT
"""Failover of the receiver: node 3, where B shows the 2 000 lines A sends
(from node 1), is killed (SIGKILL) mid-stream; B moves to the next node of
its `hosts` (node 3, 1, 2) with the same client id and persistent session,
and is owed everything it had not acknowledged: it shows all 2 000, in
order, none twice; A exits 0 once stopped.  See failover.py."""
import harness
from failover import FailoverTestCase


class FailoverReceiverTest(FailoverTestCase):

    def test_receiver_node_killed(self):
        self.run_failover(a_hosts=[1, 2, 3], b_hosts=[3, 1, 2], victim=3)


if __name__ == "__main__":
    harness.main()
