# SPDX-License-Identifier: MIT
"""The reconnect backoff, read from the delays mqchat announces ("retrying
in N s"; up to a quarter of jitter is taken off each): it grows while
attempts fail, and also across a connection that ends soon after it was
made (a broker dropping us at once is not hammered); a connection that
stayed up past the stable threshold (10 s) starts it again from 1 s."""
import re
import time

import harness
from mqtt_helpers import LINK_TIMEOUT, STDIN, wait_up

# The plugin's MQTT_STABLE_MS, and a margin.
STABLE_S = 10 + 2


class BackoffTest(harness.TestCase):
    def start_failing(self):
        """mqchat retrying against the stopped broker until it announces a
        delay of 4 s (jitter: 3 or 4): three attempts have failed."""
        self.broker.stop()
        ini = harness.basic_ini(self.workdir, self.broker, stdin=STDIN,
                                mqtt={"retry": "on", "reconnect_max": 30})
        m = self.mqchat(ini)
        at = 0
        for delay in (r"1", r"2", r"[34]"):
            at = m.err.wait_for(rf"cannot connect to .*; retrying in {delay} s",
                                timeout=LINK_TIMEOUT, start=at) + 1
        self.broker.start()
        return m, wait_up(m, self.broker.port, start=at)

    def delay_after_loss(self, m, start):
        i = m.err.wait_for(r"connection to .* lost: .*; retrying in \d+ s",
                           timeout=LINK_TIMEOUT, start=start)
        line = m.err.lines[i].decode()
        return int(re.search(r"retrying in (\d+) s", line).group(1)), line

    def test_a_stable_connection_resets_the_backoff(self):
        m, up = self.start_failing()
        # The condition under test is the connection's age: nothing to wait on.
        time.sleep(STABLE_S)
        self.broker.stop()
        delay, line = self.delay_after_loss(m, up)
        self.assertEqual(delay, 1, line)

    def test_a_short_connection_keeps_backing_off(self):
        m, up = self.start_failing()
        self.broker.stop()
        delay, line = self.delay_after_loss(m, up)
        self.assertGreaterEqual(delay, 6, "the fourth delay is 8 s less jitter: " + line)


if __name__ == "__main__":
    harness.main()
