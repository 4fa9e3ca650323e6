# SPDX-License-Identifier: MIT
"""[core] rate_limit: a flood of 10 000 messages from one sender is folded
into "eve: N more messages suppressed" lines whose counts add up to what was
not shown, while another sender's 10 lines all show; history keeps every
message; what is left unreported is said at exit; our own lines are never
limited; a bridge relays only what is shown.  Everything waits on events: a message seen, a process exit."""
import re
import subprocess
import sys
import threading

import paho.mqtt.client as mqtt

import harness
from history.history_helpers import batch_ini, publish_retained
from rooms.rooms_helpers import bridge_ini, start_bridge, sub_payloads, wait_count

FLOOD = 10_000
SLOW = 12 * harness.DEFAULT_TIMEOUT  # a sanitizer build on a shared machine
SUPPRESSED = re.compile(rb"^mqchat: eve: (\d+) more messages? suppressed$")
FLOODED = re.compile(rb"^eve: flood \d{5}$")


def flood(broker, count, done):
    """`count` messages of eve at QoS 1, as fast as the broker takes them;
    sets `done` once every one is acknowledged."""
    client = mqtt.Client(protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", broker.port, keepalive=60)
    client.loop_start()
    infos = [client.publish(harness.TOPIC, b"eve: flood %05d" % i, qos=1)
             for i in range(1, count + 1)]
    for info in infos:
        info.wait_for_publish(SLOW)
    client.loop_stop()
    client.disconnect()
    done.set()


class RateLimitTest(harness.TestCase):

    def start(self, rate):
        self.ini = batch_ini(self, "Ana", core={"rate_limit": rate, "announce": "off",
                                                "history_replay": "0"}, mqtt={"qos": "1"})
        # The broker hands a retained message to each new subscription:
        # once it shows, mqchat misses nothing published after.
        publish_retained(self.broker, "sync: ready")
        m = self.mqchat(self.ini, name="Ana")
        m.out.wait_for(rb"sync: ready$", timeout=SLOW)
        return m

    def flood_in_background(self, count):
        done = threading.Event()
        t = threading.Thread(target=flood, args=(self.broker, count, done), daemon=True)
        t.start()
        self.cleanups.append(lambda: t.join(SLOW))
        return t, done

    def all_taken(self, m, t, done):
        """Once this returns, mqchat has taken every message of the flood:
        the broker forwards them to it before a message published after
        their acknowledgements."""
        t.join(SLOW)
        self.assertTrue(done.is_set(), "the flood was not acknowledged")
        harness.publish(self.broker, "zed: done")
        m.out.wait_for(rb"^zed: done$", timeout=SLOW)

    @staticmethod
    def flood_shown(m):
        return [l for l in m.out.lines if FLOODED.match(l.rstrip(b"\n"))]

    @staticmethod
    def suppressed(m):
        counts = []
        for line in m.err.lines:
            hit = SUPPRESSED.match(line.rstrip(b"\n"))
            if hit:
                counts.append(int(hit.group(1)))
        return counts

    def history(self):
        """Every message of the history, one a line."""
        reader = self.mqchat(self.ini, args=["--history", "100000"], name="Ana")
        self.assertEqual(reader.wait(SLOW), 0, reader.err.text())
        return reader.out.text().splitlines()

    def test_a_flood_is_folded_and_the_others_keep_flowing(self):
        m = self.start("20/10s")
        t, done = self.flood_in_background(FLOOD)
        for i in range(1, 11):
            harness.publish(self.broker, f"bob: line {i}")
        self.all_taken(m, t, done)
        for i in range(1, 11):
            m.out.wait_for(rf"^bob: line {i}$".encode(), timeout=SLOW)

        # Every folded message is reported while the flood is over: the
        # counts add up to what was not shown.
        shown = len(self.flood_shown(m))
        harness.wait_until(lambda: shown + sum(self.suppressed(m)) == FLOOD, SLOW,
                           "suppressed counts adding up to the flood; stderr:\n"
                           + m.err.text())
        self.assertGreaterEqual(shown, 20)
        self.assertLess(shown, FLOOD // 10, "the flood was not folded")
        self.assertTrue(all(n > 0 for n in self.suppressed(m)))
        self.assertNotRegex(m.err.text(), r"(bob|zed|sync): \d+ more", "others were folded")
        self.assertEqual(len(self.flood_shown(m)), shown, "flood shown after its end")
        print(f"flood of {FLOOD}: {shown} shown, folded {self.suppressed(m)}",
              file=sys.stderr)

        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.assertEqual(shown + sum(self.suppressed(m)), FLOOD, "counted twice at exit")
        # History keeps everything, folded or not.
        kept = self.history()
        self.assertEqual(sum(1 for l in kept if re.search(r"eve: flood \d{5}$", l)), FLOOD)
        for i in range(1, 11):
            self.assertEqual(sum(1 for l in kept if l.endswith(f"bob: line {i}")), 1)

    def test_what_is_left_is_said_at_exit_and_own_lines_are_not_limited(self):
        sub = self.subscriber()
        m = self.start("5/1h")
        t, done = self.flood_in_background(2000)
        self.all_taken(m, t, done)
        self.assertEqual(len(self.flood_shown(m)), 5)
        # An hour's period: nothing is due before the end.
        self.assertEqual(self.suppressed(m), [])

        own = 50
        for i in range(1, own + 1):
            m.send(f"own {i}")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.assertEqual(self.suppressed(m), [1995])
        harness.publish(self.broker, "sync: marker")
        sub.out.wait_for(rb"^sync: marker$", timeout=SLOW)
        said = [p for p in sub.payloads() if p.startswith(b"Ana: own ")]
        self.assertEqual(said, [b"Ana: own %d" % i for i in range(1, own + 1)])

    def test_a_bridge_relays_only_what_is_shown(self):
        broker2 = self.another_broker()
        sub2 = harness.Subscriber(broker2, topic="room2")
        self.cleanups.append(sub2.stop)
        ini = bridge_ini(self, "bridge", self.broker, broker2, core={"rate_limit": "5/1h"})
        m = start_bridge(self, ini, "bridge", self.broker, broker2)
        lines = "".join(f"eve: flood {i:05d}\n" for i in range(1, 51)).encode()
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                        "-t", "room1", "-q", "1", "-l"], input=lines, check=True,
                       timeout=SLOW)
        # Relayed in the order taken: once zed's line is across, so is
        # every relay of eve's before it.
        harness.publish(self.broker, "zed: after", topic="room1")
        wait_count(sub2, "zed@one: after")
        relayed = [p for p in sub_payloads(sub2) if p.startswith("eve@one: flood ")]
        self.assertEqual(relayed, [f"eve@one: flood {i:05d}" for i in range(1, 6)])
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        m.err.wait_for(r"eve: 45 more messages suppressed \(one:room1\)")

    def test_a_bad_value_is_refused_naming_file_and_line(self):
        ini = harness.write_ini(f"{self.workdir}/bad.ini",
                                {"core": {"nick": "Ana", "rate_limit": "20 per 10s"}})
        for args, origin in ((["-c", ini], f"{ini}:3"),
                             (["-o", "core.rate_limit=20/10x"], "-o core.rate_limit=20/10x")):
            r = subprocess.run([harness.MQCHAT, *args, "--check-config"], capture_output=True,
                               env=harness.isolated_env(self.workdir), timeout=SLOW)
            self.assertEqual(r.returncode, 78, r.stderr)
            self.assertIn(f"{origin}: [core] rate_limit: '".encode(), r.stderr)
            self.assertIn(b"is not off or MESSAGES/PERIOD such as 20/10s", r.stderr)


if __name__ == "__main__":
    harness.main()
