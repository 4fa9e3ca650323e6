# SPDX-License-Identifier: MIT
"""History for late joiners (MQTT 5): the time from a joining mqchat's
history request to the last of the 100 messages answered shown on its
terminal, with mqchat's history service (history_service = on, the
messages in its SQLite history) and with a Python one on paho-mqtt
(history_refservice.py, the same messages in memory) answering, in rooms
of their own on the section's broker.

The request's time is when a paho observer subscribed to the room's
R/history/req gets it (the service gets it at the same moment, from the
same broker); the last message's is when the joiner's pseudo-terminal
shows it.  The broker is one of this part's own with `set_tcp_nodelay
true`: otherwise Nagle's algorithm may hold the request back on its way
to the observer, just subscribed (its SUBACK not yet acknowledged), until
after the answer, for ~40 ms.  Each run starts a fresh joiner with an empty history
(history_replay = 100) per service; all 100 must be shown, once each."""
import json
import os
import pty
import select
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from . import procs

HERE = os.path.dirname(os.path.abspath(__file__))
MESSAGES = 100
ROOMS = {"mqchat": "histbench-mqchat", "python": "histbench-python"}
TEXT = "histbench {:03d} lorem ipsum dolor sit amet"


def write_payloads(path):
    """MESSAGES json payloads, one a line, as mqchat's json wire says them."""
    now = int(time.time() * 1000) - MESSAGES
    with open(path, "w") as f:
        for i in range(MESSAGES):
            f.write(json.dumps({"v": 1, "id": f"{0xbe7c0000 + i:016x}", "nick": "Ana",
                                "ts": now + i, "type": "message", "text": TEXT.format(i)},
                               separators=(",", ":")) + "\n")


class Observer:
    """A paho client stamping each request on the rooms' R/history/req."""

    def __init__(self, port):
        self.stamps, self.cond = {}, threading.Condition()
        self.client = mqtt.Client(client_id=f"histbench-observer-{port}")
        subscribed = threading.Event()
        self.client.on_connect = lambda c, u, f, rc: c.subscribe(
            [(f"{room}/history/req", 1) for room in ROOMS.values()])
        self.client.on_subscribe = lambda c, u, mid, granted: subscribed.set()
        self.client.on_message = self.on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if not subscribed.wait(10):
            self.stop()
            raise RuntimeError("the paho observer never subscribed")

    def on_message(self, client, userdata, msg):
        with self.cond:
            self.stamps.setdefault(msg.topic, []).append(time.monotonic())
            self.cond.notify_all()

    def request_time(self, room, nth, timeout):
        """When the room's `nth` request (from 1) came."""
        topic = f"{room}/history/req"
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.stamps.get(topic, [])) >= nth, timeout):
                raise RuntimeError(f"no history request in {room} within {timeout} s")
            return self.stamps[topic][nth - 1]

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


def mqchat_args(ctx, port, room, nick, *extra):
    return [ctx.mqchat, "-n", nick, "-o", "core.frontends=stdin", "-o", "core.announce=off",
            "-o", "stdin.format={text}", "-o", "stdin.color=never", "-o", "mqtt.host=127.0.0.1",
            "-o", f"mqtt.port={port}", "-o", f"mqtt.topic={room}",
            "-o", "mqtt.protocol=5", *extra]


def start_services(ctx, port, work, payloads):
    """mqchat's service, its history filled with the payloads, and the
    Python one, both subscribed; returns their Popens."""
    out = os.path.join(work, "service.out")
    with open(out, "wb") as f:
        service = ctx.children.spawn(
            "mqchat history service",
            mqchat_args(ctx, port, ROOMS["mqchat"], "service", "-o", "mqtt.history_service=on",
                        "-o", "core.history_replay=0", "-o", "mqtt.wire=json"),
            stdin=subprocess.PIPE, stdout=f, stderr=subprocess.PIPE,
            env=procs.mqchat_env(os.path.join(work, "service"), "service"))
    procs.wait_line(service.stderr.fileno(), b"connected to", 30, "the mqchat service")
    procs.publish_lines(ctx, 1, [payloads], 30, port=port, topic=ROOMS["mqchat"])
    procs.wait_lines(out, b"histbench ", MESSAGES, 30, "the mqchat service's history")
    ref = ctx.children.spawn(
        "python history service",
        ["/usr/bin/python3", os.path.join(HERE, "history_refservice.py"), str(port),
         ROOMS["python"], payloads],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    procs.wait_line(ref.stdout.fileno(), b"ready", 30, "the python service")
    return [service, ref]


def read_until(fd, needle, timeout, what):
    """Everything a pseudo-terminal shows until `needle`; (bytes, time)."""
    buf, deadline = b"", time.monotonic() + timeout
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"{what}: not shown within {timeout} s: {buf[-300:]!r}")
        if select.select([fd], [], [], left)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the other side is gone
                chunk = b""
            if not chunk:
                raise RuntimeError(f"{what}: the joiner ended: {buf[-300:]!r}")
            buf += chunk
    return buf, time.monotonic()


def join(ctx, port, work, who, observer, nth):
    """One fresh joiner in `who`'s room; the milliseconds from its request
    to the last answered message on its terminal."""
    room = ROOMS[who]
    home = os.path.join(work, f"joiner-{who}-{nth}")
    env = procs.mqchat_env(home, "joiner")
    env["TERM"] = "xterm"
    master, slave = pty.openpty()
    try:
        joiner = ctx.children.spawn(
            f"mqchat joiner ({who})",
            mqchat_args(ctx, port, room, "joiner", "-o", "core.history_replay=100"),
            stdin=slave, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        slave = None
        asked = observer.request_time(room, nth, 30)
        shown, at = read_until(master, TEXT.format(MESSAGES - 1).encode(), 30,
                               f"the last answer of the {who} service")
        ctx.children.stop(joiner)
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
    missing = [i for i in range(MESSAGES) if shown.count(TEXT.format(i).encode()) != 1]
    if missing:
        raise RuntimeError(f"{who} service: {len(missing)} message(s) not shown exactly once, "
                           f"first {missing[:5]}")
    return (at - asked) * 1e3


def bench(ctx, results):
    work = ctx.tmpdir("history-answer")
    payloads = os.path.join(work, "payloads.jsonl")
    write_payloads(payloads)
    broker = procs.Broker(work, ctx.children, ctx.broker_command, extra="set_tcp_nodelay true\n")
    services, observer = [], None
    try:
        services = start_services(ctx, broker.port, work, payloads)
        observer = Observer(broker.port)
        for run in range(ctx.runs):
            order = ("mqchat", "python") if run % 2 == 0 else ("python", "mqchat")
            for who in order:
                ms = join(ctx, broker.port, work, who, observer, run + 1)
                results.add("history", f"{who} answer", {"answer_ms": ms})
                ctx.log(f"history answer ({who}): {ms:.2f} ms")
    finally:
        if observer:
            observer.stop()
        ctx.children.stop_all(services)
        broker.stop()
