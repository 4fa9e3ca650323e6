# SPDX-License-Identifier: MIT
"""A bridge between the classroom's MQTT room and #tubbies: one mqchat on a
mosquitto and an ngircd, the bridge `lobby` linking
mqtt:conversacionTeletubbies and irc:#tubbies.  The classroom paho
client's "Ana: hola" appears in the channel as "<Ana@mqtt> hola" from the
bridge's nick; the python3-irc client's "hi" appears in the MQTT room as
"bob@irc: hi"; nothing comes back to where it was said (checked with later
lines as fences, not by waiting a while); a long message is split into
lines that each name its sender and fit in 512 bytes; and a CR LF in an
MQTT payload never becomes an IRC command."""
import os
import re

import harness
from irc_helpers import CHANNEL, LINE_MAX, TestCase, irc_section
from rooms_helpers import Classroom, network, sub_payloads, wait_connected, wait_count


class IrcBridgeTest(TestCase):

    def start_bridge(self, server, bob):
        ini = harness.write_ini(os.path.join(self.workdir, "bridge.ini"), {
            "core": {"nick": "bridge", "frontends": "stdin", "backends": "mqtt, irc",
                     "bridges": "lobby", "announce": "off"},
            "mqtt": network(self.broker.port, harness.TOPIC),
            "irc": irc_section(server.port),
            "lobby": {"rooms": f"mqtt:{harness.TOPIC} irc:{CHANNEL}"}})
        m = self.mqchat(ini, name="bridge")
        wait_connected(m, self.broker)
        bob.wait("join", "bridge")
        return m

    def test_classroom_and_irc_talk_across_and_nothing_echoes(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        watcher = self.watch(self.broker, harness.TOPIC)
        ana = Classroom(self, self.broker, harness.TOPIC, "Ana")
        m = self.start_bridge(server, bob)

        ana.say("hola")
        bob.wait("pubmsg", "bridge", "<Ana@mqtt> hola")
        bob.say("hi")
        ana.wait_payload("bob@irc: hi")
        bob.act("waves")
        ana.wait_payload("* bob@irc waves")
        # Fences: a relayed line echoed back would come before these.
        ana.say("fin")
        bob.wait("pubmsg", "bridge", "<Ana@mqtt> fin")
        bob.say("fin bob")
        ana.wait_payload("bob@irc: fin bob")
        wait_count(watcher, "bob@irc: fin bob")

        self.assertEqual(bob.texts("pubmsg", "bridge", CHANNEL),
                         ["<Ana@mqtt> hola", "<Ana@mqtt> fin"])
        self.assertEqual(bob.texts("action", "bridge"), [])
        said = ["Ana: hola", "bob@irc: hi", "* bob@irc waves", "Ana: fin", "bob@irc: fin bob"]
        self.assertEqual(ana.payloads(), said)
        self.assertEqual(sub_payloads(watcher), said)
        self.assertIsNone(m.proc.poll(), m.err.text())

    def test_a_long_relayed_message_is_split_each_line_with_its_sender(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        self.start_bridge(server, bob)
        words = [f"palabra{i}" if i % 4 else f"pingüino{i}" for i in range(300)]
        harness.publish(self.broker, "Ana: " + " ".join(words))
        harness.publish(self.broker, "Ana: fin")
        bob.wait("pubmsg", "bridge", "<Ana@mqtt> fin")
        parts = bob.texts("pubmsg", "bridge", CHANNEL)[:-1]
        self.assertGreaterEqual(len(parts), 5, parts)
        for p in parts:
            self.assertTrue(p.startswith("<Ana@mqtt> "), p)
        self.assertEqual(" ".join(p[len("<Ana@mqtt> "):] for p in parts).split(), words)
        relayed = [r for r in bob.raw if re.match(r"^:bridge!\S+ PRIVMSG ", r)]
        self.assertEqual(len(relayed), len(parts) + 1)
        for r in relayed:
            self.assertLessEqual(len(r.encode()) + 2, LINE_MAX, r)

    def test_crlf_in_an_mqtt_payload_is_no_irc_command(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        self.start_bridge(server, bob)
        harness.publish(self.broker, b"Eve: uno\r\nQUIT :x\r\nPART #tubbies")
        harness.publish(self.broker, b"Eve: dos\x00QUIT :y")
        harness.publish(self.broker, "Eve: fin")
        bob.wait("pubmsg", "bridge", "<Eve@mqtt> fin")
        said = bob.texts("pubmsg", "bridge", CHANNEL)
        self.assertEqual(len(said), 3, said)
        self.assertRegex(said[0], r"^<Eve@mqtt> uno\s+QUIT :x\s+PART #tubbies$")
        self.assertRegex(said[1], r"^<Eve@mqtt> dos\s*QUIT :y$")
        # Still connected and in the channel.
        harness.publish(self.broker, "Eve: otra")
        bob.wait("pubmsg", "bridge", "<Eve@mqtt> otra")
        self.assert_never_quit(bob, "bridge")


if __name__ == "__main__":
    harness.main()
