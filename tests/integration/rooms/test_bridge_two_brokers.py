# SPDX-License-Identifier: MIT
"""One mqchat on two independent brokers, one network each, bridged: what
is said in room1 on broker 1 is said in room2 on broker 2 by "{nick}@one",
and back the other way by "{nick}@two"; nothing comes back to where it was
said.  Messages and actions cross; joins and leaves only when the bridge's
`events` say so.  The third-party clients (mosquitto_pub, mosquitto_sub,
the classroom paho client) see it as people would."""
import harness
from rooms_helpers import (Classroom, TestCase, bridge_ini, count, start_bridge, sub_payloads,
                           wait_count)


class BridgeTwoBrokersTest(TestCase):

    def setUp(self):
        super().setUp()
        self.broker2 = self.another_broker()

    def bridge(self):
        ini = bridge_ini(self, "bridge", self.broker, self.broker2)
        return start_bridge(self, ini, "bridge", self.broker, self.broker2)

    def test_mosquitto_clients_both_ways(self):
        # Every topic of each broker, "TOPIC PAYLOAD": a relay into the
        # wrong topic would show too.  Not the bridge's presence and history
        # requests in its rooms (MQTT rooms: ROOM/presence/..., ROOM/history/...).
        meta = [f"{room}/{kind}/#" for room in ("room1", "room2") for kind in ("presence",
                                                                             "history")]
        watcher1 = self.watch(self.broker, "#", verbose=True, hide=meta)
        watcher2 = self.watch(self.broker2, "#", verbose=True, hide=meta)
        self.bridge()

        harness.publish(self.broker, "Ana: hola", topic="room1")
        wait_count(watcher2, "room2 Ana@one: hola")
        harness.publish(self.broker2, "Bea: hi", topic="room2")
        wait_count(watcher1, "room1 Bea@two: hi")
        # Fences: each arrives after whatever the bridge relayed before it
        # into the same room (one connection, one queue).
        harness.publish(self.broker, "Cid: fin", topic="room1")
        wait_count(watcher2, "room2 Cid@one: fin")
        harness.publish(self.broker2, "Dan: fin", topic="room2")
        wait_count(watcher1, "room1 Dan@two: fin")
        # watcher2 hears Dan on its own connection: the relay into room1
        # says nothing about when.
        wait_count(watcher2, "room2 Dan: fin")

        self.assertEqual(sub_payloads(watcher1),
                         ["room1 Ana: hola", "room1 Bea@two: hi", "room1 Cid: fin",
                          "room1 Dan@two: fin"])
        self.assertEqual(sub_payloads(watcher2),
                         ["room2 Ana@one: hola", "room2 Bea: hi", "room2 Cid@one: fin",
                          "room2 Dan: fin"])

    def test_classroom_clients_talk_across(self):
        ana = Classroom(self, self.broker, "room1", "Ana")
        bea = Classroom(self, self.broker2, "room2", "Bea")
        self.bridge()

        ana.say("hola Bea")
        bea.wait_payload("Ana@one: hola Bea")
        bea.say("hola Ana, qué tal")
        ana.wait_payload("Bea@two: hola Ana, qué tal")
        ana.say("adiós")
        bea.wait_payload("Ana@one: adiós")

        # Each hears itself (it subscribes to its room) and the other, once;
        # its own words never come back relayed.
        self.assertEqual(ana.payloads(), ["Ana: hola Bea", "Bea@two: hola Ana, qué tal",
                                          "Ana: adiós"])
        self.assertEqual(bea.payloads(), ["Ana@one: hola Bea", "Bea: hola Ana, qué tal",
                                          "Ana@one: adiós"])

    def test_actions_cross_joins_and_leaves_do_not(self):
        # events = message action, the default.
        sub2 = self.watch(self.broker2, "room2")
        self.bridge()
        for payload in ("Eva ha entrado al chat", "* Eva saluda", "Eva ha salido del chat",
                        "Cid: fin"):
            harness.publish(self.broker, payload, topic="room1")
        wait_count(sub2, "Cid@one: fin")
        self.assertEqual(sub_payloads(sub2), ["* Eva@one saluda", "Cid@one: fin"])

    def test_joins_and_leaves_cross_when_asked(self):
        sub2 = self.watch(self.broker2, "room2")
        ini = bridge_ini(self, "bridge", self.broker, self.broker2,
                         lobby={"events": "message action join leave"})
        start_bridge(self, ini, "bridge", self.broker, self.broker2)
        for payload in ("Eva ha entrado al chat", "Eva ha salido del chat", "Cid: fin"):
            harness.publish(self.broker, payload, topic="room1")
        wait_count(sub2, "Cid@one: fin")
        self.assertEqual(sub_payloads(sub2), ["Eva@one ha entrado al chat",
                                              "Eva@one ha salido del chat", "Cid@one: fin"])

    def test_typed_line_goes_to_the_room_and_across(self):
        # A line typed into the bridge process's own default room (room1)
        # is said there as Bridge's and relayed to room2 by the bridge.
        sub1 = self.watch(self.broker, "room1")
        sub2 = self.watch(self.broker2, "room2")
        m = self.bridge()
        m.send("buenas")
        wait_count(sub1, "bridge: buenas")
        wait_count(sub2, "bridge@one: buenas")
        harness.publish(self.broker, "Cid: fin", topic="room1")
        wait_count(sub2, "Cid@one: fin")
        self.assertEqual(count(sub1, "bridge: buenas"), 1)
        self.assertEqual(count(sub2, "bridge@one: buenas"), 1)
        m.close_stdin()
        self.assertEqual(m.wait(harness.TERM_TIMEOUT), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
