# SPDX-License-Identifier: MIT
"""Two bridge processes over the same pair of rooms (two mqchats with the
same bridge, as a pair run for redundancy would be): a message said once
appears on the other broker a bounded number of times, never comes back,
and nothing more comes once the bridges are through: no storm.  On the json wire both relays carry one id, so
a receiver that knows the wire counts it exactly once."""
import json

import harness
from rooms_helpers import (SLOW, Classroom, TestCase, bridge_ini, json_payload, network,
                           networks_ini, start_bridge, sub_payloads, wait_connected,
                           wait_count)

# Plain wire carries no id: each of the two bridges relays the message once.
MOST_PLAIN_COPIES = 2


class BridgeStormTest(TestCase):

    def setUp(self):
        super().setUp()
        self.broker2 = self.another_broker()

    def two_bridges(self, wire):
        self.bridges = []
        for name in ("bridge-a", "bridge-b"):
            ini = bridge_ini(self, name, self.broker, self.broker2, wire=wire)
            self.bridges.append(start_bridge(self, ini, name, self.broker, self.broker2))

    def fence(self, sub2, text):
        """Says `text` in room1 and waits until (a bridge) relayed it to room2,
        on either wire."""
        harness.publish(self.broker, f"Zed: {text}", topic="room1")
        plain, json_part = f"Zed@one: {text}", f'"text":"{text}"'
        try:
            harness.wait_until(lambda: any(p == plain or json_part in p
                                           for p in sub_payloads(sub2)),
                               timeout=SLOW, what=f"{plain!r} on broker 2")
        except AssertionError as e:
            self.fail(f"{e}; broker 2 got {sub_payloads(sub2)}; the bridges said:\n"
                      + "\n".join(b.out.text() + b.err.text() for b in self.bridges))

    def settle(self, sub1, sub2):
        """Until nothing more can come: two fences cross while the bridges
        run (a storm would multiply the copies meanwhile), then both bridges
        end cleanly (exit 0: every copy they sent was acknowledged by the
        broker) and a line said straight into each room arrives after
        whatever the bridges had sent there.  A fence's copy alone would not
        do: it tells that one bridge is through, not the other."""
        self.fence(sub2, "uno")
        self.fence(sub2, "dos")
        for b in self.bridges:
            b.close_stdin()
            self.assertEqual(b.wait(SLOW), 0, b.err.text())
        for broker, topic, sub in ((self.broker, "room1", sub1), (self.broker2, "room2", sub2)):
            harness.publish(broker, "Zed: the end", topic=topic)
            wait_count(sub, "Zed: the end")

    def test_plain_wire_bounded_and_no_storm(self):
        sub1 = self.watch(self.broker, "room1")
        sub2 = self.watch(self.broker2, "room2")
        self.two_bridges("plain")

        harness.publish(self.broker, "Ana: hola", topic="room1")
        wait_count(sub2, "Ana@one: hola")
        self.settle(sub1, sub2)
        self.assertEqual([p for p in sub_payloads(sub1) if "hola" in p], ["Ana: hola"],
                         "relayed back into room1")
        copies = [p for p in sub_payloads(sub2) if "hola" in p]
        self.assertEqual(set(copies), {"Ana@one: hola"}, copies)
        self.assertLessEqual(len(copies), MOST_PLAIN_COPIES, copies)
        self.report(sub1, sub2)

    def json_once_by_id(self, original, text, nick, ids=1):
        """Two json bridges relay `original` (said in room1): room2 gets at
        most two copies, with `ids` ids, nick `nick`, origin and hops; room1
        keeps the original only."""
        sub1 = self.watch(self.broker, "room1")
        sub2 = self.watch(self.broker2, "room2")
        counter = Classroom(self, self.broker2, "room2", "Counter")
        self.two_bridges("json")

        harness.publish(self.broker, original, topic="room1")
        harness.wait_until(lambda: text in {m["text"] for m in counter.json_messages()},
                           timeout=SLOW, what=f"{text!r} across")
        self.settle(sub1, sub2)
        counter.wait_payload("Zed: the end")
        self.assertEqual([p for p in sub_payloads(sub1) if text in p], [original],
                         "relayed back into room1")
        copies = [m for m in counter.json_messages() if m["text"] == text]
        self.report(sub1, sub2)
        self.assertEqual({m["nick"] for m in copies}, {nick}, copies)
        self.assertEqual({(m.get("origin"), m.get("hops")) for m in copies},
                         {("one:room1", 1)}, copies)
        self.assertLessEqual(len(copies), MOST_PLAIN_COPIES, copies)
        self.assertEqual(len({m["id"] for m in copies}), ids,
                         f"{text!r} reached room2 with other than {ids} ids: {copies}")

    def test_json_original_once_by_id(self):
        # Another mqchat's message, with its id.
        self.json_once_by_id(json_payload("0123456789abcdef", "Ana", "hola json"),
                             "hola json", "Ana@one")

    def test_plain_original_twice_at_most(self):
        # The classroom client's plain line: no id of its own, and nothing
        # two bridges could agree on that would not also make a genuine
        # repeat ("ok", "ok") one message: each bridge's copy has an id of
        # its own.  Bounded: two copies, never more, none back.
        self.json_once_by_id("Bea: hola plain", "hola plain", "Bea@one", ids=2)

    def test_hop_limit_and_origin(self):
        # What carries its own way back: a copy is not relayed into the room
        # it was first said in, nor once four bridges have relayed it.
        sub2 = self.watch(self.broker2, "room2")
        ini = bridge_ini(self, "bridge", self.broker, self.broker2, wire="json")
        self.bridges = [start_bridge(self, ini, "bridge", self.broker, self.broker2)]

        def relayed(msg_id, text, origin, hops):
            obj = json.loads(json_payload(msg_id, "Ana", text))
            obj.update(origin=origin, hops=hops)
            return json.dumps(obj, separators=(",", ":"))
        for payload in (relayed("1000000000000001", "back home", "two:room2", 1),
                        relayed("1000000000000002", "fourth hop", "x:y", 4),
                        relayed("1000000000000003", "third hop", "x:y", 3)):
            harness.publish(self.broker, payload, topic="room1")
        self.fence(sub2, "uno")
        got = [json.loads(p) for p in sub_payloads(sub2)]
        self.assertEqual([(m["text"], m.get("origin"), m.get("hops")) for m in got],
                         [("third hop", "x:y", 4), ("uno", "one:room1", 1)])

    def test_triangle_of_bridges_json(self):
        # Three bridge processes in a ring: room1 (broker 1) - room2
        # (broker 2) - room3 (broker 1) - room1.  A message said in room1
        # reaches room2 and room3 (each by two paths at most) and never
        # comes back to room1: its origin is carried, and the hop limit holds.
        places = {"one": (self.broker, "room1"), "two": (self.broker2, "room2"),
                  "three": (self.broker, "room3")}
        subs = {name: self.watch(b, topic) for name, (b, topic) in places.items()}
        self.bridges = []
        for a, b in (("one", "two"), ("two", "three"), ("three", "one")):
            ini = networks_ini(
                self, f"ring-{a}-{b}",
                {n: network(places[n][0].port, places[n][1], wire="json") for n in (a, b)},
                core={"bridges": "lobby"}, nick=f"ring-{a}-{b}",
                lobby={"rooms": f"{a}:{places[a][1]} {b}:{places[b][1]}"})
            m = self.mqchat(ini, name=f"ring-{a}-{b}")
            wait_connected(m, places[a][0], places[b][0])
            self.bridges.append(m)

        harness.publish(self.broker, json_payload("2000000000000001", "Ana", "round"),
                        topic="room1")
        for name in ("two", "three"):
            harness.wait_until(lambda: any('"text":"round"' in p
                                           for p in sub_payloads(subs[name])),
                               timeout=SLOW, what=f"the message in {name}")
        self.fence(subs["two"], "uno")
        for b in self.bridges:
            b.close_stdin()
            self.assertEqual(b.wait(SLOW), 0, b.err.text())
        for name, (broker, topic) in places.items():
            harness.publish(broker, "Zed: the end", topic=topic)
            wait_count(subs[name], "Zed: the end")

        said = {name: [json.loads(p) for p in sub_payloads(sub) if '"text":"round"' in p]
                for name, sub in subs.items()}
        self.assertEqual([m["nick"] for m in said["one"]], ["Ana"],
                         f"came back to room1: {said['one']}")
        for name in ("two", "three"):
            copies = said[name]
            self.assertLessEqual(len(copies), 2, copies)
            self.assertEqual({m.get("origin") for m in copies}, {"one:room1"}, copies)

    def report(self, sub1, sub2):
        print(f"room1 received {len(sub_payloads(sub1))} payloads, room2 "
              f"{len(sub_payloads(sub2))}")


if __name__ == "__main__":
    harness.main()
