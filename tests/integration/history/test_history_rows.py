# SPDX-License-Identifier: MIT
"""What history prints: rows read back are sanitised like anything
received (issue 20, item 5), whoever wrote them into the file; /history
and /search are framed on the terminal (issue 19, item 9)."""
import json
import os
import sqlite3
import subprocess

import harness
from history_helpers import SLOW, Terminal, batch_ini, on_pty, wait_connected

# OSC 52 (the clipboard), OSC 0 (the title), clear screen, a C1 CSI, a bidi
# override: none may reach a terminal raw.
HOSTILE = {
    "nick": "Ev\x1b]52;c;cHduZWQ=\x07e",
    "topic": "room\x1b]0;pwned\x07",
    "text": "clip\x1b]52;c;cHduZWQ=\x07 clear\x1b[2J c1\u009b31m bidi\u202e end",
}
RAW = [b"\x1b]52", b"\x1b]0;", b"\x1b[2J", "\u009b".encode(), "\u202e".encode()]


class HistoryRowsTest(harness.TestCase):
    def ini(self, replay="5"):
        return batch_ini(self, "Ana", core={"announce": "off", "history_replay": replay})

    def state_db(self):
        return os.path.join(self.workdir, "Ana", "state", "mqchat", "history.db")

    def plant_hostile_row(self, ini):
        """A first run makes the file; a row is then planted by hand."""
        m = self.mqchat(ini, name="Ana")
        wait_connected(m)
        m.send("una línea normal")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        db = sqlite3.connect(self.state_db())
        with db:
            db.execute("INSERT INTO messages(id, topic, nick, sender_id, type, text, sent_ms,"
                       " received_ms, own) VALUES ('x\x1b[2J', ?, ?, '', 0, ?, 5, 5, 0)",
                       (HOSTILE["topic"], HOSTILE["nick"], HOSTILE["text"]))
        db.close()

    def printed(self, ini, *args):
        m = harness.Mqchat(self.workdir, ini, args=args, stdin=subprocess.DEVNULL, name="Ana")
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        harness.wait_until(lambda: m.out.closed, what="the end of the output")
        return b"".join(m.out.lines)

    def assert_clean(self, out, where):
        for raw in RAW:
            self.assertNotIn(raw, out, f"{where}: {out!r}")
        self.assertIn(b"clip", out, where)
        self.assertIn(b"end", out, where)

    def terminal_bytes(self, ini):
        """Every byte mqchat writes to a terminal from start to /quit."""
        env = harness.isolated_env(os.path.join(self.workdir, "Ana"))
        env["TERM"] = "xterm"
        return on_pty([harness.MQCHAT, "-c", ini], env, [(b"-- connected", b"/quit\r")])

    def test_planted_rows_are_sanitised_everywhere(self):
        ini = self.ini()
        self.plant_hostile_row(ini)
        self.assert_clean(self.printed(ini, "--history", "5"), "--history")
        self.assert_clean(self.printed(ini, "--search", "clip"), "--search")
        out = self.printed(ini, "--history", "5", "--json")
        self.assert_clean(out, "--history --json")
        for line in out.splitlines():
            for value in json.loads(line).values():
                if isinstance(value, str):
                    self.assertFalse(any(ord(c) < 0x20 or 0x7f <= ord(c) < 0xa0
                                         or c == "\u202e" for c in value), line)
        self.assert_clean(self.terminal_bytes(ini), "the replay at start")

    def test_history_and_search_are_framed(self):
        ini = self.ini(replay="0")
        t = Terminal(self.workdir, ini, name="Ana")
        self.cleanups.append(t.close)
        t.wait_screen(lambda rows: any(r.startswith("-- connected") for r in rows),
                      "the connection")
        for text in ("uno", "dos", "tres"):
            harness.publish(self.broker, f"Pepe: {text}")
        t.wait_row("Pepe: tres")

        t.type("/history 2")
        t.keys("Enter")
        end = t.wait_row("-- the last 2 messages (/history 2)")
        rows = t.screen()
        self.assertEqual(rows[end - 4:end + 1],
                         ["-- history", "Pepe: dos", "Pepe: tres", "-- end of history",
                          "-- the last 2 messages (/history 2)"], "\n".join(rows))

        t.type("/search tres")
        t.keys("Enter")
        found = t.wait_row('-- 1 message found for "tres"')
        rows = t.screen()
        self.assertEqual(rows[found - 3:found + 1],
                         ["-- history", "Pepe: tres", "-- end of history",
                          '-- 1 message found for "tres"'], "\n".join(rows))
        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())

    def test_a_search_the_file_fails_exits_70(self):
        """The file opens, but its search index was damaged: --search says
        why and exits 70 (EX_SOFTWARE), printing nothing."""
        ini = self.ini()
        self.plant_hostile_row(ini)
        db = sqlite3.connect(self.state_db())
        with db:
            # The index's segments (ids past FTS5's own records, 1 and 10).
            damaged = db.execute("UPDATE messages_fts_data SET block = x'ffffffffffffffff'"
                                 " WHERE id > 10").rowcount
        db.close()
        self.assertGreater(damaged, 0)
        m = harness.Mqchat(self.workdir, ini, args=("--search", "clip"),
                           stdin=subprocess.DEVNULL, name="Ana")
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 70, m.err.text())
        self.assertRegex(m.err.text(), r"mqchat: error: history: .*malformed")
        self.assertEqual(m.out.lines, [])


if __name__ == "__main__":
    harness.main()
