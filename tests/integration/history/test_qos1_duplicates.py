# SPDX-License-Identifier: MIT
"""QoS 1 duplicates forced by a broker restart before the PUBACK show once.

A paho publisher (clean_session False) talks to the broker through a proxy
that swallows the broker's PUBACKs.  The broker (with persistence) is
restarted; once the receivers are back, the publisher reconnects and sends
its unacknowledged messages again with DUP set, and the broker delivers them
a second time.  A raw mosquitto_sub proves that the copies went out, and a
control mqchat with no digest window shows the plain one twice: so the
duplicates really reach mqchat, and the instances under test (plain wire and
json wire) show each message once."""
import json
import queue
import threading

import paho.mqtt.client as mqtt

import harness
from history_helpers import (SLOW, PersistentBrokerTest, PubackSwallowingProxy, batch_ini,
                             connections, shown, wait_connected)

PLAIN = "Pepe: dos veces no"
JSON_TEXT = "json dos veces no"
JSON = json.dumps({"v": 1, "id": "0123456789abcdef", "nick": "Pepe", "ts": 1767323045000,
                   "type": "message", "text": JSON_TEXT}, separators=(",", ":"))


class UnackedPublisher:
    """A QoS 1 publisher with a persistent session, whose network loop runs
    on a thread the test pauses: it reconnects only when told to.  (paho's
    own loop_stop() waits for every message to be acknowledged: forever.)"""

    def __init__(self, port):
        self.connacks = queue.Queue()
        self.client = mqtt.Client(client_id="dup-publisher", clean_session=False,
                                  protocol=mqtt.MQTTv311)
        self.client.on_connect = lambda c, u, flags, rc: self.connacks.put(rc)
        self.thread = None
        self.client.connect("127.0.0.1", port, keepalive=60)
        self.resume()

    def _run(self):
        while self.running:
            self.client.loop(timeout=0.05)

    def resume(self):
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        try:
            rc = self.connacks.get(timeout=SLOW)
        except queue.Empty:
            raise AssertionError("the publisher got no CONNACK") from None
        if rc != 0:
            raise AssertionError(f"the publisher was refused: {rc}")

    def publish(self, payload):
        return self.client.publish(harness.TOPIC, payload.encode(), qos=1)

    def pause(self):
        self.running = False
        self.thread.join()

    def reconnect(self):
        self.client.reconnect()  # marks what waits for a PUBACK as DUP
        self.resume()

    def stop(self):
        if self.thread and self.thread.is_alive():
            self.pause()
        self.client.disconnect()


class Qos1DuplicatesTest(PersistentBrokerTest):
    def test_redelivered_after_broker_restart_shown_once(self):
        raw = self.subscriber(extra=("-c", "-i", "raw-watcher"))
        receivers = [
            self.mqchat(batch_ini(self, "Plain", core={"announce": "off"},
                                  mqtt={"wire": "plain"}), name="Plain"),
            self.mqchat(batch_ini(self, "Json", core={"announce": "off"},
                                  mqtt={"wire": "json"}), name="Json"),
        ]
        # Without a digest window a plain repeat counts as new: what it
        # shows is what reached mqchat.
        control = self.mqchat(batch_ini(self, "Control",
                                        core={"announce": "off", "history": "off",
                                              "dedup_window": "0"}), name="Control")
        everyone = receivers + [control]
        for m in everyone:
            wait_connected(m)

        proxy = PubackSwallowingProxy(self.broker.port)
        self.cleanups.append(proxy.close)
        publisher = UnackedPublisher(proxy.port)
        self.cleanups.append(publisher.stop)
        sent = [publisher.publish(PLAIN), publisher.publish(JSON)]
        for m in everyone:
            m.out.wait_for(rf"^{PLAIN}$", timeout=SLOW)
            m.out.wait_for(rf"^Pepe: {JSON_TEXT}$", timeout=SLOW)
        harness.wait_until(lambda: proxy.swallowed >= 2, SLOW, "both PUBACKs swallowed")
        self.assertFalse(any(info.is_published() for info in sent), "a PUBACK got through")

        publisher.pause()
        self.broker.restart()
        for m in everyone:
            wait_connected(m, times=2)
        publisher.reconnect()  # sends both again

        def copies(payload):
            return raw.payloads().count(payload.encode())
        try:
            harness.wait_until(lambda: copies(PLAIN) == 2 and copies(JSON) == 2, SLOW,
                               "the raw subscriber to get both messages twice")
        except AssertionError as e:
            raise AssertionError(f"{e}; it got {raw.payloads()}") from None
        # The broker delivers in order: a duplicate would be shown before this.
        harness.publish(self.broker, "Zed: fin")
        for m in everyone:
            m.out.wait_for(r"^Zed: fin$", timeout=SLOW)

        self.assertEqual(shown(control, PLAIN), 2,
                         "the control instance did not receive the redelivery:\n"
                         + control.out.text())
        self.assertEqual(shown(control, f"Pepe: {JSON_TEXT}"), 1, "a json id never expires")
        for m in receivers:
            self.assertEqual(shown(m, PLAIN), 1, f"{m.name}:\n{m.out.text()}")
            self.assertEqual(shown(m, f"Pepe: {JSON_TEXT}"), 1, f"{m.name}:\n{m.out.text()}")
            self.assertEqual(connections(m), 2, m.err.text())
        for m in everyone:
            m.close_stdin()
            self.assertEqual(m.wait(SLOW), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
