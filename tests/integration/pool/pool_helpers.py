# SPDX-License-Identifier: MIT
"""Pieces shared by the pool tests (issue #17): the shipped conf/ files read
as they are, a numbered QoS 1 publisher (python3-paho-mqtt, MQTT 3.1.1, as
the classroom client), and what a logger's history holds
(`mqchat --history N --json`)."""
import json
import os
import subprocess
import threading

import paho.mqtt.client as mqtt

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.normpath(os.path.join(HERE, "..", "..", "..", "conf"))
# Two CPUs shared by several test runs: every wait is on an event, bounded
# by this.
SLOW = 3 * harness.DEFAULT_TIMEOUT


def conf_file(name):
    path = os.path.join(CONF, name)
    if not os.path.isfile(path):
        raise AssertionError(f"no {path}")
    return path


class Publisher:
    """A paho client (3.1.1, clean session) publishing at QoS 1 into the
    room, many messages in flight; counts the broker's PUBACKs."""

    def __init__(self, broker, topic=harness.TOPIC, inflight=100, client_id="profe"):
        self.topic = topic
        self.acked = 0
        self.cond = threading.Condition()
        self.client = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(inflight)
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", broker.port, keepalive=60)
        self.client.loop_start()

    def _on_publish(self, client, userdata, mid):
        with self.cond:
            self.acked += 1
            self.cond.notify_all()

    def publish(self, payload):
        info = self.client.publish(self.topic, payload.encode(), qos=1)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise AssertionError(f"paho publish failed: {mqtt.error_string(info.rc)}")

    def wait_acked(self, n, timeout=SLOW):
        """Until the broker has acknowledged `n` messages in all."""
        with self.cond:
            if not self.cond.wait_for(lambda: self.acked >= n, timeout):
                raise AssertionError(f"the broker acknowledged {self.acked} of {n} "
                                     f"messages within {timeout} s")

    def stop(self):
        self.client.disconnect()
        self.client.loop_stop()


def history(m, args=(), n=1000000):
    """The messages in the history of mqchat `m` (its ini and `args`, its
    XDG directories), oldest first, as `mqchat --history N --json` prints
    them."""
    try:
        p = subprocess.run([harness.MQCHAT, "-c", m.ini] + list(args)
                           + ["--history", str(n), "--json"],
                           capture_output=True, timeout=120, env=m.env)
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"mqchat --history still running after 120 s: {e.stderr!r}")
    if p.returncode != 0:
        raise AssertionError(f"mqchat --history exited {p.returncode}: {p.stderr!r}")
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def bridge_pair(tc, via=None):
    """Brokers A and B started from conf/mosquitto-bridge-a.conf and
    conf/mosquitto-bridge-b.conf (their own files, copied): the listeners
    on free loopback ports (the harness's `listener` line stands for the
    file's), persistence in the test's directory, A's bridge to B's port,
    or to `via(B)`'s port (a proxy in front of B).  Started with the
    test, stopped with it; returns (A, B) once the bridge carries the room
    both ways."""
    b = tc.another_broker(broker_conf(tc, "mosquitto-bridge-b.conf"))
    target = via(b) if via else b
    a = tc.another_broker(broker_conf(tc, "mosquitto-bridge-a.conf",
                                      address=f"127.0.0.1:{target.port}"))
    wait_bridge_up(tc, a, b)
    return a, b


def broker_conf(tc, name, **rewrite):
    """The shipped file `name` as broker configuration for the harness:
    its `listener` lines left out (the harness listens on a free port),
    persistence in the test's directory, and each `key value` line of
    `rewrite` given its new value."""
    with open(conf_file(name)) as f:
        text = f.read()
    store = os.path.join(tc.workdir, name + ".d") + "/"
    os.makedirs(store, exist_ok=True)
    rewrite = dict(rewrite, persistence_location=store)
    lines = []
    for line in text.splitlines():
        key = line.split(" ", 1)[0]
        if key == "listener":
            continue
        if key in rewrite:
            line = f"{key} {rewrite.pop(key)}"
        lines.append(line)
    if rewrite:
        raise AssertionError(f"{name} has no {sorted(rewrite)} line to rewrite")
    return "\n".join(lines) + "\nlog_type all\n"


def wait_bridge_up(tc, a, b):
    """Probes below the room (a topic the bridge carries, which no client
    of the test reads) until one has crossed each way."""
    for src, dst in ((b, a), (a, b)):
        topic = f"{harness.TOPIC}/sonda"
        sub = harness.Subscriber(dst, topic=topic)
        try:
            for n in range(1, 61):
                harness.publish(src, f"sonda {n}", topic=topic)
                try:
                    harness.wait_until(lambda: sub.payloads(), timeout=1,
                                       what=f"a probe from {src.port} on {dst.port}")
                    break
                except AssertionError:
                    if n == 60:
                        raise AssertionError("the bridge never carried a probe "
                                             f"from {src.port} to {dst.port}") from None
        finally:
            sub.stop()


class Gate(harness.TcpProxy):
    """A TcpProxy that can be shut: cut() ends every connection, and while
    `shut` each new one is closed at once, as a network that stays down."""

    shut = False

    def _pump(self, client, upstream):
        if self.shut:
            client.close()
            upstream.close()
            return
        super()._pump(client, upstream)


def bridge_state(broker, client_id="mqchat-bridge-from-a"):
    """mosquitto_sub on `broker`'s notification of the bridge's state
    (notifications true: "1" up, "0" down, retained, under the bridge's
    remote_clientid)."""
    return harness.Subscriber(broker, topic=f"$SYS/broker/connection/{client_id}/state")
