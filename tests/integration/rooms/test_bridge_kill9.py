# SPDX-License-Identifier: MIT
"""A bridge killed with SIGKILL in the middle of a burst of 1 000 QoS 1
messages, and started again, relays every one: what it had taken from
broker 1 waits in its outbox, what broker 1 had not handed it yet waits in
its persistent session there.

The json wire on both networks: a relayed message keeps the original's id,
so a copy sent twice (QoS 1 is at least once on each hop, and a kill -9
leaves publishes unacknowledged) is known for the same message by every
receiver, which shows it once.  Plain wire carries no id: a duplicate would
be indistinguishable from a message said twice.  So: no loss, by text;
none twice, by distinct ids; the raw copies are counted and reported."""
import collections
import json
import os
import signal
import subprocess
import sys

import harness
from rooms_helpers import SLOW, TestCase, bridge_ini, json_payload, start_bridge

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "delivery"))
from delivery_helpers import outbox_rows, shown_texts  # noqa: E402

TOTAL = 1000
FIRST = 500  # published before the kill
KILL_AFTER = 200  # relayed messages seen on broker 2 before the kill
BURST_TIMEOUT = 12 * harness.DEFAULT_TIMEOUT


def burst_line(i):
    return json_payload(f"{0xb0000000 + i:016x}", "Ana", f"burst-{i:04d}") + "\n"


class BridgeKill9Test(TestCase):

    def setUp(self):
        super().setUp()
        self.broker2 = self.another_broker()

    def relayed(self, sub):
        """{text: [id, ...]} of the burst messages `sub` received."""
        seen = collections.defaultdict(list)
        for p in sub.payloads():
            try:
                m = json.loads(p)
            except ValueError:
                continue
            if isinstance(m, dict) and str(m.get("text", "")).startswith("burst-"):
                seen[m["text"]].append(m.get("id"))
        return seen

    def publisher(self):
        """mosquitto_pub -l: one QoS 1 message per line written to it."""
        p = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                              "-t", "room1", "-q", "1", "-l"], stdin=subprocess.PIPE)
        self.cleanups.append(lambda: p.poll() is None and p.kill())
        return p

    def receiver(self):
        """An mqchat on broker 2's room2 printing "<type> <id> <text>" for
        each message it shows (once each: its duplicate filter)."""
        ini = harness.basic_ini(self.workdir, self.broker2, name="receiver", nick="receiver",
                                core={"announce": "off", "history": "off"},
                                mqtt={"topic": "room2", "qos": 1},
                                stdin={"format": "{type} {id} {text}"})
        m = self.mqchat(ini, name="receiver")
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{self.broker2.port}\b", timeout=SLOW)
        return m

    def test_killed_mid_burst_relays_all_once(self):
        room1 = self.watch(self.broker, "room1")
        room2 = self.watch(self.broker2, "room2")
        ini = bridge_ini(self, "bridge", self.broker, self.broker2, wire="json",
                         mqtt={"qos": 1, "reconnect_max": 1})
        bridge = start_bridge(self, ini, "bridge", self.broker, self.broker2)
        receiver = self.receiver()

        pub = self.publisher()
        pub.stdin.write("".join(burst_line(i) for i in range(FIRST)).encode())
        pub.stdin.flush()
        harness.wait_until(lambda: len(self.relayed(room2)) >= KILL_AFTER, timeout=SLOW,
                           what=f"{KILL_AFTER} relayed messages on broker 2")
        bridge.proc.kill()
        self.assertEqual(bridge.wait(), -signal.SIGKILL)
        at_kill = len(self.relayed(room2))
        kept = outbox_rows(bridge.home)

        # The rest of the burst, said while the bridge is down.
        pub.stdin.write("".join(burst_line(i) for i in range(FIRST, TOTAL)).encode())
        pub.stdin.close()
        self.assertEqual(pub.wait(SLOW), 0, "mosquitto_pub failed")

        again = start_bridge(self, ini, "bridge", self.broker, self.broker2)
        # The relays it had queued were in the outbox, like typed lines.
        self.assertGreater(kept, 0, "no relay in the outbox at the kill")
        again.err.wait_for(r"sending again \d+ messages? an earlier run left", timeout=SLOW)
        expected = {f"burst-{i:04d}" for i in range(TOTAL)}
        try:
            harness.wait_until(lambda: expected <= set(self.relayed(room2)),
                               timeout=BURST_TIMEOUT, what="all 1000 on broker 2")
        except AssertionError:
            missing = sorted(expected - set(self.relayed(room2)))
            self.fail(f"{len(missing)} lost, the first {missing[:10]}; bridge stderr:\n"
                      + again.err.text())
        harness.wait_until(lambda: outbox_rows(again.home) == 0, timeout=SLOW,
                           what="every relay to be acknowledged")

        seen = self.relayed(room2)
        self.assertEqual(set(seen), expected)
        twice = {t: ids for t, ids in seen.items() if len(set(ids)) > 1}
        self.assertEqual(twice, {}, "one message relayed with two ids")
        ids = {ids[0] for ids in seen.values()}
        self.assertEqual(len(ids), TOTAL, "two messages relayed with one id")
        # A receiving mqchat showed each once.
        harness.wait_until(lambda: set(shown_texts(receiver)) >= expected, timeout=SLOW,
                           what="the receiver to show all 1000")
        shown = shown_texts(receiver)
        self.assertEqual({t: n for t, n in shown.items() if n > 1}, {}, "shown twice")
        # Nothing was relayed back into room1.
        back = [p for p in room1.payloads() if b'"origin"' in p]
        self.assertEqual(back, [], "relayed back into room1")
        raw = sum(len(ids) for ids in seen.values())
        print(f"{at_kill} relayed before the kill, {kept} rows in the outbox after it; "
              f"{raw} copies on broker 2 for {TOTAL} messages ({raw - TOTAL} duplicates, "
              f"same id)")


if __name__ == "__main__":
    harness.main()
