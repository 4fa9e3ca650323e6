# SPDX-License-Identifier: MIT
"""Latency: one message at a time, publish -> broker -> receive, timed by
bench/latency_floor.c.  The floor is two libmosquitto clients in one process;
mqchat end to end replaces the publisher by a write into mqchat's FIFO and
the subscriber by reading a second mqchat's standard output.  The two half
measurements (mqchat only sending, only receiving) show where time goes."""
import os
import subprocess

from . import procs

MODES = {
    "floor": [],
    "mqchat": ["--send-fifo", None, "--recv-stdin"],
    "mqchat send": ["--send-fifo", None],
    "mqchat receive": ["--recv-stdin"],
}


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def one(ctx, mode, qos, history):
    work = ctx.tmpdir(f"lat-{mode.replace(' ', '-')}-q{qos}")
    tx = rx = None
    args = [ctx.latency_bin, "127.0.0.1", str(ctx.broker.port), procs.TOPIC, str(qos),
            str(ctx.rounds), str(ctx.rounds // 10)]
    stdin = subprocess.DEVNULL
    try:
        if "--send-fifo" in MODES[mode]:
            tx = procs.Mqchat(ctx.mqchat, work, "tx", ctx.broker.port, history, qos, fifo=True)
            tx.wait_connected()
        if "--recv-stdin" in MODES[mode]:
            rx = procs.Mqchat(ctx.mqchat, work, "rx", ctx.broker.port, history, qos,
                              stdout=subprocess.PIPE)
            rx.wait_connected()
            stdin = rx.proc.stdout
        extra = [tx.fifo if a is None else a for a in MODES[mode]]
        out = subprocess.run(args + extra, stdin=stdin, capture_output=True, check=True,
                             timeout=ctx.timeout(ctx.rounds))
    finally:
        for m in (tx, rx):
            if m:
                m.stop()
    samples = sorted(float(x) for x in out.stdout.split())
    return samples, {"p50": percentile(samples, 50), "p90": percentile(samples, 90),
                     "p99": percentile(samples, 99)}


def bench(ctx, results):
    for qos in (1, 0):
        for run in range(ctx.runs):
            for mode in MODES:
                samples, r = one(ctx, mode, qos, "on")
                results.add("latency", f"{mode} q{qos}", r)
                results.samples.setdefault(f"{mode} q{qos}", []).append(samples)
                ctx.log(f"latency q{qos} {mode}: p50 {r['p50']:.0f} µs p99 {r['p99']:.0f} µs")
