# SPDX-License-Identifier: MIT
"""A real NATS refuses MQTT 5: mqchat, with no protocol setting, is
answered "unacceptable protocol version" by node 1 of a three-node cluster
(conf/nats/), retries at once with 3.1.1 and says so in one line; then it
chats both ways with the classroom paho client (MQTT 3.1.1, on node 3,
across the cluster), and its own lines, which NATS echoes back (3.1.1 has
no "no local"), are shown once: on a terminal, as typed, never a second
time when the echo comes."""
import re

import harness
from nats_helpers import SLOW, NatsTestCase, PtyChat, fallback_lines

SAID = ["hola desde mqchat", "¿me oye la clase?"]


class FallbackTest(NatsTestCase):

    def test_nats_refuses_5_and_mqchat_chats_at_311(self):
        classroom = self.classroom(3)
        port = self.cluster.mqtt_port(1)
        ana = PtyChat(self, self.ini("ana", "Ana", mqtt={"port": port}), "ana")
        ana.out.wait_for(rf"connected to 127\.0\.0\.1:{port}\b", timeout=SLOW)
        self.assertEqual(len(fallback_lines_of(ana)), 1, ana.out.text())

        for text in SAID:
            ana.line(text)
            classroom.wait_payload(f"Ana: {text}")
        classroom.say("hola, Ana")
        # The classroom spoke after it had Ana's lines: NATS keeps one
        # order for the room, so Ana's echoes reach her before this.
        try:
            ana.out.wait_for(r"Clase: hola, Ana", timeout=SLOW)
        except AssertionError as e:
            self.fail_with_logs(str(e))  # Ana's terminal is in it
        screen = ana.out.text()
        for text in SAID:
            self.assertEqual(screen.count(f"Ana: {text}"), 1, screen)
        self.assertEqual(len(fallback_lines_of(ana)), 1, screen)

    def test_batch_mode_on_node_3(self):
        """The same in batch mode on another node: its standard output shows
        what the others say, so an echo of its own would be a line there."""
        classroom = self.classroom(1)
        port = self.cluster.mqtt_port(3)
        bob = self.mqchat(self.ini("bob", "Bob", mqtt={"port": port}), name="bob")
        self.connected_to(bob, port)
        self.assertEqual(len(fallback_lines(bob)), 1, bob.err.text())
        bob.send("hola, clase")
        classroom.wait_payload("Bob: hola, clase")
        classroom.say("hola, Bob")
        try:
            bob.out.wait_for(r"^Clase: hola, Bob$", timeout=SLOW)
        except AssertionError as e:
            self.fail_with_logs(f"{e}\nBob's stderr:\n{bob.err.text()}")
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
        self.assertNotIn("Bob: hola, clase", bob.out.text())
        self.assertEqual(len(fallback_lines(bob)), 1, bob.err.text())


def fallback_lines_of(pty):
    return re.findall(r"the broker refused MQTT 5; using 3\.1\.1", pty.out.text())


if __name__ == "__main__":
    harness.main()
