# SPDX-License-Identifier: MIT
"""100 000 piped lines at QoS 1 all reach a subscriber, in order, and mqchat
exits 0 only once the broker has acknowledged every one of them.

mosquitto_pub -l loses about two thirds of such a run (16-bit message ids
collide when nothing bounds the in-flight window); mqchat must not."""
import os
import sys
import time

import harness

COUNT = 100_000
# Generous: a sanitizer build on a shared 2-core machine is slow.  A healthy
# normal build takes a few seconds.
RUN_DEADLINE = 180
DRAIN_DEADLINE = 30


class Batch100kTest(harness.TestCase):
    def test_100k_lines_qos1_in_order(self):
        lines = [f"line-{i:06d}" for i in range(1, COUNT + 1)]
        source = os.path.join(self.workdir, "input.txt")
        with open(source, "w") as f:
            f.write("\n".join(lines) + "\n")

        sub = self.subscriber()
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"history": "off", "announce": "off"},
            mqtt={"qos": "1"},
            stdin={"format": "{nick}: {text}", "color": "never"})

        started = time.monotonic()
        with open(source, "rb") as stdin:
            m = self.mqchat(ini, stdin=stdin)
            rc = m.wait(RUN_DEADLINE)
        elapsed = time.monotonic() - started
        self.assertEqual(rc, 0, m.err.text())
        print(f"mqchat sent {COUNT} lines in {elapsed:.1f}s", file=sys.stderr)

        # mqchat is gone, so every message is at the broker; give the
        # subscriber a bounded moment to read the rest from its socket.
        try:
            sub.out.wait_for(rf"^Ana: line-{COUNT:06d}$", timeout=DRAIN_DEADLINE)
        except AssertionError:
            got = sub.payloads()
            self.fail(f"subscriber got {len(got)} of {COUNT}; last: {got[-3:]!r}")

        got = sub.payloads()
        expected = [f"Ana: {l}".encode() for l in lines]
        if got != expected:
            missing = len(set(expected) - set(got))
            first_bad = next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b),
                             min(len(got), len(expected)))
            self.fail(f"subscriber got {len(got)} messages, {missing} missing; first "
                      f"difference at {first_bad}: got "
                      f"{got[first_bad:first_bad + 3]!r}, "
                      f"expected {expected[first_bad:first_bad + 3]!r}")
        # Batch mode prints nothing of its own lines.
        self.assertEqual(m.out.text(), "")


if __name__ == "__main__":
    harness.main()
