# SPDX-License-Identifier: MIT
"""The classroom sees what it always saw: the classroom paho client
(python3-paho-mqtt, MQTT 3.1.1, subscribed to conversacionTeletubbies only)
and mosquitto_sub on that topic record what two mqchats chatting there
publish, first as before (presence, verify and history off), then with
presence, verify = on, a history service and history requests, each on a
fresh mosquitto with a password_file and conf/mosquitto-acl.conf.  Both
recordings are the plain "<Name>: <text>" lines (and the joins and leaves
announced) expected, and are the same."""
import harness
from rooms16_helpers import (ROOM, SLOW, AclTestCase, Classroom, kill9, sub_payloads,
                             wait_count)

BEFORE = {"presence": "off", "verify": "off", "history_service": "off"}
NOW = {"presence": "on", "verify": "on"}
EXPECTED = ["Ana ha entrado al chat", "Bob ha entrado al chat", "Ana: hola a todos",
            "Bob: qué tal, Ana", "Ana: bien", "Clase: hola desde la clase"]


class ClassroomTest(AclTestCase):

    def session(self, broker, ana_keys, bob_keys, tag):
        """The same conversation on `broker`; what the classroom and
        mosquitto_sub received, up to the classroom's last line.  `tag`
        names the mqchats' homes: each session's own history."""
        classroom = Classroom(self, broker, ROOM, "Clase")
        sub = harness.Subscriber(broker)
        self.cleanups.append(sub.stop)
        announce = {"announce": "on"}
        ana = self.chat(f"ana-{tag}", "Ana", "ana", mqtt=ana_keys, core=announce,
                        broker=broker)
        classroom.wait_payload("Ana ha entrado al chat")
        bob = self.chat(f"bob-{tag}", "Bob", "bob", mqtt=bob_keys, core=announce,
                        broker=broker)
        classroom.wait_payload("Bob ha entrado al chat")
        for m, line in ((ana, "hola a todos"), (bob, "qué tal, Ana"), (ana, "bien")):
            m.send(line)
            classroom.wait_payload(f"{m.name[:3].capitalize()}: {line}")
        classroom.say("hola desde la clase")
        for m in (bob, ana):
            m.close_stdin()
            self.assertEqual(m.wait(timeout=SLOW), 0, m.err.text())
        # A fence: the classroom's last line comes after everything the
        # mqchats published (they have exited, acknowledged).
        classroom.say("fin")
        classroom.wait_payload("Clase: fin")
        wait_count(sub, "Clase: fin")
        seen = (classroom.payloads(), sub_payloads(sub))
        classroom.stop()
        sub.stop()
        return seen

    def test_classroom_sees_what_it_saw_before(self):
        before = self.session(self.broker, BEFORE, BEFORE, "before")
        now_broker = self.another_broker(self.broker_conf)
        now = self.session(now_broker, dict(NOW, history_service="on"),
                           dict(NOW, history_service="off"), "now")
        for name, (paho, sub) in (("before", before), ("now", now)):
            # The leaves announced come last but one, in the order they quit.
            leaves = [p for p in paho if p not in EXPECTED and p != "Clase: fin"]
            self.assertEqual(len(leaves), 2, f"{name}: {paho}")
            self.assertEqual([p for p in paho if p in EXPECTED], EXPECTED, f"{name}: {paho}")
            self.assertEqual(sub, paho, f"{name}: mosquitto_sub and paho differ")
        self.assertEqual(now[0], before[0], "the classroom's traffic changed")

    def crash_session(self, broker, keys, tag):
        """Ana and Bob in the room, announcing; Bob killed (-9); what the
        classroom received once Ana has been told Bob is gone."""
        classroom = Classroom(self, broker, ROOM, "Clase")
        announce = {"announce": "on"}
        ana = self.chat(f"ana-{tag}", "Ana", "ana", mqtt=keys, core=announce, broker=broker)
        bob = self.chat(f"bob-{tag}", "Bob", "bob", mqtt=keys, core=announce, broker=broker)
        classroom.wait_payload("Bob ha entrado al chat")
        ana.out.wait_for(r"Bob ha entrado al chat|\bBob\b.*\bjoined\b", timeout=SLOW)
        kill9(bob)
        ana.out.wait_for(r"\bBob\b.*\b(left|connection lost|ha salido)", timeout=SLOW)
        # Ana shows the loss in the round she publishes its relay, which
        # leaves at that round's end: "fin" said now could overtake it.
        classroom.wait_payload("Bob ha salido del chat")
        classroom.say("fin")
        classroom.wait_payload("Clase: fin")
        seen = classroom.payloads()
        classroom.stop()
        ana.close_stdin()
        self.assertEqual(ana.wait(timeout=SLOW), 0, ana.err.text())
        return seen

    def test_classroom_told_of_a_crash_as_before(self):
        """Before, a killed mqchat's Last Will said its leave on the room's
        topic; the classroom must still be told."""
        before = self.crash_session(self.broker, BEFORE, "before")
        self.assertIn("Bob ha salido del chat", before)
        now = self.crash_session(self.another_broker(self.broker_conf), NOW, "now")
        self.assertEqual(now, before, "the classroom's traffic changed: with presence on, "
                         "is the Last Will only the offline presence?")


if __name__ == "__main__":
    harness.main()
