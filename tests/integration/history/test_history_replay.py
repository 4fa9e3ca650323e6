# SPDX-License-Identifier: MIT
"""History across a restart: a message Ana sent while Bea was running shows
in both replays when they start again, framed as history on the terminal,
and `mqchat --history N` / `--search WORDS` (plain lines and --json) print
it for scripts."""
import json
import re
import subprocess

import harness
from history_helpers import SLOW, Terminal, batch_ini, wait_connected

SAID = "recuerdo del martes"
LINE = f"Ana: {SAID}"
# archive_print's template: "{date} {time} {nick}: {text}"
PRINTED = re.compile(rf"^\d{{4}}-\d\d-\d\d \d\d:\d\d {LINE}$")


class HistoryReplayTest(harness.TestCase):
    def ini(self, nick):
        return batch_ini(self, nick, core={"announce": "off", "history_replay": "5"})

    def chat_once(self, ana_ini, bea_ini):
        """Bea runs; Ana says SAID; both end cleanly (history flushed)."""
        bea = self.mqchat(bea_ini, name="Bea")
        ana = self.mqchat(ana_ini, name="Ana")
        wait_connected(bea)
        wait_connected(ana)
        ana.send(SAID)
        bea.out.wait_for(rf"^{LINE}$", timeout=SLOW)
        for m in (ana, bea):
            m.close_stdin()
            self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def replay_on_terminal(self, nick, ini):
        """`nick` starts again on a terminal: the replay is framed."""
        t = Terminal(self.workdir, ini, name=nick)  # same XDG dirs as the first run
        self.cleanups.append(t.close)
        rows = t.wait_screen(lambda rows: any(r.startswith("-- connected") for r in rows)
                             and rows, "the replay and the connection")
        screen = "\n".join(rows)
        self.assertEqual(rows.count(LINE), 1, screen)
        # Framed, with the comings and goings presence showed around it
        # (Ana's, Bea's: who started first is the scheduler's choice).
        said, start = rows.index(LINE), rows.index("-- history")
        end = rows.index("-- end of history")
        self.assertTrue(start < said < end, screen)
        for row in rows[start + 1:end]:
            self.assertRegex(row, rf"^{re.escape(LINE)}$|^\* \S+ (joined|left)$", screen)

        # What is said now comes after the frame, and opens no new one.
        harness.publish(self.broker, "Pepe: en vivo")
        live = t.wait_row("Pepe: en vivo")
        rows = t.screen()
        self.assertGreater(live, rows.index("-- end of history"), "\n".join(rows))
        self.assertEqual(rows.count("-- history"), 1, "\n".join(rows))

        # /search answers with history, framed the same way.
        t.type("/search martes")
        t.keys("Enter")
        found = t.wait_row('-- 1 message found for "martes"')
        rows = t.screen()
        self.assertEqual(rows[found - 3:found], ["-- history", LINE, "-- end of history"],
                         "\n".join(rows))
        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())

    def print_history(self, nick, ini, *args):
        """The lines `mqchat ARGS` prints with `nick`'s history, exit 0."""
        m = harness.Mqchat(self.workdir, ini, args=args, stdin=subprocess.DEVNULL, name=nick)
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        harness.wait_until(lambda: m.out.closed, what="the end of the output")
        return m.out.text().splitlines()

    def said(self, nick, ini, *args):
        """print_history() less the comings and goings presence showed (Ana's,
        seen by Bea, are part of the room's history too)."""
        return [line for line in self.print_history(nick, ini, *args)
                if not re.search(r"\* \S+ (joined|left)$|\"type\":\"(join|leave)\"", line)]

    def test_replay_after_restart_and_command_line(self):
        ana_ini, bea_ini = self.ini("Ana"), self.ini("Bea")
        self.chat_once(ana_ini, bea_ini)

        for nick, ini in (("Bea", bea_ini), ("Ana", ana_ini)):
            for args in (["--history", "5"], ["--search", "martes"],
                         ["--search", "recuerdo martes"]):
                lines = self.said(nick, ini, *args)
                self.assertEqual(len(lines), 1, f"{nick} {args}: {lines}")
                self.assertRegex(lines[0], PRINTED, f"{nick} {args}")
            for args in (["--history", "5", "--json"], ["--search", "martes", "--json"]):
                lines = self.said(nick, ini, *args)
                self.assertEqual(len(lines), 1, f"{nick} {args}: {lines}")
                obj = json.loads(lines[0])
                self.assertEqual(sorted(obj), ["id", "network", "nick", "room", "text", "ts",
                                               "type", "v"])
                self.assertEqual((obj["v"], obj["nick"], obj["text"], obj["type"]),
                                 (1, "Ana", SAID, "message"), lines[0])
                self.assertGreater(obj["ts"], 1_600_000_000_000)
            self.assertEqual(self.print_history(nick, ini, "--search", "jueves"), [])

        self.replay_on_terminal("Bea", bea_ini)  # received it
        self.replay_on_terminal("Ana", ana_ini)  # said it


if __name__ == "__main__":
    harness.main()
