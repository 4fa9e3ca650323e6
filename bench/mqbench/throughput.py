# SPDX-License-Identifier: MIT
"""Throughput: N lines end to end, timed from the first write to the moment
the receiver's output file holds the last line.

mqchat:    cat lines > FIFO -> mqchat (fifo) -> broker -> mqchat (stdin) > file
mosquitto: mosquitto_pub -l < lines -> broker -> mosquitto_sub > file
Both receivers are subscribed before the clock starts (a probe message is
seen in their file); the mqchat sender is connected before, mosquitto_pub
connects inside the timed span (a few ms of a run of seconds).
"""
import itertools
import os
import time

from . import procs

LINE = "bench {:07d} lorem ipsum dolor sit amet\n"
PROBE_DEADLINE = 30
PUB_RUN_MAX = 50_000  # mosquitto_pub -l at QoS 1 loses lines beyond ~65 535 in flight


def write_lines(path, start, count, line=LINE):
    with open(path, "w") as f:
        f.write("".join(line.format(i) for i in range(start, start + count)))
    return os.path.getsize(path)


def line_files(ctx, count, line=LINE, name="lines"):
    """`count` numbered lines in one file, and again in files of at most
    PUB_RUN_MAX (for mosquitto_pub -l at QoS 1); returns (path, its size,
    [chunk paths])."""
    path = os.path.join(ctx.work, f"{name}-{count}.txt")
    size = write_lines(path, 0, count, line)
    chunks = []
    for start in range(0, count, PUB_RUN_MAX):
        chunk = os.path.join(ctx.work, f"{name}-{count}-{start}.txt")
        write_lines(chunk, start, min(PUB_RUN_MAX, count - start), line)
        chunks.append(chunk)
    return path, size, chunks


PROBE = "probe: ready"  # what probe() publishes


def probe(ctx, out_path, port=None, topic=procs.TOPIC, alive=None,
          failure="receiver never subscribed"):
    """Publish probes until one is in the receiver's file: it is subscribed
    (past a bridge: the bridge relays).  `alive()` raises if what is waited
    for has gone."""
    deadline = time.monotonic() + PROBE_DEADLINE
    while time.monotonic() < deadline:
        if alive:
            alive()
        procs.publish(ctx, PROBE, port, topic)
        t = time.monotonic()
        while time.monotonic() - t < 0.5:
            size = os.path.getsize(out_path)
            if size:
                return size
            time.sleep(0.005)
    raise RuntimeError(failure)


# A probe's line as mosquitto_sub and as mqchat ({text}) print it.
PROBE_LINES = (PROBE.encode(), PROBE.split(": ", 1)[1].encode())


def check_output(out_path, base, count):
    with open(out_path, "rb") as f:
        f.seek(base)
        got = f.read().split(b"\n")[:-1]
    # A probe sent before the first one arrived may land after `base`
    # (across a NATS cluster subscribing takes a while): not a measured line.
    got = [line for line in got if line not in PROBE_LINES]
    if len(got) != count or len(set(got)) != count:
        raise RuntimeError(f"{out_path}: {len(got)} lines, {len(set(got))} distinct, wanted {count}")
    in_order = all(got[i] < got[i + 1] for i in range(len(got) - 1))
    return in_order


def run_mqchat(ctx, qos, history, count, lines_path, size, ports=(None, None),
               topic=procs.TOPIC, timeout=None):
    """`ports`: the sender's and the receiver's broker (NATS nodes); None:
    ctx's broker.  `timeout`: for all of it to arrive (ctx.timeout)."""
    tx_port, rx_port = ports
    timeout = timeout or ctx.timeout(count)
    work = ctx.tmpdir(f"tp-mqchat-q{qos}-{history}")
    out_path = os.path.join(work, "out.txt")
    with open(out_path, "wb") as out:
        rx = procs.Mqchat(ctx, work, "rx", history, qos, stdout=out, port=rx_port, topic=topic)
    tx = procs.Mqchat(ctx, work, "tx", history, qos, fifo=True, port=tx_port, topic=topic)
    try:
        rx.wait_connected()
        tx.wait_connected()
        base = probe(ctx, out_path, tx_port, topic)
        fifo_fd = os.open(tx.fifo, os.O_WRONLY)
        t0 = time.monotonic()
        cat = ctx.children.spawn("cat", ["cat", lines_path], stdout=fifo_fd)
        os.close(fifo_fd)
        t1 = procs.wait_size(out_path, base + size, timeout, "mqchat receiver")
        procs.reap(ctx.children, cat, "cat", timeout)
        in_order = check_output(out_path, base, count)
    finally:
        (tx_rc, tx_rss), (rx_rc, rx_rss) = procs.stop_mqchats([tx, rx])
    return {"rate": count / (t1 - t0), "seconds": t1 - t0, "rx_rss": rx_rss,
            "tx_rss": tx_rss, "in_order": in_order, "codes": (tx_rc, rx_rc)}


def arrivals_of(chunk_paths, out_path, base):
    """For each file of lines, the Arrival in `out_path` (which held `base`
    bytes) of all the lines up to its end: mosquitto_sub prints each as
    it was sent."""
    ends = itertools.accumulate(os.path.getsize(p) for p in chunk_paths)
    return [procs.Arrival(out_path, base + end) for end in ends]


def run_mosquitto(ctx, qos, count, chunk_paths, size, ports=(None, None), topic=procs.TOPIC,
                  extra=(), timeout=None):
    """`ports` and `timeout` as for run_mqchat; `extra`: both clients'
    options ("-V", "311")."""
    tx_port, rx_port = ports
    timeout = timeout or ctx.timeout(count)
    work = ctx.tmpdir(f"tp-mosq-q{qos}")
    out_path = os.path.join(work, "out.txt")
    with open(out_path, "wb") as out:
        sub = procs.client(ctx, "sub", qos, *extra, port=rx_port, topic=topic, stdout=out)
    try:
        base = probe(ctx, out_path, tx_port, topic)
        arrivals = arrivals_of(chunk_paths, out_path, base)
        t0 = time.monotonic()
        pub_rss = procs.publish_lines(ctx, qos, chunk_paths, timeout, tx_port, topic, extra,
                                      arrivals)
        t1 = arrivals[-1].at or procs.wait_size(out_path, base + size, timeout, "mosquitto_sub")
        in_order = check_output(out_path, base, count)
    finally:
        sub_rss = procs.kill_rss(ctx.children, sub)
    return {"rate": count / (t1 - t0), "seconds": t1 - t0, "rx_rss": sub_rss,
            "tx_rss": pub_rss, "in_order": in_order}


def bench(ctx, results):
    count = ctx.count
    lines_path, size, chunks = line_files(ctx, count)
    for qos in (0, 1):
        for run in range(ctx.runs):
            for history in ("on", "off"):
                r = run_mqchat(ctx, qos, history, count, lines_path, size)
                results.add("throughput", f"mqchat q{qos} history {history}", r)
                ctx.log(f"throughput q{qos} mqchat history={history}: {r['rate']:.0f}/s")
            r = run_mosquitto(ctx, qos, count, chunks if qos else [lines_path], size)
            results.add("throughput", f"mosquitto q{qos}", r)
            ctx.log(f"throughput q{qos} mosquitto: {r['rate']:.0f}/s")
    if ctx.big:
        big_path = os.path.join(ctx.work, f"lines-{ctx.big}.txt")
        big_size = write_lines(big_path, 0, ctx.big)
        r = run_mqchat(ctx, 1, "on", ctx.big, big_path, big_size)
        results.add("throughput", "mqchat big", r)
        ctx.log(f"throughput {ctx.big} q1 mqchat history=on: {r['rate']:.0f}/s")
        os.unlink(big_path)
