# SPDX-License-Identifier: MIT
"""A flood written into the FIFO as fast as mqchat reads it, at QoS 0 (no
acknowledgement paces the reading): every line reaches the room and every
line is in the sender's history afterwards.

History is written in slices from a timer; a FIFO read at full speed brings
far more lines per loop turn than a fixed slice writes, and a store that
falls behind drops the oldest unwritten messages once HISTORY_MAX_PENDING
(20 000) wait.  Slices that grow with the backlog must keep up.

The flood is stored without its full-text index, which catches up once the
flood is over: on its own while mqchat idles, or when a search asks.  How far
it got before a stop is the scheduler's business: the tests wait for the idle
catch-up, and make the search's own catch-up happen by un-indexing rows."""
import os
import signal
import sqlite3

import harness

COUNT = 100_000
# Generous: a sanitizer build on a shared 2-core machine is slow.  A normal
# build needs two or three seconds.
DEADLINE = 120


class HistoryFloodTest(harness.TestCase):
    def start_sender(self):
        """A connected mqchat reading a FIFO at QoS 0, and a subscriber."""
        fifo = os.path.join(self.workdir, "in.fifo")
        db = os.path.join(self.workdir, "history.db")
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "fifo", "announce": "off", "history": db},
            mqtt={"qos": "0"}, fifo={"path": fifo})
        sub = self.subscriber()
        m = self.mqchat(ini, stdin=open(os.devnull, "rb"))
        m.err.wait_for(r"connected to ", timeout=DEADLINE)
        return fifo, db, ini, sub, m

    def test_every_line_of_a_qos0_flood_is_stored(self):
        fifo, db, ini, sub, m = self.start_sender()

        lines = [f"flood {i:06d}" for i in range(COUNT)]
        fd = os.open(fifo, os.O_WRONLY)
        try:
            data = memoryview("".join(l + "\n" for l in lines).encode())
            while data:
                data = data[os.write(fd, data):]
        finally:
            os.close(fd)
        # The last line at the broker means every line was read and taken.
        sub.out.wait_for(rf"^Ana: flood {COUNT - 1:06d}$", timeout=DEADLINE)
        harness.wait_until(lambda: index_lag(db) == 0, timeout=DEADLINE,
                           what="the idle sender to bring its search index up to date")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(DEADLINE), 0, m.err.text())
        self.assertNotIn("history", m.err.text())  # no store error, no loss

        shown = self.mqchat(ini, args=["--history", str(COUNT + 10)], name="reader")
        self.assertEqual(shown.wait(DEADLINE), 0, shown.err.text())
        stored = [l.rstrip("\n").rsplit("Ana: ", 1)[-1] for l in shown.out.text().splitlines()]
        self.assertEqual(len(stored), COUNT,
                         f"{COUNT - len(stored)} of {COUNT} lines missing from history")
        self.assertEqual(stored, lines)
        check_search_index(db)

    def test_a_search_right_after_a_flood_finds_its_last_line(self):
        fifo, db, ini, sub, m = self.start_sender()
        with open(fifo, "w") as f:
            f.write("".join(f"burst {i:05d}\n" for i in range(SEARCH_COUNT)))
        sub.out.wait_for(rf"^Ana: burst {SEARCH_COUNT - 1:05d}$", timeout=DEADLINE)
        m.signal(signal.SIGTERM)  # at once: the index may not have caught up
        self.assertEqual(m.wait(DEADLINE), 0, m.err.text())
        # Whether this machine's scheduler let the idle sender index it all
        # before the SIGTERM is not for the test to assert.  A stop right
        # after a flood leaves the newest rows out of the index; put the file
        # in that state, for at least UNINDEXED rows, whatever happened.
        unindex_newest(db, UNINDEXED)
        self.assertGreaterEqual(index_lag(db), UNINDEXED)

        found = self.mqchat(ini, args=["--search", f"{SEARCH_COUNT - 1:05d}"], name="search")
        self.assertEqual(found.wait(DEADLINE), 0, found.err.text())
        rows = found.out.text().splitlines()
        self.assertEqual(len(rows), 1, rows)
        self.assertTrue(rows[0].endswith(f" Ana: burst {SEARCH_COUNT - 1:05d}"), rows)
        self.assertEqual(index_lag(db), 0)
        check_search_index(db)
        with sqlite3.connect(db) as conn:
            # Every row stored once, every row in the index once.
            self.assertEqual(conn.execute("SELECT count(*) FROM messages").fetchone()[0],
                             SEARCH_COUNT)
            self.assertEqual(conn.execute("SELECT count(*) FROM messages_fts"
                                          " WHERE messages_fts MATCH 'burst'").fetchone()[0],
                             SEARCH_COUNT)


SEARCH_COUNT = 20_000
# Rows the search must index before it can answer.
UNINDEXED = 5_000


def index_lag(db):
    """Rows of the history file not in its full-text index yet."""
    with sqlite3.connect(db) as conn:
        upto, last = conn.execute(
            "SELECT indexed_upto, (SELECT max(seq) FROM messages) FROM search_progress"
        ).fetchone()
    return last - upto


def unindex_newest(db, n):
    """Takes the newest `n` rows out of the full-text index and moves its
    progress mark back before them, as mqchat leaves a file whose flood it
    had no time to index (rows above the mark are never in the index)."""
    with sqlite3.connect(db) as conn:
        upto, last = conn.execute(
            "SELECT indexed_upto, (SELECT max(seq) FROM messages) FROM search_progress"
        ).fetchone()
        mark = min(upto, last - n)
        conn.execute("INSERT INTO messages_fts(messages_fts, rowid, text, nick)"
                     " SELECT 'delete', seq, text, nick FROM messages"
                     " WHERE seq > ? AND seq <= ?", (mark, upto))
        conn.execute("UPDATE search_progress SET indexed_upto = ?", (mark,))


def check_search_index(db):
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")


if __name__ == "__main__":
    harness.main()
