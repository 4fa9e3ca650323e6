# SPDX-License-Identifier: MIT
"""IRC: messages/s and latency from an MQTT room to an IRC channel through
a bridge, mqchat's and a small Python one side by side.

mqchat:    publisher -> mosquitto, topic tubbies -> mqchat (networks mqtt
           and irc, bridge lobby linking mqtt:tubbies and irc:#tubbies)
           -> ngircd, #tubbies -> irc_reader.py > file
reference: the same, with irc_refbridge.py (python3-paho-mqtt and
           python3-irc, one select() loop) in mqchat's place

Both send "<Ana@mqtt> text" from their own nick; QoS 1 on the MQTT side.
The receiver is a raw-socket IRC client (irc_reader.py) that stamps each
line with CLOCK_MONOTONIC as it reads it.  ngircd runs with `[Limits]
MaxPenaltyTime = 0`: by default it reads a client at about three lines a
second, which would measure ngircd's flood control, not the bridges.

Throughput: `irc_messages` lines published with mosquitto_pub -l, timed
from its start to the moment the receiver has the last of them.  Latency:
`irc_paced` messages published one at a time with paho at `irc_rate` a
second, each carrying its publish time; latency = the receiver's stamp
minus it.  Each run has a fresh mosquitto and ngircd of its own (mqchat's
MQTT session is persistent)."""
import os
import statistics
import subprocess
import threading
import time

import paho.mqtt.client as mqtt

from . import bridge, idle, procs, throughput

HERE = os.path.dirname(os.path.abspath(__file__))
TOPIC, CHANNEL = "tubbies", "#tubbies"
LINE = "Ana: bench {:07d} lorem ipsum dolor sit amet\n"
MARKER, LATENCY_MARKER = b" :<Ana@mqtt> bench ", b" :<Ana@mqtt> lat "
NICKS = {"mqchat": "mqbridge", "python": "refbridge"}  # ngircd's NICKLEN is 9
QOS = 1


class Ngircd:
    """ngircd on 127.0.0.1, penalties off, started and stopped by pid."""

    def __init__(self, work, children):
        self.children = children
        self.port = procs.free_port()
        folder = os.path.join(work, f"ngircd-{self.port}")
        os.makedirs(folder, exist_ok=True)
        # Started as root it runs as nobody, which must reach its folder
        # (to write its PidFile) through the bench's own temporary ones.
        for path in (os.path.dirname(work), work):
            os.chmod(path, 0o755)
        os.chmod(folder, 0o777)
        conf = os.path.join(folder, "ngircd.conf")
        with open(conf, "w") as f:
            f.write(f"[Global]\nName = bench.irc\nInfo = mqchat bench\nListen = 127.0.0.1\n"
                    f"Ports = {self.port}\nPidFile = {folder}/ngircd.pid\n"
                    "[Limits]\nMaxPenaltyTime = 0\nMaxConnectionsIP = 0\n"
                    "[Options]\nPAM = no\nIdent = no\nDNS = no\n")
        self.proc = children.spawn("ngircd", ["ngircd", "-n", "-f", conf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.wait_listening(self.port, self.proc, children, "ngircd")


def write_config(path, mqtt_port, irc_port):
    with open(path, "w") as f:
        f.write(f"[core]\nbackends = mqtt, irc\nbridges = lobby\nfrontends = stdin\n"
                "announce = off\nhistory = off\n\n"
                f"[mqtt]\nhost = 127.0.0.1\nport = {mqtt_port}\ntopic = {TOPIC}\nqos = {QOS}\n\n"
                f"[irc]\nhost = 127.0.0.1\nport = {irc_port}\ntls = off\nrooms = {CHANNEL}\n\n"
                f"[lobby]\nrooms = mqtt:{TOPIC} irc:{CHANNEL}\n\n"
                "[stdin]\nformat = {text}\ncolor = never\n")


def start_relay(ctx, who, work, broker, ircd):
    """mqchat (batch mode, stdin a pipe nobody writes) or the Python bridge;
    returns (Popen, its stderr file)."""
    log = os.path.join(work, f"{who}.log")
    with open(log, "wb") as err:
        if who == "mqchat":
            conf = os.path.join(work, "mqchat.ini")
            write_config(conf, broker.port, ircd.port)
            proc = ctx.children.spawn(
                "mqchat irc bridge", [ctx.mqchat, "-c", conf, "-n", NICKS[who]],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                env=procs.mqchat_env(os.path.join(work, "bridge"), NICKS[who]))
        else:
            proc = ctx.children.spawn(
                "python irc bridge",
                ["/usr/bin/python3", os.path.join(HERE, "irc_refbridge.py"), str(broker.port),
                 TOPIC, str(QOS), str(ircd.port), NICKS[who], CHANNEL],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
    return proc, log


def wait_for(path, needle, deadline_s, what, alive):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        alive()
        with open(path, "rb") as f:
            if needle in f.read():
                return
        time.sleep(0.01)
    raise RuntimeError(f"{what} within {deadline_s} s")


def probe(ctx, broker, out_path, alive):
    """Publishes probes until one reaches the channel: the bridge relays."""
    deadline = time.monotonic() + throughput.PROBE_DEADLINE
    while time.monotonic() < deadline:
        procs.publish(ctx, throughput.PROBE, broker.port, TOPIC)
        try:
            return wait_for(out_path, b":<probe@mqtt> ready", 0.5, "", alive)
        except RuntimeError:
            continue
    raise bridge.NotRelayed(f"no probe on MQTT reached {CHANNEL} within "
                            f"{throughput.PROBE_DEADLINE} s")


def received(out_path, marker):
    """[(receiver's ns, text after the marker)] of the lines holding it."""
    with open(out_path, "rb") as f:
        got = [line.split(b" ", 1) for line in f.read().split(b"\n") if marker in line]
    return [(int(ns), line.split(marker, 1)[1]) for ns, line in got]


def check_all(got, count, what):
    """Every numbered line once and in order, or RuntimeError."""
    numbers = [int(text.split(b" ", 1)[0]) for _, text in got]
    if numbers != list(range(count)):
        missing = sorted(set(range(count)) - set(numbers))
        raise RuntimeError(f"{what}: {len(numbers)} lines of {count}, {len(set(numbers))} "
                           f"distinct, in order: {numbers == sorted(numbers)}; "
                           f"first missing {missing[:5]}")


def publish_paced(port, count, rate):
    """`count` messages, one every 1/`rate` s, each "Ana: lat N T" with T
    the CLOCK_MONOTONIC ns at which it was handed to paho."""
    client = mqtt.Client(client_id=f"bench-paced-{port}", clean_session=True)
    connected = threading.Event()
    client.on_connect = lambda c, userdata, flags, rc: connected.set()
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        if not connected.wait(10):
            raise RuntimeError("paho publisher never connected")
        start = time.monotonic()
        for i in range(count):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            client.publish(TOPIC, f"Ana: lat {i:05d} {time.monotonic_ns()}", qos=QOS)
    finally:
        client.loop_stop()
        client.disconnect()


def percentile(sorted_values, p):
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def measure(ctx, relay, broker, out_path, chunks, alive):
    """Throughput, then latency, through a relay already relaying."""
    count, paced = ctx.irc_messages, ctx.irc_paced
    timeout = 60 + count / 20
    cpu0, t0 = idle.counters(relay.pid)[0], time.monotonic()
    procs.publish_lines(ctx, QOS, chunks, timeout, broker.port, TOPIC)
    t1 = procs.wait_lines(out_path, MARKER, count, timeout, f"{CHANNEL} (bench lines)", alive)
    cpu1 = idle.counters(relay.pid)[0]
    check_all(received(out_path, MARKER), count, "throughput")
    publish_paced(broker.port, paced, ctx.irc_rate)
    procs.wait_lines(out_path, LATENCY_MARKER, paced, 30 + paced / ctx.irc_rate,
                     f"{CHANNEL} (paced lines)", alive)
    got = received(out_path, LATENCY_MARKER)
    check_all(got, paced, "latency")
    lat = sorted((ns - int(text.split(b" ")[1])) / 1e6 for ns, text in got)
    return {"rate": count / (t1 - t0), "seconds": t1 - t0, "cpu_us": (cpu1 - cpu0) / 1e3 / count,
            "p50": percentile(lat, 50), "p99": percentile(lat, 99),
            "mean": statistics.mean(lat)}


def run(ctx, who, chunks):
    """One run through `who`'s bridge ("mqchat" or "python") on a fresh
    mosquitto and ngircd; returns its figures."""
    work = ctx.tmpdir(f"irc-{who}")
    out_path = os.path.join(work, "channel.txt")
    open(out_path, "wb").close()
    started = []
    try:
        broker = procs.Broker(work, ctx.children, ctx.broker_command)
        started.append(broker.proc)
        ircd = Ngircd(work, ctx.children)
        started.append(ircd.proc)
        reader = ctx.children.spawn(
            "irc reader", ["/usr/bin/python3", os.path.join(HERE, "irc_reader.py"),
                           str(ircd.port), "reader", CHANNEL, out_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.insert(0, reader)
        wait_for(out_path, b"# joined", 30, "the reader never joined", lambda: None)
        relay, log = start_relay(ctx, who, work, broker, ircd)
        started.insert(0, relay)

        def alive():
            code = relay.poll()
            if code is not None:
                with open(log, errors="replace") as f:
                    said = " / ".join(f.read().strip().splitlines()[-3:])
                raise bridge.NotRelayed(f"{who} exited {code}: {said or 'nothing on stderr'}")

        probe(ctx, broker, out_path, alive)
        r = measure(ctx, relay, broker, out_path, chunks, alive)
        r["rss"] = procs.peak_rss(relay.pid)
        return r
    finally:
        ctx.children.stop_all(started[:-2])  # the clients before the servers
        ctx.children.stop_all(started[-2:])


def bench(ctx, results):
    """mqchat's bridge, then the Python one, run after run."""
    _, _, chunks = throughput.line_files(ctx, ctx.irc_messages, LINE, "irc-lines")
    for _ in range(ctx.runs):
        for who in ("mqchat", "python"):
            r = run(ctx, who, chunks)
            results.add("irc", who, r)
            ctx.log(f"irc {who}: {r['rate']:.0f}/s, p50 {r['p50']:.2f} ms")
