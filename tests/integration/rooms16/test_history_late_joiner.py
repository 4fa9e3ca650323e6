# SPDX-License-Identifier: MIT
"""History for late joiners (MQTT 5) on a real mosquitto with
conf/mosquitto-acl.conf: Cata runs with history_service = on while Ana says
25 lines; Bob comes later with an empty history (a home of his own) and
history_replay = 20, on a terminal: he is shown the last 20 lines, framed as
history, each exactly once, and none of the 5 before them; what is said
after he came is shown live, once."""
import re

import harness
from rooms16_helpers import SLOW, AclTestCase, lines_of

SAID = [f"linea {n:02d} antes de Bob" for n in range(1, 26)]
LAST = SAID[-20:]


class HistoryLateJoinerTest(AclTestCase):

    def test_late_joiner_is_shown_the_last_20_once(self):
        # Its debug log says what it answered: shown should Bob see nothing.
        cata = self.chat("cata", "Cata", "cata", mqtt={"history_service": "on"},
                         env={"MQCHAT_DEBUG": "1"})
        ana = self.chat("ana", "Ana", "ana")
        for text in SAID:
            ana.send(text)
        # The service has them all (it shows what it received).
        cata.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)

        bob = self.tty("bob", "Bob", "bob", core={"history_replay": 20})
        try:
            at = bob.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)
        except AssertionError as e:
            said = [line for line in cata.err.text().splitlines() if "history" in line]
            raise AssertionError(f"{e}\nthe service's log of history:\n" + "\n".join(said[-10:]))\
                from None
        # A fence: a line said now comes after the answer.
        ana.send("ya en vivo")
        bob.out.wait_for(r"Ana: ya en vivo", timeout=SLOW, start=at)

        shown = lines_of(bob.out)
        for text in LAST:
            self.assertEqual(sum(1 for line in shown if line.endswith(f"Ana: {text}")), 1,
                             f"{text!r} not shown exactly once:\n" + "\n".join(shown))
        for text in SAID[:5]:
            self.assertFalse([line for line in shown if text in line],
                             f"{text!r} is older than the last 20:\n" + "\n".join(shown))
        # In order, inside the history frame.
        first = next(i for i, line in enumerate(shown) if LAST[0] in line)
        last = next(i for i, line in enumerate(shown) if LAST[-1] in line)
        order = [line for line in shown[first:last + 1] if "antes de Bob" in line]
        self.assertEqual([line.split("Ana: ", 1)[1] for line in order], LAST, shown)
        self.assertTrue(any(line.rstrip().endswith("-- history") for line in shown[:first]), shown)
        self.assertEqual(sum(1 for line in shown if "ya en vivo" in line), 1, shown)

    def test_a_join_in_between_takes_no_line(self):
        """Dora comes (and is shown joining, from her presence) after the 25
        lines and before Bob: Bob is still shown the last 20 lines said
        (json wire: every line has its id)."""
        json_wire = {"wire": "json"}
        cata = self.chat("cata", "Cata", "cata", mqtt=dict(json_wire, history_service="on"))
        ana = self.chat("ana", "Ana", "ana", mqtt=json_wire)
        for text in SAID:
            ana.send(text)
        cata.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)
        self.chat("dora", "Dora", "mallory", mqtt=json_wire)
        cata.out.wait_for(r"\bDora\b.*\bjoined\b", timeout=SLOW)

        bob = self.tty("bob", "Bob", "bob", mqtt=json_wire, core={"history_replay": 20})
        at = bob.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)
        ana.send("ya en vivo")
        bob.out.wait_for(r"Ana: ya en vivo", timeout=SLOW, start=at)
        shown = lines_of(bob.out)
        missing = [t for t in LAST if sum(1 for line in shown if line.endswith(f"Ana: {t}")) != 1]
        self.assertEqual(missing, [], "not shown exactly once:\n" + "\n".join(shown))


if __name__ == "__main__":
    harness.main()
