# SPDX-License-Identifier: MIT
"""The classroom client, as its users ran it: python3-paho-mqtt subscribed to
one topic, publishing "<Name>: <text>" for each line of standard input and
printing every payload received, one a line.

    paho_client.py HOST PORT TOPIC NAME [SUBSCRIBE_QOS]

(SUBSCRIBE_QOS: 1 when not given; what it says is always published at
QoS 1.)

Its own lines start with "-- ": "-- subscribed" once the SUBACK is in (from
then on nothing published is missed), "-- sent N" once the broker has
acknowledged the N-th line said."""
import queue
import sys
import threading

import paho.mqtt.client as mqtt


OUT_LOCK = threading.Lock()


def out(line):
    """One line on standard output, whole, from either thread."""
    with OUT_LOCK:
        sys.stdout.buffer.write(line + b"\n")
        sys.stdout.buffer.flush()


def main():
    host, port, topic, name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    sub_qos = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    subscribed = queue.Queue()

    def on_connect(client, userdata, flags, rc):
        client.subscribe(topic, qos=sub_qos)

    def on_message(client, userdata, msg):
        out(msg.payload)

    client = mqtt.Client(protocol=mqtt.MQTTv311)
    client.on_connect = on_connect
    client.on_subscribe = lambda c, u, mid, granted: subscribed.put(granted)
    client.on_message = on_message
    client.connect(host, port, keepalive=60)
    client.loop_start()
    subscribed.get(timeout=60)
    out(b"-- subscribed")
    for n, line in enumerate(sys.stdin.buffer, 1):
        info = client.publish(topic, name.encode() + b": " + line.rstrip(b"\n"), qos=1)
        info.wait_for_publish()
        out(b"-- sent %d" % n)
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    main()
