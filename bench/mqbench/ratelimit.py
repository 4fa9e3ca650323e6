# SPDX-License-Identifier: MIT
"""Receiving a flood: N lines from one sender ("eve", mosquitto_pub -l at
QoS 1, in runs of at most 50 000: at QoS 0 it loses lines at full speed,
and so would every receiver), timed from the first publish to the moment the receiver's output
holds a line published after the flood by someone else: the broker forwards
in order, so by then the receiver has taken every message of the flood.
The publisher sets the pace; the receiver's CPU time over that span, per
message, is what rate_limit saves.

mqchat, [core] rate_limit = 20/10s, history on: every message stored, 20 shown
mqchat, rate_limit off, history on:            every message stored and shown
mosquitto_sub:                                 every message printed
"""
import os
import time

from . import idle, procs, throughput

LINE = "eve: flood {:07d} lorem ipsum dolor sit amet\n"
AFTER = "zed: after the flood"
RATE = "20/10s"


def receiver(ctx, who, work, out):
    """`who`: "on", "off" (mqchat's rate_limit) or "mosquitto"; returns
    (what to stop, its pid), subscribed once the probe shows."""
    if who == "mosquitto":
        sub = procs.client(ctx, "sub", 1, stdout=out)
        return sub, sub.pid
    rx = procs.Mqchat(ctx, work, "rx", "on", 1, stdout=out,
                      extra=["-o", f"core.rate_limit={RATE if who == 'on' else 'off'}"])
    rx.wait_connected()
    return rx, rx.proc.pid


def run_one(ctx, who, count, chunks):
    work = ctx.tmpdir(f"rl-{who}")
    out_path = os.path.join(work, "out.txt")
    with open(out_path, "wb") as out:
        rx, pid = receiver(ctx, who, work, out)
    try:
        base = throughput.probe(ctx, out_path)
        cpu0, t0 = idle.counters(pid)[0], time.monotonic()
        procs.publish_lines(ctx, 1, chunks, ctx.timeout(count))
        procs.publish(ctx, AFTER)
        t1 = procs.wait_lines(out_path, AFTER.split(": ")[1].encode(), 1, ctx.timeout(count),
                              f"{who}: the line after the flood")
        cpu1 = idle.counters(pid)[0]
        with open(out_path, "rb") as f:
            f.seek(base)
            shown = sum(b"flood " in line for line in f)
    finally:
        rss = procs.kill_rss(ctx.children, rx) if who == "mosquitto" else rx.stop()[1]
    return {"rate": count / (t1 - t0), "seconds": t1 - t0, "shown": shown, "rx_rss": rss,
            "cpu_us": (cpu1 - cpu0) / 1000 / count}


def check_shown(who, shown, count):
    folded = who == "on"
    if (folded and shown > count // 10) or (not folded and shown != count):
        raise RuntimeError(f"{who}: {shown} of {count} flood lines shown")


def bench(ctx, results):
    count = ctx.count
    _, _, chunks = throughput.line_files(ctx, count, LINE, "flood")
    for run in range(ctx.runs):
        for who in ("on", "off", "mosquitto"):
            r = run_one(ctx, who, count, chunks)
            check_shown(who, r["shown"], count)
            results.add("ratelimit", who, r)
            ctx.log(f"ratelimit {who}: {r['rate']:.0f}/s, {r['shown']} shown")
