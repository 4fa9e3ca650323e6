# SPDX-License-Identifier: MIT
"""`mqchat --who` when the network cannot answer (PRODUCT.md: exit 69).

The backends we ship all say who is present, so the network here is the
fixture plugin built as a backend whose link never comes up: once without
MQC_PLUGIN_PRESENCE (refused at once), once claiming it and never telling
(given up after the 30 s --who waits).  Each time: exit 69, the reason
on stderr naming the network, nothing on stdout."""
import subprocess
import time

import harness
import sdk_helpers

EX_UNAVAILABLE = 69
WHO_DEADLINE_S = 30


class WhoUnanswered(harness.TestCase):

    def who(self, variant):
        """Runs `mqchat --who` with the fixture backend `variant` as its only
        network; returns (exit code, stdout, stderr, seconds it took)."""
        path = sdk_helpers.compile_fixture(self.workdir, variant.lower(), variant)
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"backend": "fx", "history": "off"},
                                fx={"plugin": path})
        started = time.monotonic()
        m = self.mqchat(ini, args=["--who"], stdin=subprocess.DEVNULL)
        code = m.wait(WHO_DEADLINE_S + harness.DEFAULT_TIMEOUT * 3)
        took = time.monotonic() - started
        harness.wait_until(lambda: m.err.closed and m.out.closed,
                           what="mqchat's output to close")
        return code, m.out.text(), m.err.text(), took

    def test_a_network_that_does_not_say_who_is_present_is_refused_with_69(self):
        code, out, err, _ = self.who("FIXTURE_BACKEND")
        self.assertEqual(code, EX_UNAVAILABLE, err)
        self.assertIn("--who: network fx (plugin fixture) does not say who is present", err)
        self.assertEqual(out, "")
        self.assertNotIn("within", err)  # refused, not given up on

    def test_a_network_that_never_tells_exits_69_after_30_s(self):
        code, out, err, took = self.who("FIXTURE_BACKEND_PRESENCE")
        self.assertEqual(code, EX_UNAVAILABLE, err)
        self.assertIn(f"--who: fx did not say who is in fx within {WHO_DEADLINE_S} s", err)
        self.assertEqual(out, "")
        self.assertGreaterEqual(took, WHO_DEADLINE_S, err)  # a lower bound: no timer fires early


if __name__ == "__main__":
    harness.main()
