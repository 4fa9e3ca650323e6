# SPDX-License-Identifier: MIT
"""Verified senders (verify = on) on a real mosquitto with a password_file
and conf/mosquitto-acl.conf: a paho client logged in as eve claiming to be
Ana is shown as ~Ana, whether on the classroom topic or under her own
username's level; her try at Ana's level is refused by the broker and
never shown; the real Ana (logged in as ana) is shown as Ana."""
import json
import queue
import re
import subprocess

import paho.mqtt.client as mqtt

import harness
from rooms16_helpers import ROOM, SLOW, AclTestCase, lines_of, password

VERIFY = {"verify": "on"}


class Eve:
    """A paho client (MQTT 5) logged in as eve."""

    def __init__(self, broker):
        self.client = mqtt.Client(client_id="eve-paho", protocol=mqtt.MQTTv5)
        self.client.username_pw_set("eve", password("eve"))
        connected = queue.Queue()
        self.client.on_connect = lambda c, u, flags, rc, props=None: connected.put(rc)
        self.client.connect("127.0.0.1", broker.port, keepalive=60)
        self.client.loop_start()
        rc = connected.get(timeout=SLOW)
        if rc != 0:
            raise AssertionError(f"eve's paho client refused: {rc}")

    def publish(self, topic, payload):
        """Publishes at QoS 1; returns once the broker has answered."""
        info = self.client.publish(topic, payload.encode(), qos=1)
        info.wait_for_publish(timeout=SLOW)
        if not info.is_published():
            raise AssertionError(f"no PUBACK for {topic}")

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()


def json_message(nick, text, msg_id):
    return json.dumps({"v": 1, "id": msg_id, "nick": nick, "type": "message", "text": text})


class VerifyTest(AclTestCase):

    def test_forged_sender_is_unverified_real_one_is_not(self):
        bob = self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        ana = self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        eve = Eve(self.broker)
        self.cleanups.append(eve.stop)

        # On the classroom topic: anyone can write there, nobody is proved.
        eve.publish(ROOM, "Ana: dame tu contraseña")
        # Under Ana's username: the ACL refuses it (a PUBACK saying so).
        eve.publish(f"{ROOM}/u/ana", "Ana: esto no lo ve nadie")
        eve.publish(f"{ROOM}/u/ana", json_message("Ana", "esto tampoco", "eve-forged-1"))
        # Under her own username, claiming another nick.
        eve.publish(f"{ROOM}/u/eve", json_message("Ana", "soy Ana de verdad", "eve-2"))
        ana.send("hola, soy yo")

        bob.out.wait_for(r"^~Ana: dame tu contraseña$", timeout=SLOW)
        bob.out.wait_for(r"^~Ana: soy Ana de verdad$", timeout=SLOW)
        bob.out.wait_for(r"^Ana: hola, soy yo$", timeout=SLOW)
        # A fence: eve's refused publications were answered before her
        # next one; say one more and wait for it.
        eve.publish(ROOM, "Eve: fin")
        bob.out.wait_for(r"^~Eve: fin$", timeout=SLOW)

        shown = lines_of(bob.out)
        self.assertNotIn("esto no lo ve nadie", bob.out.text(), shown)
        self.assertNotIn("esto tampoco", bob.out.text(), shown)
        # Each shown once; the real Ana never marked, the forgeries always.
        self.assertEqual(shown.count("Ana: hola, soy yo"), 1, shown)
        self.assertNotIn("~Ana: hola, soy yo", shown)
        self.assertNotIn("Ana: dame tu contraseña", shown)
        self.assertNotIn("Ana: soy Ana de verdad", shown)
        # The broker refused eve's publications under ana's level.
        denied = re.findall(rf"Denied PUBLISH from eve-paho .*'{ROOM}/u/ana'",
                            self.broker_log())
        self.assertEqual(len(denied), 2, self.broker_log()[-3000:])

    def test_json_output_says_verified(self):
        """--history --json of the receiver: "verified" true for the real
        Ana, false for eve's claim."""
        bob = self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        ana = self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        eve = Eve(self.broker)
        self.cleanups.append(eve.stop)
        eve.publish(ROOM, "Ana: falsa")
        ana.send("verdadera")
        bob.out.wait_for(r"^~Ana: falsa$", timeout=SLOW)
        bob.out.wait_for(r"^Ana: verdadera$", timeout=SLOW)
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
        out = subprocess.run(
            [harness.MQCHAT, "-c", bob.ini, "--history", "100", "--json"], env=bob.env,
            capture_output=True, timeout=SLOW)
        self.assertEqual(out.returncode, 0, out.stderr)
        rows = [json.loads(line) for line in out.stdout.decode().splitlines()]
        verified = {r["text"]: r.get("verified", True) for r in rows
                    if r.get("nick") == "Ana" and r.get("type") == "message"}
        self.assertEqual(verified, {"falsa": False, "verdadera": True}, rows)


if __name__ == "__main__":
    harness.main()
