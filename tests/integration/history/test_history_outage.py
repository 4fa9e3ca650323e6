# SPDX-License-Identifier: MIT
"""The history file locked by another program for a while: mqchat says so
once (not at every retry), keeps what arrives meanwhile in memory, says
when storing works again, and loses nothing."""
import os
import sqlite3
import time

import harness
from history_helpers import SLOW, batch_ini, wait_connected

SAID = [f"dicho durante el corte {i}" for i in range(3)]


class HistoryOutageTest(harness.TestCase):
    def test_a_locked_history_is_reported_once_and_loses_nothing(self):
        db = os.path.join(self.workdir, "history.db")
        ini = batch_ini(self, "Ana", core={"announce": "off", "history": db})
        ana = self.mqchat(ini, name="Ana")
        wait_connected(ana)

        locker = sqlite3.connect(db, isolation_level=None)
        self.cleanups.append(locker.close)
        locker.execute("BEGIN IMMEDIATE")
        for text in SAID:
            ana.send(text)
        ana.err.wait_for(r"history: .*locked.* \(retrying every 1 s\)", timeout=SLOW)
        time.sleep(2.5)  # two more retries fail: the point is that they say nothing
        locker.execute("COMMIT")
        ana.err.wait_for(r"history: storing again", timeout=SLOW)
        errors = [l for l in ana.err.lines if b"history: " in l and b"retrying" in l]
        self.assertEqual(len(errors), 1, ana.err.text())

        ana.close_stdin()
        self.assertEqual(ana.wait(SLOW), 0, ana.err.text())
        shown = self.mqchat(ini, args=["--history", "10"], name="reader")
        self.assertEqual(shown.wait(SLOW), 0, shown.err.text())
        for text in SAID:
            self.assertIn(f"Ana: {text}", shown.out.text())


if __name__ == "__main__":
    harness.main()
