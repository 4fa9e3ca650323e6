#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The measuring stick of bench/run's history section, not product code: a
history service on Debian's python3-paho-mqtt (MQTT 5), doing the job
mqchat's history_service does, with the messages in memory.

  history_refservice.py PORT ROOM MESSAGES_FILE

Holds the json payloads of MESSAGES_FILE (one a line) and subscribes to
$share/refhistory/ROOM/history/req on 127.0.0.1:PORT; prints "ready" once
subscribed.  A request {"v":1,"last":N} or {"v":1,"since":MS} with a
response topic below ROOM/history/ans/ and correlation data is answered
as mqchat answers it: the last N (at most 200) payloads, each at QoS 1 to
the response topic with the request's correlation data, then
{"v":1,"end":true,"count":K}."""
import json
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

MAX_MESSAGES = 200


def asked(payload):
    """How many of the last messages a request asks for; None if it is none."""
    try:
        req = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(req, dict) or req.get("v") != 1:
        return None
    last, since = req.get("last"), req.get("since")
    if isinstance(last, int) and last >= 1:
        return min(last, MAX_MESSAGES)
    return MAX_MESSAGES if isinstance(since, int) and since >= 0 else None


def main():
    port, room, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(path, "rb") as f:
        messages = [line.rstrip(b"\n") for line in f if line.strip()]
    client = mqtt.Client(client_id=f"refhistory-{port}", protocol=mqtt.MQTTv5)

    def on_connect(c, userdata, flags, rc, props=None):
        c.subscribe(f"$share/refhistory/{room}/history/req", qos=1)

    def on_subscribe(c, userdata, mid, granted, props=None):
        print("ready", flush=True)

    def on_message(c, userdata, msg):
        props = getattr(msg, "properties", None)
        topic = getattr(props, "ResponseTopic", None)
        corr = getattr(props, "CorrelationData", None)
        n = asked(msg.payload)
        if (n is None or not topic or not topic.startswith(f"{room}/history/ans/")
                or "+" in topic or "#" in topic or not corr or len(corr) > 64):
            return
        out = Properties(PacketTypes.PUBLISH)
        out.CorrelationData = corr
        chosen = messages[-n:]
        for payload in chosen:
            c.publish(topic, payload, qos=1, properties=out)
        end = json.dumps({"v": 1, "end": True, "count": len(chosen)}, separators=(",", ":"))
        c.publish(topic, end, qos=1, properties=out)

    client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
    client.connect("127.0.0.1", port)
    client.loop_forever()


if __name__ == "__main__":
    main()
