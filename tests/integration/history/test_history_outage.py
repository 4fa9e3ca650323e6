# SPDX-License-Identifier: MIT
"""The history file locked by another program for a while: mqchat says so
once (not at every retry), keeps what arrives meanwhile in memory, says
when storing works again, and loses nothing."""
import os
import re
import sqlite3

import harness
import kernel_view
from history_helpers import SLOW, batch_ini, wait_connected

SAID = [f"dicho durante el corte {i}" for i in range(3)]


def failed_retries(log):
    """Loop turns (stretches between poll() calls) over, in which a lock on
    the database was refused.  The last stretch may be a retry still
    waiting for the lock: not counted."""
    with open(log) as f:
        turns = re.split(r"^\d+ +poll\(.*$", f.read(), flags=re.M)[:-1]
    return sum(1 for t in turns if re.search(r"F_SETLK.* = -1 EAGAIN", t))


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
        # Two more retries fail (the point is that they say nothing): in
        # strace, two stretches between poll() calls with a lock refused.
        log = os.path.join(self.workdir, "strace.log")
        strace = kernel_view.attach_strace(ana.proc.pid, log, ["fcntl", "poll"])
        self.cleanups.append(lambda: (strace.poll() is None and strace.kill(), strace.wait()))
        harness.wait_until(lambda: failed_retries(log) >= 2, timeout=SLOW,
                           what="two more retries to fail")
        kernel_view.detach_strace(strace)  # ASan's exit check refuses ptrace
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
