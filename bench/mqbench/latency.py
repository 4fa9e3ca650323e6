# SPDX-License-Identifier: MIT
"""Latency: one message at a time, publish -> broker -> receive, timed by
bench/latency_floor.c.  The floor is two libmosquitto clients in one process;
mqchat end to end replaces the publisher by a write into mqchat's FIFO and
the subscriber by reading a second mqchat's standard output.  The two half
measurements (mqchat only sending, only receiving) show where time goes.

"same hops" does the mqchat path with mosquitto's own clients in mqchat's
two seats (mosquitto_pub -l reading the FIFO, mosquitto_sub writing the
pipe): the same four processes to wake and the same copies, so it tells
what the path costs apart from what mqchat does.  "mqchat, history off" is
the same path with neither mqchat storing what it sends or shows: the part
of mqchat's figures its history's writes make."""
import os
import select
import subprocess
import time

from . import procs

MODES = {
    "floor": [],
    "mqchat": ["--send-fifo", None, "--recv-stdin"],
    "mqchat send": ["--send-fifo", None],
    "mqchat receive": ["--recv-stdin"],
    "same hops": ["--send-fifo", None, "--recv-stdin"],
    "mqchat, history off": ["--send-fifo", None, "--recv-stdin"],
}
HISTORY_OFF = {"mqchat, history off"}


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


class MosquittoPair:
    """mosquitto_pub -l reading a FIFO and mosquitto_sub writing a pipe,
    both proven working (a line written shows up) before they are timed."""

    def __init__(self, ctx, work, qos):
        self.children = ctx.children
        self.fifo = os.path.join(work, "pub.fifo")
        os.mkfifo(self.fifo, 0o600)
        # Read-write: the FIFO never reaches end of file between rounds.
        fifo_fd = os.open(self.fifo, os.O_RDWR)
        self.sub = procs.client(ctx, "sub", qos, stdout=subprocess.PIPE)
        self.pub = procs.client(ctx, "pub", qos, "-l", stdin=fifo_fd)
        os.close(fifo_fd)
        self.stdout = self.sub.stdout
        deadline = time.monotonic() + 30
        with open(self.fifo, "w") as f:
            while not self._saw_output(0.2):
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("mosquitto_pub/mosquitto_sub never got a line through")
                f.write("probe\n")
                f.flush()

    def _saw_output(self, timeout):
        ready, _, _ = select.select([self.stdout], [], [], timeout)
        if ready:
            os.read(self.stdout.fileno(), 65536)
        return bool(ready)

    def stop(self):
        self.children.stop_all([self.pub, self.sub])
        self.stdout.close()


def one(ctx, mode, qos, history):
    work = ctx.tmpdir(f"lat-{mode.replace(' ', '-')}-q{qos}")
    tx = rx = pair = None
    args = [ctx.latency_bin, "127.0.0.1", str(ctx.broker.port), procs.TOPIC, str(qos),
            str(ctx.rounds), str(ctx.rounds // 10)]
    stdin = subprocess.DEVNULL
    fifo = None
    try:
        if mode == "same hops":
            pair = MosquittoPair(ctx, work, qos)
            fifo, stdin = pair.fifo, pair.stdout
        else:
            if "--send-fifo" in MODES[mode]:
                tx = procs.Mqchat(ctx, work, "tx", history, qos, fifo=True)
                tx.wait_connected()
                fifo = tx.fifo
            if "--recv-stdin" in MODES[mode]:
                rx = procs.Mqchat(ctx, work, "rx", history, qos, stdout=subprocess.PIPE)
                rx.wait_connected()
                stdin = rx.proc.stdout
        extra = [fifo if a is None else a for a in MODES[mode]]
        # The clients started above idle a moment before they are timed
        # (every mode waits alike; the floor's clients are the probe's own,
        # started after the wait).
        # Timed at once after a start, mqchat's QoS 1 p50 was 93-160 µs in
        # 12 passes, after 0.3 s 92-107, the same hops' 94-138 either way
        # (bench/README.md, "Latency right after a start").
        time.sleep(ctx.latency_settle)
        out = ctx.children.run("latency_floor", args + extra, ctx.timeout(ctx.rounds),
                               stdin=stdin)
    finally:
        procs.stop_mqchats([m for m in (tx, rx) if m])
        if pair:
            pair.stop()
    samples = sorted(float(x) for x in out.split())
    return samples, {"p50": percentile(samples, 50), "p90": percentile(samples, 90),
                     "p99": percentile(samples, 99)}


def build_probe(ctx):
    """Compiles latency_floor.c (needs libmosquitto-dev)."""
    ctx.latency_bin = os.path.join(ctx.work, "latency_floor")
    source = os.path.join(ctx.top, "bench", "latency_floor.c")
    ctx.children.run("cc latency_floor.c", [
        os.environ.get("CC", "cc"), "-std=c17", "-O2", "-Wall", "-Wextra", "-D_GNU_SOURCE",
        source, "-lmosquitto", "-o", ctx.latency_bin], 120)


def bench(ctx, results):
    """Each run is `latency_passes` passes of every mode in turn: a pass is
    short (2 000 rounds, ~0.3 s), and where the scheduler puts its four
    processes, drawn anew each pass, moves its p50 by a third on 2 CPUs
    (bench/README.md, "Latency's swing")."""
    build_probe(ctx)
    for qos in (1, 0):
        for run in range(ctx.runs * ctx.latency_passes):
            for mode in MODES:
                samples, r = one(ctx, mode, qos, "off" if mode in HISTORY_OFF else "on")
                results.add("latency", f"{mode} q{qos}", r)
                results.samples.setdefault(f"{mode} q{qos}", []).append(samples)
                ctx.log(f"latency q{qos} {mode}: p50 {r['p50']:.0f} µs p99 {r['p99']:.0f} µs")
