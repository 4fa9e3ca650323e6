# SPDX-License-Identifier: MIT
"""Two history services in one room (MQTT 5, conf/mosquitto-acl.conf):
Cata and Mallory both run with history_service = on while Ana says 25
lines; Bob, then Eve, come later with empty histories and history_replay
= 20, each on a terminal.  Each is shown the last 20 lines; each request
is answered once, by one service: the services share the requests through
$share/mqchat-history/, so the two of them answer two requests in all,
with 20 messages each.  The count is read from the services' debug logs
once both have exited (the exit is the fence: nothing is answered after
it).  Presence is on, as by default: Bob's join, stored in the services'
histories, is no part of the 20 lines answered to Eve."""
import re

import harness
from rooms16_helpers import SLOW, AclTestCase, lines_of, wait_connected

SAID = [f"linea {n:02d} para los servicios" for n in range(1, 26)]
ANSWERED = re.compile(r"answered a history request in (\S+) with (\d+) message")


class HistoryTwoServicesTest(AclTestCase):

    def service(self, user, nick):
        # No request of its own (history_replay = 0): only Bob's and Eve's
        # are counted.
        ini = self.ini(user, nick, user, mqtt={"history_service": "on"},
                       core={"history_replay": 0})
        m = self.mqchat(ini, name=user, env={"MQCHAT_DEBUG": "1"})
        wait_connected(m, self.broker)
        return m

    def test_each_request_is_answered_once(self):
        services = [self.service("cata", "Cata"), self.service("mallory", "Olga")]
        # json: each message keeps its id in the services' histories, the
        # id by which a joiner takes an answer.
        ana = self.chat("ana", "Ana", "ana", mqtt={"wire": "json"}, core={"history_replay": 0})
        for text in SAID:
            ana.send(text)
        for s in services:
            s.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)

        for user, nick in (("bob", "Bob"), ("eve", "Eva")):
            joiner = self.tty(user, nick, user, core={"history_replay": 20})
            joiner.out.wait_for(re.escape(f"Ana: {SAID[-1]}"), timeout=SLOW)
            shown = lines_of(joiner.out)
            for text in SAID[-20:]:
                self.assertEqual(sum(1 for line in shown if line.endswith(f"Ana: {text}")), 1,
                                 f"{user}: {text!r} not shown exactly once:\n" + "\n".join(shown))

        answers = []
        for s in services:
            s.close_stdin()
            self.assertEqual(s.wait(SLOW), 0, s.err.text())
            answers += [(s.name, m.group(1), int(m.group(2)))
                        for m in ANSWERED.finditer(s.err.text())]
        self.assertEqual(len(answers), 2, f"not one answer per request: {answers}")
        self.assertTrue(all(room == harness.TOPIC and n == 20 for _, room, n in answers),
                        answers)


if __name__ == "__main__":
    harness.main()
