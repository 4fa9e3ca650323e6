# SPDX-License-Identifier: MIT
"""A broker, or anyone on a cleartext path, sending malformed MQTT 5 packets:
libmosquitto 2.0.11 aborts on an unknown property identifier (it logs it
without a client and fails an assertion), which a property length larger
than the packet reaches by reading the payload as properties.  mqchat drops
such a connection naming the broker and what it sent, reconnects as after
any loss, and loses nothing it was sending.  A scripted server: no real
broker sends these."""
import re
import threading

import harness
from fake_broker import (CONNACK_OK, ClientPublish, FakeBroker, packet, publish, suback,
                         unsuback, utf8, varint)
from mqtt_helpers import LINK_TIMEOUT, STDIN

TOPIC = harness.TOPIC
SAID = "said before the bad packet"

# name -> (bytes the broker sends, what mqchat's line must say)
BAD = {
    "property length past the packet": (
        publish(TOPIC, b"Bob: hi", properties=varint(0x0FFFFFFF)),
        r"malformed PUBLISH .*property length 268435455"),
    "unknown property": (
        publish(TOPIC, b"Bob: hi", properties=varint(2) + b"\x50\x01"),
        r"malformed PUBLISH .*unknown property 0x50"),
    "property cut by its section's end": (
        publish(TOPIC, b"Bob: hi", properties=varint(3) + b"\x02\x00\x00"),
        r"malformed PUBLISH .*property 0x02"),
    "unknown property in a PUBACK": (
        packet(0x40, b"\x7f\x7f\x00" + varint(2) + b"\x50\x01"),
        r"malformed PUBACK .*unknown property 0x50"),
    "unknown property in a DISCONNECT": (
        packet(0xE0, b"\x80" + varint(2) + b"\x50\x01"),
        r"malformed DISCONNECT .*unknown property 0x50"),
    "remaining length of five bytes": (
        b"\x30\xff\xff\xff\xff\x01",
        r"malformed PUBLISH .*remaining length"),
}


class MalformedTest(harness.TestCase):
    def run_script(self, bad):
        """First connection: take mqchat's message without acknowledging
        it, then send `bad`.  Later ones: acknowledge everything, keeping
        the payloads."""
        received = []
        got_said = threading.Event()

        def bad_broker(conn):
            conn.accept_session()
            while True:
                body = conn.expect(3)
                if SAID.encode() in body:
                    break
            conn.send(bad)
            while conn.read_packet() is not None:  # until mqchat hangs up
                pass

        def good_broker(conn):
            conn.accept_session()
            while True:
                got = conn.read_packet()
                if got is None:
                    return
                kind = got[0] >> 4
                if kind == 3:  # QoS 0 too: the presence and its delete
                    message = ClientPublish(*got)
                    received.append(message.payload)
                    if SAID.encode() in message.payload:
                        got_said.set()
                    conn.send(message.ack())
                elif kind == 6:  # PUBREL -> PUBCOMP
                    conn.send(packet(0x70, got[1][:2]))
                elif kind == 8:  # the presence subscription
                    conn.send(suback(got[1]))
                elif kind == 10:  # the presence barrier
                    conn.send(unsuback(got[1]))
                elif kind == 12:
                    conn.send(b"\xd0\x00")

        fake = FakeBroker([bad_broker, good_broker])
        self.cleanups.append(fake.close)
        ini = harness.basic_ini(self.workdir, fake, stdin=STDIN,
                                mqtt={"qos": 1, "reconnect_max": 1})
        m = self.mqchat(ini)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", timeout=LINK_TIMEOUT)
        m.send(SAID)
        return fake, m, got_said, received

    def test_malformed_packets_drop_the_connection_not_mqchat(self):
        for name, (bad, said) in BAD.items():
            with self.subTest(name):
                fake, m, got_said, received = self.run_script(bad)
                at = m.err.wait_for(rf"connection to 127\.0\.0\.1:{fake.port} lost: the "
                                    rf"broker sent a {said}.*; retrying in 1 s",
                                    timeout=LINK_TIMEOUT)
                m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", start=at + 1,
                               timeout=LINK_TIMEOUT)
                self.assertTrue(got_said.wait(LINK_TIMEOUT),
                                "the message in flight was not sent again")
                m.close_stdin()
                self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())
                self.assertEqual(fake.errors, [])
                self.assertNotIn("Assertion", m.err.text())
                fake.close()

    def test_a_bad_connack_is_a_broken_broker(self):
        def broker(conn):
            conn.expect(1)
            conn.send(packet(0x20, b"\x00\x00" + varint(2) + b"\x50\x01"))
            while conn.read_packet() is not None:
                pass

        fake = FakeBroker([broker])
        self.cleanups.append(fake.close)
        ini = harness.basic_ini(self.workdir, fake, stdin=STDIN,
                                mqtt={"reconnect_max": 4, "retry": "on"})
        m = self.mqchat(ini)
        m.err.wait_for(rf"cannot connect to 127\.0\.0\.1:{fake.port}: the broker sent a "
                       r"malformed CONNACK .*unknown property 0x50.*; retrying in 1 s",
                       timeout=LINK_TIMEOUT)
        # and again at the next attempt: alive, backing off
        m.err.wait_for(r"retrying in 2 s", timeout=LINK_TIMEOUT)
        self.assertIsNone(m.proc.poll(), m.err.text())


if __name__ == "__main__":
    harness.main()
