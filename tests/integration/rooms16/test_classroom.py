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
from rooms16_helpers import ROOM, SLOW, AclTestCase, Classroom, sub_payloads, wait_count

BEFORE = {"presence": "off", "verify": "off", "history_service": "off"}
NOW = {"presence": "on", "verify": "on"}
EXPECTED = ["Ana ha entrado al chat", "Bob ha entrado al chat", "Ana: hola a todos",
            "Bob: qué tal, Ana", "Ana: bien", "Clase: hola desde la clase"]


class ClassroomTest(AclTestCase):

    def session(self, broker, ana_keys, bob_keys):
        """The same conversation on `broker`; what the classroom and
        mosquitto_sub received, up to the classroom's last line."""
        classroom = Classroom(self, broker, ROOM, "Clase")
        sub = harness.Subscriber(broker)
        self.cleanups.append(sub.stop)
        announce = {"announce": "on"}
        ana = self.chat("ana", "Ana", "ana", mqtt=ana_keys, core=announce, broker=broker)
        classroom.wait_payload("Ana ha entrado al chat")
        bob = self.chat("bob", "Bob", "bob", mqtt=bob_keys, core=announce, broker=broker)
        classroom.wait_payload("Bob ha entrado al chat")
        for m, line in ((ana, "hola a todos"), (bob, "qué tal, Ana"), (ana, "bien")):
            m.send(line)
            classroom.wait_payload(f"{m.name.capitalize()}: {line}")
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
        before = self.session(self.broker, BEFORE, BEFORE)
        now_broker = self.another_broker(self.broker_conf)
        now = self.session(now_broker, dict(NOW, history_service="on"),
                           dict(NOW, history_service="off"))
        for name, (paho, sub) in (("before", before), ("now", now)):
            # The leaves announced come last but one, in the order they quit.
            leaves = [p for p in paho if p not in EXPECTED and p != "Clase: fin"]
            self.assertEqual(len(leaves), 2, f"{name}: {paho}")
            self.assertEqual([p for p in paho if p in EXPECTED], EXPECTED, f"{name}: {paho}")
            self.assertEqual(sub, paho, f"{name}: mosquitto_sub and paho differ")
        self.assertEqual(now[0], before[0], "the classroom's traffic changed")


if __name__ == "__main__":
    harness.main()
