# SPDX-License-Identifier: MIT
"""The outbox across runs: what a run could not get acknowledged (exit 75)
the next start sends; and the outbox never writes into a database file the
history store refused."""
import os
import sqlite3
import subprocess

import harness
from delivery_helpers import start_receiver, wait_for_texts

EX_TEMPFAIL = 75


class OutboxRunsTest(harness.TestCase):
    def sender_ini(self):
        return harness.basic_ini(
            self.workdir, self.broker, name="sender",
            core={"announce": "off", "quit_timeout": 1},
            mqtt={"wire": "json", "retry": "on", "reconnect_max": 1})

    def test_exit_75_then_the_next_start_sends_what_was_left(self):
        ini = self.sender_ini()
        self.broker.stop()
        first = self.mqchat(ini, name="sender")
        for line in ("uno", "dos", "tres"):
            first.send(line)
        first.close_stdin()
        self.assertEqual(first.wait(30), EX_TEMPFAIL, first.err.text())
        self.assertIn("kept in the outbox: the next start sends them", first.err.text())

        self.broker.start()
        receiver = start_receiver(self)
        second = self.mqchat(ini, stdin=subprocess.DEVNULL, name="sender")
        self.assertEqual(second.wait(30), 0, second.err.text())
        self.assertRegex(second.err.text(), r"sending again 3 messages an earlier run left")
        wait_for_texts(self, receiver, ["uno", "dos", "tres"], timeout=30)

    def test_a_database_the_history_refuses_is_left_alone(self):
        home = os.path.join(self.workdir, "sender")
        state = os.path.join(home, "state", "mqchat")
        os.makedirs(state, mode=0o700)
        foreign = os.path.join(state, "history.db")
        db = sqlite3.connect(foreign)
        db.execute("CREATE TABLE accounts (name TEXT)")
        db.commit()
        db.close()

        m = self.mqchat(self.sender_ini(), name="sender")
        m.send("hola")
        m.close_stdin()
        self.assertEqual(m.wait(30), 0, m.err.text())
        self.assertIn("not an mqchat history database", m.err.text())
        db = sqlite3.connect(foreign)
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        db.close()
        self.assertEqual(tables, {"accounts"})
        self.assertTrue(os.path.exists(os.path.join(state, "outbox.db")))


if __name__ == "__main__":
    harness.main()
