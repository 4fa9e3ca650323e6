# SPDX-License-Identifier: MIT
"""mqchat talks to the clients it must interoperate with: the classroom
paho-mqtt client's plain format, mosquitto_pub and mosquitto_sub, both
directions, over MQTT 5 and 3.1.1."""
import queue

import paho.mqtt.client as mqtt

import harness


class PahoClassroomClient:
    """What the classroom Python client did: subscribe to the room, publish
    "<Name>: <text>", collect every payload received."""

    def __init__(self, broker):
        self.received = queue.Queue()
        self.subscribed = queue.Queue()
        self.client = mqtt.Client(client_id="classroom-paho", protocol=mqtt.MQTTv311)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda c, u, mid, granted: self.subscribed.put(granted)
        self.client.on_message = lambda c, u, msg: self.received.put(msg.payload)
        self.client.connect("127.0.0.1", broker.port, keepalive=60)
        self.client.loop_start()
        self.subscribed.get(timeout=harness.DEFAULT_TIMEOUT)

    def _on_connect(self, client, userdata, flags, rc):
        client.subscribe(harness.TOPIC, qos=1)

    def next_payload(self):
        try:
            return self.received.get(timeout=harness.DEFAULT_TIMEOUT)
        except queue.Empty:
            raise AssertionError("the paho client received nothing") from None

    def publish(self, text):
        info = self.client.publish(harness.TOPIC, text.encode(), qos=1)
        info.wait_for_publish(timeout=harness.DEFAULT_TIMEOUT)
        if not info.is_published():
            raise AssertionError(f"paho could not publish {text!r}")

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


class InteropTest(harness.TestCase):
    def ini(self, nick="Ana", protocol="5", announce="on"):
        return harness.basic_ini(
            self.workdir, self.broker, name=f"{nick}-{protocol}", nick=nick,
            core={"history": "off", "announce": announce},
            mqtt={"protocol": protocol},
            stdin={"format": "{nick}: {text}", "color": "never"})

    def finish(self, m):
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_classroom_paho_client(self):
        paho = PahoClassroomClient(self.broker)
        self.cleanups.append(paho.stop)
        ana = self.mqchat(self.ini())

        # The join announcement is exactly what the classroom client sent.
        self.assertEqual(paho.next_payload(), b"Ana ha entrado al chat")

        paho.publish("Pepe: hola")
        ana.out.wait_for(r"^Pepe: hola$")
        # The classroom client hears itself too (it subscribes to the room).
        self.assertEqual(paho.next_payload(), b"Pepe: hola")

        ana.send("hello")
        self.assertEqual(paho.next_payload(), b"Ana: hello")
        self.finish(ana)
        extra = []
        while not paho.received.empty():
            extra.append(paho.received.get())
        # Leaving may be announced (the counterpart of the join), nothing else.
        self.assertIn(extra, ([], [b"Ana ha salido del chat"]), "paho got more than expected")

    def test_mosquitto_clients_both_ways(self):
        sub = self.subscriber()
        bea = self.mqchat(self.ini(nick="Bea"))
        sub.out.wait_for(r"^Bea ha entrado al chat$")

        harness.publish(self.broker, "Luis: buenas tardes")
        bea.out.wait_for(r"^Luis: buenas tardes$")

        bea.send("qué tal, Luis")
        sub.out.wait_for(r"^Bea: qué tal, Luis$")
        self.finish(bea)

    def test_payload_without_nick_shows_the_topic(self):
        sub = self.subscriber()
        ana = self.mqchat(self.ini())
        sub.out.wait_for(r"^Ana ha entrado al chat$")

        # No "<nick>: " prefix: the sender is unknown, {nick} shows the topic.
        harness.publish(self.broker, "sin remitente")
        ana.out.wait_for(rf"^{harness.TOPIC}: sin remitente$")
        self.finish(ana)

    def own_messages_not_shown(self, protocol):
        sub = self.subscriber()
        ana = self.mqchat(self.ini(protocol=protocol))
        sub.out.wait_for(r"^Ana ha entrado al chat$")

        ana.send("uno")
        ana.send("dos")
        first = sub.out.wait_for(r"^Ana: uno$")
        sub.out.wait_for(r"^Ana: dos$", start=first + 1)
        # The broker has both; whatever it echoes back to Ana reaches her
        # before this later message does.
        harness.publish(self.broker, "Zed: fin")
        ana.out.wait_for(r"^Zed: fin$")
        self.finish(ana)

        out = ana.out.text()
        self.assertNotIn("uno", out, "own message shown in batch mode")
        self.assertNotIn("dos", out, "own message shown in batch mode")
        self.assertNotIn("ha entrado", out, "own announcement shown")
        self.assertEqual(sub.payloads().count(b"Ana: uno"), 1)
        self.assertEqual(sub.payloads().count(b"Ana: dos"), 1)

    def test_own_messages_not_shown_mqtt311(self):
        # MQTT 3.1.1 has no No Local: the broker echoes everything back, so
        # only the core's own-echo filter keeps them off the output.
        self.own_messages_not_shown("3.1.1")

    def test_own_messages_not_shown_mqtt5(self):
        self.own_messages_not_shown("5")


if __name__ == "__main__":
    harness.main()
