# SPDX-License-Identifier: MIT
"""A broker that sends QoS 1 messages and stops reading what mqchat sends
back (wedged, or hostile): mqchat's acknowledgements fill the socket, and
from then on mqchat reads nothing more until the broker reads again,
instead of taking message after message and queueing their
acknowledgements in memory without end.  Once the broker reads, every
message arrives, once, in order, and is acknowledged.  A scripted server:
no real broker stops reading a client it is sending to."""
import select
import threading
import time

import harness
from fake_broker import FakeBroker, packet, utf8
from mqtt_helpers import LINK_TIMEOUT, STDIN

TOPIC = harness.TOPIC
LINE = "Bob: {:07d}"


def qos1_publish(i, text):
    pid = (i % 65535 + 1).to_bytes(2, "big")
    return packet(0x32, utf8(TOPIC) + pid + b"\x00" + text.encode())


# Every message the same size: whole messages sent = bytes sent // size.
MESSAGE_SIZE = len(qos1_publish(0, LINE.format(0)))
PUBACK_SIZE = 4
# The broker's socket takes little of what mqchat sends.
BROKER_RCVBUF = 4096


def tcp_buffer_max(name):
    with open(f"/proc/sys/net/ipv4/{name}") as f:
        return int(f.read().split()[2])


# Twice what the kernel lets mqchat's socket buffer at most: messages
# received and not read, and acknowledgements not sent.  A client still
# reading after this many took what it could not acknowledge.
MESSAGES_MAX = 2 * (tcp_buffer_max("tcp_rmem") // MESSAGE_SIZE
                    + tcp_buffer_max("tcp_wmem") // PUBACK_SIZE)
# The broker's socket took nothing for this long: mqchat stopped reading
# (the messages are tiny: it reads faster than the broker makes them).
STILL_S = 3
CHUNK = 2000
# Longer than the test may run (meson's timeout): mqchat sends no PINGREQ.
TEST_KEEPALIVE_S = 600
DONE = "Bob: the broker reads again"


class Flood:
    """The broker's side: after the session is set up, sends numbered QoS 1
    messages without reading until its socket has taken nothing for
    STILL_S (or MESSAGES_MAX went out), then reads mqchat's
    acknowledgements while it sends the rest of what it made and DONE."""

    def __init__(self):
        self.made = 0          # messages made, DONE aside: all are sent
        self.taken = 0         # whole messages the socket took before the broker read
        self.still = False     # the socket stopped taking them
        self.acks = 0          # PUBACKs read
        self.reading = threading.Event()

    def __call__(self, conn):
        conn.accept_session()
        rest = self.send_until_still(conn.sock)
        reader = threading.Thread(target=self.read_acks, args=(conn,), daemon=True)
        reader.start()
        self.reading.set()
        conn.sock.setblocking(True)
        conn.sock.sendall(rest + qos1_publish(self.made, DONE))
        reader.join()

    def send_until_still(self, sock):
        """What was made but not taken when the flood stopped."""
        sock.setblocking(False)
        pending, out = b"", 0
        while out < MESSAGES_MAX * MESSAGE_SIZE:
            if not pending:
                pending = b"".join(qos1_publish(i, LINE.format(i))
                                   for i in range(self.made, self.made + CHUNK))
                self.made += CHUNK
            _, writable, _ = select.select([], [sock], [], STILL_S)
            if not writable:
                self.still = True
                break
            try:
                n = sock.send(pending)
            except BlockingIOError:
                n = 0
            pending = pending[n:]
            out += n
        self.taken = out // MESSAGE_SIZE
        return pending

    def read_acks(self, conn):
        """Counts PUBACKs until mqchat hangs up.  No PINGREQ to answer: the
        test's keepalive outlasts it (an answer sent from this thread could
        land inside the other's sendall)."""
        while True:
            got = conn.read_packet(timeout=None)
            if got is None:
                return
            if got[0] >> 4 == 4:
                self.acks += 1


class UnreadAcksTest(harness.TestCase):
    def start(self, scripts, keepalive):
        fake = FakeBroker(scripts, rcvbuf=BROKER_RCVBUF)
        self.cleanups.append(fake.close)
        ini = harness.basic_ini(self.workdir, fake, stdin=STDIN,
                                core={"history": "off", "announce": "off"},
                                mqtt={"qos": 1, "presence": "off", "keepalive": keepalive})
        m = self.mqchat(ini)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", timeout=LINK_TIMEOUT)
        return fake, m

    def test_a_broker_that_does_not_read_is_not_read_either(self):
        flood = Flood()
        _, m = self.start([flood], keepalive=TEST_KEEPALIVE_S)
        self.assertTrue(flood.reading.wait(300), "the flood never ended")
        self.assertTrue(flood.still,
                        f"mqchat kept reading ({flood.taken} messages) while the broker "
                        "read none of their acknowledgements")
        done = m.out.wait_for(DONE, timeout=300)
        got = [raw.decode().rstrip("\n") for raw in m.out.wait_count(done)[:done]]
        self.assertEqual(len(got), flood.made, "messages lost or shown twice")
        self.assertEqual(got, [LINE.format(i) for i in range(flood.made)])
        harness.wait_until(lambda: flood.acks >= flood.made + 1, timeout=60,
                           what=f"{flood.made + 1} acknowledgements")
        self.assertIsNone(m.proc.poll(), m.err.text())

    def test_a_broker_stuck_for_good_is_left_at_keepalive(self):
        """The broker floods and never reads again: mqchat ends the
        connection by its keepalive, whether it still reads the flood or
        has stopped, says why, and connects again."""
        flood = Flood()
        released = threading.Event()  # the connection is held open until the end

        def stuck(conn):
            conn.accept_session()
            try:
                flood.send_until_still(conn.sock)
            except OSError:
                pass  # mqchat left first: what this test waits for
            released.wait(300)

        def fine(conn):
            conn.accept_session()
            conn.drain()

        self.cleanups.append(released.set)
        fake, m = self.start([stuck, fine], keepalive=5)
        at = m.err.wait_for(rf"connection to 127\.0\.0\.1:{fake.port} lost: the broker stopped "
                            r"answering \(no PINGRESP within keepalive\); retrying",
                            timeout=120)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", start=at + 1,
                       timeout=LINK_TIMEOUT)


if __name__ == "__main__":
    harness.main()
