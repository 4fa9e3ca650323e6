# SPDX-License-Identifier: MIT
"""A QoS 1 message the broker sends again, marked DUP, on a connection that
never dropped, later than [core] dedup_window: NATS does so after its
ack_wait when our acknowledgement went to a node that died (the bench's
NATS failover showed a line twice so).  mqchat shows it once, and
acknowledges it; words never seen come through marked or not, and the
same words said again unmarked are shown again.  A scripted server: no
real broker loses an acknowledgement on demand."""
import threading
import time

import harness
from fake_broker import FakeBroker, packet, utf8
from mqtt_helpers import LINK_TIMEOUT, STDIN

TOPIC = harness.TOPIC
DEDUP_WINDOW_S = 1
SENT = [  # (packet id, DUP, line)
    (1, False, "Bob: hola"),
    (2, True, "Bob: hola"),      # the copy NATS sends after ack_wait
    (3, True, "Bob: nueva"),     # marked, but never seen: shown
    (4, False, "Bob: hola"),     # said again: shown
    (5, False, "Bob: fin"),
]
SHOWN = ["Bob: hola", "Bob: nueva", "Bob: hola", "Bob: fin"]


def qos1_publish(pid, dup, text):
    """A QoS 1 PUBLISH of MQTT 5 without properties, DUP set if `dup`."""
    first = 0x3A if dup else 0x32
    return packet(first, utf8(TOPIC) + pid.to_bytes(2, "big") + b"\x00" + text.encode())


class Resender:
    """The broker's side: the first line, then, once the test has seen it
    shown and the digest window has passed, the rest; counts PUBACKs."""

    def __init__(self):
        self.first_shown = threading.Event()
        self.acked = []

    def __call__(self, conn):
        conn.accept_session()
        conn.send(qos1_publish(*SENT[0]))
        self.take_ack(conn)
        if not self.first_shown.wait(60):
            raise AssertionError("the first line was never shown")
        time.sleep(DEDUP_WINDOW_S * 2)  # the copy comes past the window
        for sent in SENT[1:]:
            conn.send(qos1_publish(*sent))
        while len(self.acked) < len(SENT):
            self.take_ack(conn)
        conn.drain()

    def take_ack(self, conn):
        self.acked.append(int.from_bytes(conn.expect(4)[:2], "big"))


class ResentTest(harness.TestCase):
    def test_a_copy_marked_as_sent_again_is_shown_once(self):
        resender = Resender()
        fake = FakeBroker([resender])
        self.cleanups.append(fake.close)
        ini = harness.basic_ini(self.workdir, fake, stdin=STDIN,
                                core={"announce": "off", "dedup_window": DEDUP_WINDOW_S},
                                mqtt={"qos": 1, "presence": "off"})
        m = self.mqchat(ini)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", timeout=LINK_TIMEOUT)
        m.out.wait_for(SENT[0][2])
        resender.first_shown.set()
        done = m.out.wait_for("Bob: fin", timeout=60)
        got = [raw.decode().rstrip("\n") for raw in m.out.wait_count(done + 1)]
        self.assertEqual(got, SHOWN, m.err.text())
        harness.wait_until(lambda: len(resender.acked) == len(SENT), timeout=30,
                           what=f"{len(SENT)} acknowledgements")
        self.assertEqual(sorted(resender.acked), [pid for pid, _, _ in SENT])
        self.assertEqual(fake.errors, [])
        self.assertIsNone(m.proc.poll(), m.err.text())


if __name__ == "__main__":
    harness.main()
