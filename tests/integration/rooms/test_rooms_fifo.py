# SPDX-License-Identifier: MIT
"""One mqtt network with a second room: a FIFO instance whose `room =`
names it sends its lines there; one without `room =` sends to the default
room (the network's topic)."""
import os
import subprocess

import harness
from rooms_helpers import SLOW, TestCase, count, sub_payloads, wait_count


class RoomsFifoTest(TestCase):

    def start(self):
        self.alerts = os.path.join(self.workdir, "alerts.fifo")
        self.general = os.path.join(self.workdir, "general.fifo")
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "alerts, general", "announce": "off"},
            mqtt={"rooms": "ops"},
            alerts={"plugin": "fifo", "path": self.alerts, "room": "mqtt:ops"},
            general={"plugin": "fifo", "path": self.general})
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        for path in (self.alerts, self.general):
            m.err.wait_for(rf"reading lines from {path}", timeout=SLOW)
        m.err.wait_for(r"connected to 127\.0\.0\.1", timeout=SLOW)
        return m

    def write(self, path, text):
        with open(path, "wb") as f:
            f.write(text.encode() + b"\n")

    def test_each_fifo_writes_to_its_room(self):
        ops = self.subscriber(topic="ops")
        default = self.subscriber()
        m = self.start()

        self.write(self.alerts, "disk full on db1")
        self.write(self.general, "buenos días")
        wait_count(ops, "Ana: disk full on db1")
        wait_count(default, "Ana: buenos días")
        # Fences, one per room: each FIFO's later line comes after its first.
        self.write(self.alerts, "fin ops")
        self.write(self.general, "fin default")
        wait_count(ops, "Ana: fin ops")
        wait_count(default, "Ana: fin default")

        self.assertEqual(sub_payloads(ops), ["Ana: disk full on db1", "Ana: fin ops"])
        self.assertEqual(sub_payloads(default), ["Ana: buenos días", "Ana: fin default"])
        self.assertEqual(count(default, "Ana: disk full on db1"), 0)
        m.signal(15)
        self.assertEqual(m.wait(harness.TERM_TIMEOUT), 0, m.err.text())

    def test_bare_room_is_on_the_first_network(self):
        # A room not listed in `rooms`, bare, is joined at start on the first
        # network; "NET:ROOM" with a NET that is no network is a topic with
        # a ':' in it (MQTT allows one).
        ops = self.subscriber(topic="ops")
        colon = self.subscriber(topic="nowhere:ops")
        paths = [os.path.join(self.workdir, n) for n in ("bare.fifo", "colon.fifo")]
        ini = harness.basic_ini(
            self.workdir, self.broker, core={"frontends": "bare, colon", "announce": "off"},
            bare={"plugin": "fifo", "path": paths[0], "room": "ops"},
            colon={"plugin": "fifo", "path": paths[1], "room": "nowhere:ops"})
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        m.err.wait_for(r"connected to 127\.0\.0\.1", timeout=SLOW)
        for path in paths:
            m.err.wait_for(rf"reading lines from {path}", timeout=SLOW)
        self.write(paths[0], "a ops")
        self.write(paths[1], "a nowhere:ops")
        wait_count(ops, "Ana: a ops")
        wait_count(colon, "Ana: a nowhere:ops")
        self.assertEqual(sub_payloads(ops), ["Ana: a ops"])

if __name__ == "__main__":
    harness.main()
