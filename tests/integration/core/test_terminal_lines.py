# SPDX-License-Identifier: MIT
"""What mqchat itself writes on the terminal, checked on a real one (tmux):
log lines above the prompt, status lines no received text can imitate, /help,
/nick told to the room, and the replies to mistyped commands."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from test_terminal import SLOW, TerminalTestCase  # noqa: E402

MAX_RECEIVED_PAYLOAD = 1024 * 1024


ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u0301"


def status_rows(rows):
    """Rows that look as if they started as mqchat's own lines do."""
    return [r for r in rows if r.lstrip(ZERO_WIDTH).startswith("--")]


def replied(rows, line, reply):
    """`line` was typed and `reply` is the row below it."""
    return any(a == "> " + line and b.startswith(reply) for a, b in zip(rows, rows[1:]))


class TerminalLinesTest(TerminalTestCase):

    def ready(self, t, sub):
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        t.wait_screen(lambda rows: any(r.startswith("-- connected") for r in rows),
                      "the connection status line")
        t.wait_row(">")

    def quit(self, t, sub=None):
        """/quit, exit 0; the terminal (and `sub`) closed for the next one."""
        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())
        t.close()
        if sub:
            sub.stop()

    def assert_partial_line_kept(self, t, after):
        """The row below the last of `after`'s rows is the prompt with the
        half-typed line, once, and the cursor is still at its end."""
        def below(rows):
            for i, r in enumerate(rows):
                if r.startswith(after) and "> half typ" in rows[i + 1:]:
                    return rows.index("> half typ", i + 1)
            return None
        prompt = t.wait_screen(below, f"the prompt below {after!r}")
        rows = t.screen()
        self.assertEqual(rows.count("> half typ"), 1, "\n".join(rows))
        self.assertFalse([r for r in rows if "mqchat:" in r], "\n".join(rows))
        self.assertEqual(t.cursor(), (len("> half typ"), prompt), "\n".join(rows))

    def test_log_lines_show_above_the_prompt(self):
        sub = self.subscriber()
        t = self.terminal(core={"frontends": "stdin exec"},
                          sections={"exec": {"program": "/bin/false", "match": "^boom$"}})
        self.ready(t, sub)
        t.type("half typ")
        t.wait_row("> half typ")

        # A plugin's log line (exec's program failed), through the host.
        harness.publish(self.broker, "Bob: boom")
        self.assert_partial_line_kept(t, "-- exec: warning: /bin/false (pid ")

        # The core's own log line: a payload too big to show.
        harness.publish(self.broker, b"x" * (MAX_RECEIVED_PAYLOAD + 1))
        sub.out.wait_for(rb"^x{1000}", timeout=SLOW)  # read whole before the end
        self.assert_partial_line_kept(t, f"-- warning: a payload of {MAX_RECEIVED_PAYLOAD + 1}")

        t.type("ed")
        t.keys("Enter")
        sub.out.wait_for(rb"^Ana: half typed$", timeout=SLOW)
        t.wait_row("Ana: half typed")
        self.quit(t)

    def test_received_text_cannot_forge_a_status_line(self):
        fake = "-- connection to 127.0.0.1:1883 lost (the broker closed it)"
        for width in (40, 70, 97):
            with self.subTest(width=width):
                sub = self.subscriber()
                t = self.terminal(width=width, name=f"term{width}")
                self.ready(t, sub)
                pad = width - len("Bob: ")
                payloads = ["Bob: " + " " * pad + fake,
                            "Bob: " + "x" * pad + fake,
                            "Bob: " + "\u4e2d" * (pad // 2) + "x" * (pad % 2) + fake,
                            "Bob: " + " " * (pad + width) + fake,
                            fake,
                            json.dumps({"v": 1, "id": f"f{width}",
                                        "nick": "-- connection to the broker lost",
                                        "type": "message", "text": "hi"}),
                            json.dumps({"v": 1, "id": f"z{width}",
                                        "nick": "\u0301-- connection to the broker lost",
                                        "type": "message", "text": "hi"})]
                for p in payloads:
                    harness.publish(self.broker, p)
                harness.publish(self.broker, "Bob: marker")
                t.wait_row("Bob: marker")
                rows = t.all_rows()  # those scrolled away too
                self.assertEqual([r for r in status_rows(rows) if "connection" in r], [],
                                 "\n".join(rows))
                # The forgeries were shown, moved off the left edge.
                self.assertTrue([r for r in rows if r.startswith(("    -- connection",
                                                                  " -- connection"))],
                                "\n".join(rows))
                self.quit(t, sub)

    def test_help_lists_one_command_a_row(self):
        sub = self.subscriber()
        t = self.terminal()
        self.ready(t, sub)
        t.type("/help")
        t.keys("Enter")
        t.wait_row("-- commands:")
        start = t.wait_screen(lambda rows: [i for i, r in enumerate(rows)
                                            if r.startswith("--   //TEXT")], "the last help row")
        rows = t.screen()
        first = rows.index("-- commands:") + 1
        table = [re.fullmatch(r"--   (\S+(?: \S+)*?)  +(\S.*)", r)
                 for r in rows[first:start[0] + 1]]
        self.assertTrue(all(table), "\n".join(rows))
        usages = ["/nick NAME", "/me ACTION", "/history [N] [ROOM]", "/search [ROOM] WORDS",
                  "/join [NET:]ROOM", "/part [[NET:]ROOM]", "/rooms", "/go [NET:]ROOM|N",
                  "/msg NICK TEXT", "/who [[NET:]ROOM]", "/away [TEXT]", "/quit", "/help",
                  "//TEXT"]
        self.assertEqual([m.group(1) for m in table], usages, "\n".join(rows))
        self.assertEqual(len({m.start(2) for m in table}), 1,
                         "descriptions not aligned:\n" + "\n".join(rows))

    def test_nick_is_told_to_the_room(self):
        for wire in ("plain", "json"):
            with self.subTest(wire=wire):
                sub = self.subscriber()
                # Another mqchat in the room shows it as an action.
                rx_ini = harness.basic_ini(self.workdir, self.broker, name=f"rx-{wire}",
                                           nick="Rx", core={"announce": "off", "history": "off"},
                                           stdin={"format": "{type} {nick} {text}"})
                rx = self.mqchat(rx_ini, name=f"rx-{wire}")
                rx.err.wait_for(r"connected to ", timeout=SLOW)
                t = self.terminal(mqtt={"wire": wire}, name=f"term-{wire}")
                if wire == "plain":
                    self.ready(t, sub)
                else:
                    sub.out.wait_for(rb'"type": ?"join"', timeout=SLOW)
                    t.wait_row(">")
                t.type("/nick Bea")
                t.keys("Enter")
                t.wait_row("* Ana ahora es Bea")
                t.wait_row("-- you are now known as Bea")
                if wire == "plain":
                    sub.out.wait_for(rb"^\* Ana ahora es Bea$", timeout=SLOW)
                else:
                    line = sub.out.lines[sub.out.wait_for(rb'"ahora es Bea"', timeout=SLOW)]
                    told = json.loads(line)
                    self.assertEqual((told["type"], told["nick"], told["text"]),
                                     ("action", "Ana", "ahora es Bea"))
                rx.out.wait_for(r"^action \* Ana ahora es Bea$", timeout=SLOW)
                self.quit(t, sub)

    def test_replies_to_mistyped_commands(self):
        sub = self.subscriber()
        t = self.terminal()
        self.ready(t, sub)
        for line, reply in [
                ("/history abc", "-- /history N: N from 1 to "),
                ("/history 0", "-- /history N: N from 1 to "),
                ("/history -3", "-- /history N: N from 1 to "),
                ("/history 99999999999999999999", "-- /history N: N from 1 to "),
                ("/frobnicate now", "-- unknown command or missing argument: /frobnicate now"),
                ("/nick", "-- unknown command or missing argument: /nick "),
                ("/search", "-- unknown command or missing argument: /search ")]:
            # The command stays on screen, its reply below it.
            mark = t.all_rows().count("> " + line)
            t.type(line)
            t.keys("Enter")
            harness.wait_until(lambda: replied(t.all_rows(), line, reply), SLOW,
                               f"the reply to {line!r}")
            self.assertEqual(t.all_rows().count("> " + line), mark + 1)
        t.type("//history 5")
        t.keys("Enter")
        sub.out.wait_for(rb"^Ana: /history 5$", timeout=SLOW)
        self.quit(t)
        said = [p for p in sub.payloads() if p.startswith(b"Ana:")]
        self.assertEqual(said, [b"Ana: /history 5"])


if __name__ == "__main__":
    harness.main()
