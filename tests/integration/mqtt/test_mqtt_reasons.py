# SPDX-License-Identifier: MIT
"""Each way a broker refuses or ends a connection is named for what it is:
MQTT 5 reason codes, MQTT 3.1.1 return codes, a malformed packet, a silent
close; only a silent close soon after connecting suggests another client
with our id (all a 3.1.1 broker says then).  And a topic mqchat cannot
publish to is refused before anything connects.  The refusals come from a
scripted server (a real broker sends each only in a situation hard to set
up: shutting down, busy, banned)."""
import os
import subprocess

import harness
from fake_broker import FakeBroker, packet, varint
from mqtt_helpers import LINK_TIMEOUT, STDIN

EX_UNAVAILABLE = 69
EX_CONFIG = 78
SAME_ID = "same client id"


class ReasonsTest(harness.TestCase):
    def start(self, script, **mqtt):
        fake = FakeBroker([script])
        self.cleanups.append(fake.close)
        keys = {"reconnect_max": 1, "retry": "on"}
        keys.update(mqtt)
        m = self.mqchat(harness.basic_ini(self.workdir, fake, stdin=STDIN, mqtt=keys))
        return fake, m

    def test_mqtt5_disconnect_reason_is_said_without_guessing(self):
        def shutting_down(conn):
            conn.accept_session()
            conn.send(packet(0xE0, b"\x8b" + varint(0)))
            conn.drain()

        fake, m = self.start(shutting_down)
        m.err.wait_for(rf"connection to 127\.0\.0\.1:{fake.port} lost: the broker disconnected "
                       r"us: Server shutting down; retrying in 1 s", timeout=LINK_TIMEOUT)
        self.assertNotIn(SAME_ID, m.err.text())

    def test_mqtt5_session_taken_over_names_the_client_id(self):
        def taken_over(conn):
            conn.accept_session()
            conn.send(packet(0xE0, b"\x8e" + varint(0)))
            conn.drain()

        fake, m = self.start(taken_over)
        self.assertEqual(m.wait(LINK_TIMEOUT), EX_UNAVAILABLE, m.err.text())
        self.assertRegex(m.err.text(), r"another client connected with the same client id "
                         r"mqchat-\S+")

    def test_mqtt5_connack_refusals(self):
        cases = [(0x87, "Not authorized", True), (0x8A, "Banned", True),
                 (0x89, "Server busy", False), (0x97, "Quota exceeded", False)]
        for code, text, permanent in cases:
            with self.subTest(text):
                def refuse(conn, code=code):
                    conn.expect(1)
                    conn.send(packet(0x20, bytes([0, code]) + varint(0)))
                    conn.drain()

                fake, m = self.start(refuse)
                line = rf"cannot connect to 127\.0\.0\.1:{fake.port}: refused: {text}"
                if permanent:
                    self.assertEqual(m.wait(LINK_TIMEOUT), EX_UNAVAILABLE, m.err.text())
                    self.assertRegex(m.err.text(), line)
                else:
                    m.err.wait_for(line + r"; retrying in 1 s", timeout=LINK_TIMEOUT)
                    m.stop()
                self.assertNotIn(SAME_ID, m.err.text())
                fake.close()

    def test_mqtt311_return_codes(self):
        cases = [(4, "bad user name or password"), (5, "not authorised"),
                 (3, "broker unavailable")]
        for code, text in cases:
            with self.subTest(text):
                def refuse(conn, code=code):
                    conn.expect(1)
                    conn.send(packet(0x20, bytes([0, code])))
                    conn.drain()

                fake, m = self.start(refuse, protocol="3.1.1")
                m.err.wait_for(rf"cannot connect to 127\.0\.0\.1:{fake.port}: refused: "
                               rf"Connection Refused: {text}", timeout=LINK_TIMEOUT)
                m.stop()
                self.assertNotIn(SAME_ID, m.err.text())
                fake.close()

    def test_a_silent_close_soon_after_connecting_suggests_another_client(self):
        def close_at_once(conn):
            conn.accept_session(v5=False)

        fake, m = self.start(close_at_once, protocol="3.1.1")
        m.err.wait_for(rf"connection to 127\.0\.0\.1:{fake.port} lost: .*closed.*\(soon after "
                       r"connecting: another client with the same client id\?\); retrying",
                       timeout=LINK_TIMEOUT)

    def test_a_malformed_packet_soon_after_connecting_is_no_client_id_clash(self):
        def malformed(conn):
            conn.accept_session()
            conn.send(packet(0x30, b"\x00\x01t" + varint(2) + b"\x50\x01"))
            conn.drain()

        fake, m = self.start(malformed)
        m.err.wait_for(r"lost: the broker sent a malformed PUBLISH", timeout=LINK_TIMEOUT)
        self.assertNotIn(SAME_ID, m.err.text())


class TopicTest(harness.TestCase):
    def check_refused(self, topic, says):
        ini = harness.basic_ini(self.workdir, self.broker, mqtt={"topic": topic})
        with open(ini) as f:
            line = 1 + next(i for i, l in enumerate(f) if l.startswith("topic"))
        for args in (["--check-config"], []):
            m = self.mqchat(ini, args=args, stdin=subprocess.DEVNULL)
            self.assertEqual(m.wait(), EX_CONFIG, m.err.text())
            self.assertRegex(m.err.text(), rf"{os.path.basename(ini)}:{line}: \[mqtt\] topic: "
                             + says)

    def test_an_empty_topic_is_refused(self):
        self.check_refused("", r"is empty")

    def test_a_topic_with_wildcards_is_refused(self):
        self.check_refused("sala/+/a", r"'sala/\+/a' has a wildcard")
        self.check_refused("sala/#", r"'sala/#' has a wildcard")


if __name__ == "__main__":
    harness.main()
