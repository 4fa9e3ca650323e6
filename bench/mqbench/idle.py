# SPDX-License-Identifier: MIT
"""An idle client over a window: CPU time (from /proc/PID/schedstat, in ns,
all threads) and wakeups (context switches of all threads), against
mosquitto_sub.  Also the start-up time: spawn until connected and
subscribed (mqchat: its "connected to" status, printed after the SUBACK;
mosquitto_sub -E: exits once its SUBACK is in)."""
import glob
import subprocess
import time

from . import procs


def counters(pid):
    cpu_ns = switches = 0
    for task in glob.glob(f"/proc/{pid}/task/*"):
        with open(f"{task}/schedstat") as f:
            cpu_ns += int(f.read().split()[0])
        with open(f"{task}/status") as f:
            for line in f:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
    return cpu_ns, switches


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def measure(pid, window):
    time.sleep(1.0)  # let start-up work (history open, SUBACK) settle
    c0, s0 = counters(pid)
    time.sleep(window)
    c1, s1 = counters(pid)
    return {"cpu_ms": (c1 - c0) / 1e6, "wakeups": s1 - s0, "rss": rss_kib(pid)}


def idle_mqchat(ctx):
    work = ctx.tmpdir("idle-mqchat")
    m = procs.Mqchat(ctx, work, "idle", "on", 1, fifo=True)
    try:
        m.wait_connected()
        return measure(m.proc.pid, ctx.idle_window)
    finally:
        m.stop()


def idle_mosquitto(ctx):
    sub = procs.client(ctx, "sub", 1, "-k", "60", stdout=subprocess.DEVNULL)
    try:
        return measure(sub.pid, ctx.idle_window)
    finally:
        ctx.children.stop(sub)


def startup_mqchat(ctx, history):
    work = ctx.tmpdir(f"start-{history}", fresh=False)
    m = procs.Mqchat(ctx, work, "start", history, 1)
    try:
        t1 = m.wait_connected()
    finally:
        m.stop()
    return {"ms": (t1 - m.started) * 1e3}


def startup_mosquitto(ctx):
    t0 = time.monotonic()
    p = procs.client(ctx, "sub", 1, "-E", stdout=subprocess.DEVNULL)
    rc, _ = procs.reap(ctx.children, p, "mosquitto_sub -E", 30)
    t1 = time.monotonic()
    if rc != 0:
        raise RuntimeError(f"mosquitto_sub -E exited {rc}")
    return {"ms": (t1 - t0) * 1e3}


def bench(ctx, results):
    # Both idle clients are measured over the same window, side by side.
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(2) as pool:
        for run in range(ctx.runs):
            a, b = pool.submit(idle_mqchat, ctx), pool.submit(idle_mosquitto, ctx)
            results.add("idle", "mqchat", a.result())
            results.add("idle", "mosquitto_sub", b.result())
            ctx.log(f"idle mqchat: {a.result()}, mosquitto_sub: {b.result()}")
    startup_mqchat(ctx, "on")  # first run creates the state directory and database
    for run in range(ctx.startup_runs):
        for history in ("on", "off"):
            results.add("startup", f"mqchat history {history}", startup_mqchat(ctx, history))
        results.add("startup", "mosquitto_sub", startup_mosquitto(ctx))
    ctx.log("startup done")
