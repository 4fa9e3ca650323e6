# SPDX-License-Identifier: MIT
"""A bridge between the classroom's MQTT room and #tubbies: one mqchat on a
mosquitto and an ngircd, the bridge `lobby` linking
mqtt:conversacionTeletubbies and irc:#tubbies.  The classroom paho
client's "Ana: hola" appears in the channel as "<Ana@mqtt> hola" from the
bridge's nick; the python3-irc client's "hi" appears in the MQTT room as
"bob@irc: hi"; nothing comes back to where it was said (checked with later
lines as fences, not by waiting a while), and a CR LF in an MQTT payload
never becomes an IRC command."""
import os

import harness
from irc_helpers import CHANNEL, TestCase, irc_section
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
