# SPDX-License-Identifier: MIT
"""The table's verdicts on the receivers' CPU a delivery: judged both
counted until the room is quiet and counted by the last delivery, so a
reference charged for its idle wait on a loaded machine cannot make a miss
read "met", and a miss by less than a hundredth does not read as 1.00×.
The rows are built from made-up figures, as bench/run --report
builds them from saved ones."""
import os
import sys
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "bench"))
from mqbench import report, rows  # noqa: E402


def paced_room(mine_quiet, mine_last, ref_quiet, ref_last):
    """Results of a room's paced pass with these receiver CPU figures."""
    res = report.Results()
    res.add("scale", "mqchat paced", {"rx_cpu_us": mine_quiet, "rx_cpu_us_last": mine_last,
                                      "rx_ctx": 0.9})
    res.add("scale", "mosquitto paced", {"rx_cpu_us": ref_quiet, "rx_cpu_us_last": ref_last,
                                         "rx_ctx": 1.0})
    return res


def cpu_row(res):
    found = [r for r in rows.scale_costs(res, "paced", "a room", 50, 10)
             if "receiver CPU per delivery" in r[0]]
    assert len(found) == 1, found
    return found[0]


class ReceiverCpuVerdictTest(unittest.TestCase):
    def test_a_reference_inflated_by_its_quiet_wait_does_not_make_a_miss_met(self):
        # The figures of 2026-12-06's table: 0.91x quiet, 1.40x by the last delivery.
        row = cpu_row(paced_room(47.4, 42.0, 52.4, 30.1))
        self.assertEqual(row[3], "0.90× (1.40× by the last delivery)")
        self.assertEqual(row[5], "**missed**")

    def test_deferred_work_past_the_last_delivery_still_counts(self):
        row = cpu_row(paced_room(40.0, 20.0, 30.0, 30.0))
        self.assertEqual(row[3], "1.33× (0.67× by the last delivery)")
        self.assertEqual(row[5], "**missed**")

    def test_cheaper_both_ways_is_met(self):
        row = cpu_row(paced_room(25.0, 24.0, 30.0, 29.0))
        self.assertEqual(row[5], "met")

    def test_a_miss_by_less_than_a_hundredth_does_not_read_as_a_tie(self):
        row = cpu_row(paced_room(50.2, 50.2, 50.0, 50.0))
        self.assertEqual((row[3], row[5]), ("1.004×", "**missed**"))
        row = cpu_row(paced_room(50.02, 50.02, 50.0, 50.0))
        self.assertEqual((row[3], row[5]), ("1.0004×", "**missed**"))

    def test_a_run_saved_without_the_last_figure_is_judged_by_the_quiet_one(self):
        res = report.Results()
        res.add("scale", "mqchat paced", {"rx_cpu_us": 25.0, "rx_ctx": 0.9})
        res.add("scale", "mosquitto paced", {"rx_cpu_us": 30.0, "rx_ctx": 1.0})
        row = cpu_row(res)
        self.assertEqual((row[3], row[5]), ("0.83×", "met"))

    def test_a_room_with_no_figures_is_not_judged(self):
        row = cpu_row(types.SimpleNamespace(stat=lambda *a: None))
        self.assertEqual((row[3], row[5]), ("—", ""))


if __name__ == "__main__":
    unittest.main()
