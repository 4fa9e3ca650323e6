# SPDX-License-Identifier: MIT
"""Bridge: messages/s relayed from a room on one broker to a room on
another, by mqchat's bridge and by mosquitto's own, side by side.

mqchat:    mosquitto_pub -l -> broker 1, room1 -> mqchat (networks one and
           two, bridge lobby linking one:room1 and two:room2) -> broker 2,
           room2 -> mosquitto_sub > file
mosquitto: mosquitto_pub -l -> broker 1, room1 -> broker 1's bridge
           (`connection`, topic "" out QOS room1 room2) -> broker 2, room2
           -> mosquitto_sub > file

The same lines ("Ana: bench NNNNNNN ..."), at the same QoS end to end,
timed from the start of mosquitto_pub to the moment the receiver's file
holds the last of them.  Before the clock, probes are published on broker 1
until one reaches the receiver: the bridge is up.  Each run has a pair of
brokers of its own: mqchat's sessions are persistent, and a broker kept
between runs would queue the next run's messages for a bridge gone.

mqchat runs with history off: mosquitto's bridge keeps nothing on disk
(persistence false), and the throughput rows already show what history
adds.  mqchat's outbox still holds each relay until broker 2 acknowledges
it (kept over kill -9), so at QoS 1 that cost is in the figure."""
import os
import subprocess
import time

from . import idle, procs, throughput

LINE = "Ana: bench {:07d} lorem ipsum dolor sit amet\n"
MARKER = b": bench "
NICKS = {"mqchat": b"Ana@one", "mosquitto": b"Ana"}  # as broker 2 sees the sender
ROOMS = ("room1", "room2")


class NotRelayed(RuntimeError):
    """The relay under test did not deliver (as opposed to the bench's own
    tools failing)."""


def write_config(path, ports, qos):
    nets = "".join(f"[{net}]\nplugin = mqtt\nhost = 127.0.0.1\nport = {port}\n"
                   f"topic = {room}\nqos = {qos}\n\n"
                   for net, port, room in zip(("one", "two"), ports, ROOMS))
    with open(path, "w") as f:
        f.write("[core]\nbackends = one, two\nbridges = lobby\nfrontends = stdin\n"
                "announce = off\nhistory = off\n\n" + nets
                + f"[lobby]\nrooms = one:{ROOMS[0]} two:{ROOMS[1]}\n\n"
                "[stdin]\nformat = {text}\ncolor = never\n")


class Relay:
    """mqchat bridging room1 on broker 1 and room2 on broker 2, in batch
    mode (stdin a pipe nobody writes); what it prints is dropped, what it
    says on stderr kept in a file."""

    def __init__(self, ctx, work, ports, qos):
        conf = os.path.join(work, "mqchat.ini")
        write_config(conf, ports, qos)
        self.log = os.path.join(work, "mqchat.log")
        with open(self.log, "wb") as err:
            self.proc = ctx.children.spawn(
                "mqchat bridge", [ctx.mqchat, "-c", conf, "-n", "bridge"],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                env=procs.mqchat_env(os.path.join(work, "bridge"), "bridge"))

    def alive(self):
        """Raises if it has exited, with what it said."""
        code = self.proc.poll()
        if code is not None:
            raise NotRelayed(f"mqchat exited {code}: {self.said()}")

    def said(self):
        """The last lines of its stderr, on one line."""
        with open(self.log, errors="replace") as f:
            lines = f.read().strip().splitlines()
        return " / ".join(lines[-3:]) if lines else "nothing on stderr"


def bridge_section(port, qos):
    """mosquitto.conf lines: broker 1 relays room1 to broker 2's room2."""
    return (f"connection bench-bridge\naddress 127.0.0.1:{port}\n"
            f'topic "" out {qos} {ROOMS[0]} {ROOMS[1]}\n')


def check_relayed(out_path, count, nick):
    """Every numbered line once, from `nick`; returns whether in order."""
    with open(out_path, "rb") as f:
        got = [line.split(b": ", 1) for line in f.read().split(b"\n") if MARKER in line]
    texts = [text for _, text in got]
    nicks = {n for n, _ in got}
    if len(texts) != count or len(set(texts)) != count or nicks != {nick}:
        raise RuntimeError(f"{out_path}: {len(texts)} lines, {len(set(texts))} distinct, "
                           f"wanted {count}; senders {sorted(nicks)}, wanted {nick!r}")
    return all(texts[i] < texts[i + 1] for i in range(len(texts) - 1))


def cpu_ns(pids):
    """CPU time of each process so far (ns)."""
    return [idle.counters(pid)[0] for pid in pids]


def relay_and_time(ctx, qos, count, chunks, one, pids, out_path, relay):
    """Waits until the relay works, then times `count` lines through it,
    published on broker `one`.  `pids`: the processes whose CPU time over
    the timed span is the relay's cost (both brokers, and mqchat last)."""
    alive = relay.alive if relay else None
    try:
        throughput.probe(ctx, out_path, one.port, ROOMS[0], alive,
                         f"no probe published on broker 1 ({ROOMS[0]}) reached broker 2 "
                         f"({ROOMS[1]}) within {throughput.PROBE_DEADLINE} s")
        # line_files' chunks: PUB_RUN_MAX lines each, the last one the rest.
        arrivals = [procs.MarkedLines(out_path, MARKER,
                                      min(count, (i + 1) * throughput.PUB_RUN_MAX))
                    for i in range(len(chunks))]
        cpu0, t0 = cpu_ns(pids), time.monotonic()
        procs.publish_lines(ctx, qos, chunks, ctx.timeout(count), one.port, ROOMS[0],
                            arrivals=arrivals)
        t1 = procs.wait_lines(out_path, MARKER, count, ctx.timeout(count),
                              f"broker 2 ({ROOMS[1]})", alive, arrivals[-1])
        cpu1 = cpu_ns(pids)
        in_order = check_relayed(out_path, count, NICKS["mqchat" if relay else "mosquitto"])
    except NotRelayed:
        raise
    except RuntimeError as e:
        said = f"; mqchat's stderr ends: {relay.said()}" if relay else ""
        raise NotRelayed(f"{e}{said}") from None
    used = [(b - a) / 1e3 / count for a, b in zip(cpu0, cpu1)]
    r = {"rate": count / (t1 - t0), "seconds": t1 - t0, "in_order": in_order,
         "cpu_us": sum(used)}
    if relay:
        r["mqchat_cpu_us"] = used[-1]
    return r


def run(ctx, qos, count, chunks, who):
    """One timed run through `who`'s bridge ("mqchat" or "mosquitto") on a
    fresh pair of brokers; returns its figures."""
    work = ctx.tmpdir(f"bridge-{who}-q{qos}")
    out_path = os.path.join(work, "out.txt")
    brokers, clients, relay = [], [], None
    try:
        brokers.append(procs.Broker(work, ctx.children, ctx.broker_command))
        extra = bridge_section(brokers[0].port, qos) if who == "mosquitto" else ""
        brokers.append(procs.Broker(work, ctx.children, ctx.broker_command, extra))
        two, one = brokers
        with open(out_path, "wb") as out:
            clients.append(procs.client(ctx, "sub", qos, port=two.port, topic=ROOMS[1],
                                        stdout=out))
        if who == "mqchat":
            relay = Relay(ctx, work, (one.port, two.port), qos)
            clients.append(relay.proc)
        pids = [b.proc.pid for b in brokers] + ([relay.proc.pid] if relay else [])
        r = relay_and_time(ctx, qos, count, chunks, one, pids, out_path, relay)
        if relay:
            r["rss"] = procs.peak_rss(relay.proc.pid)
        return r
    finally:
        ctx.children.stop_all(clients)  # before the brokers: none waits on one gone
        ctx.children.stop_all([b.proc for b in brokers])
        if relay:
            relay.proc.stdin.close()


def bench(ctx, results):
    """mqchat's bridge, then mosquitto's, run after run.  Once mqchat's does
    not relay, mosquitto's is still measured and the section then fails
    with mqchat's reason."""
    _, _, chunks = throughput.line_files(ctx, ctx.count, LINE, "bridge-lines")
    failure = None
    for qos in (0, 1):
        for _ in range(ctx.runs):
            if not failure:
                try:
                    r = run(ctx, qos, ctx.count, chunks, "mqchat")
                    results.add("bridge", f"mqchat q{qos}", r)
                    ctx.log(f"bridge q{qos} mqchat: {r['rate']:.0f}/s")
                except NotRelayed as e:
                    failure = f"mqchat did not relay: {e}"
                    results.add("bridge", f"mqchat q{qos}", {"failed": 1})
                    ctx.log(failure)
            try:
                r = run(ctx, qos, ctx.count, chunks, "mosquitto")
            except NotRelayed as e:
                reasons = [failure, f"mosquitto's bridge did not relay: {e}"]
                raise RuntimeError("; ".join(filter(None, reasons))) from None
            results.add("bridge", f"mosquitto q{qos}", r)
            ctx.log(f"bridge q{qos} mosquitto: {r['rate']:.0f}/s")
    if failure:
        raise RuntimeError(failure)
