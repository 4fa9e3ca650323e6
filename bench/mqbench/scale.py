# SPDX-License-Identifier: MIT
"""Scale: many mqchat instances in one room on one broker (history on, as
shipped).  A few of them also send, through their FIFOs; every instance
prints what it receives.  Each line carries its send time (CLOCK_MONOTONIC,
shared by all processes), so every delivery gives a latency.

Two passes over the same instances:
- paced: messages at a steady rate well below saturation -> p50/p99 latency;
- burst: every sender's share written at once -> messages/s (and deliveries/s;
  each message reaches every instance but its sender), with the latency
  under that load (mostly queueing)."""
import os
import selectors
import subprocess
import threading
import time

from . import procs


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else 0


class Collector:
    """Reads every instance's output; counts lines and their latencies."""

    def __init__(self, instances):
        self.sel = selectors.DefaultSelector()
        self.partial = {}
        for m in instances:
            fd = m.proc.stdout.fileno()
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ)
            self.partial[fd] = b""
        self.latencies = []
        self.lines = 0

    def until(self, total, timeout):
        deadline = time.monotonic() + timeout
        while self.lines < total:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"scale: {self.lines} of {total} deliveries")
            for key, _ in self.sel.select(min(left, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                now = time.monotonic_ns()
                data = self.partial[key.fd] + chunk
                *complete, self.partial[key.fd] = data.split(b"\n")
                for line in complete:
                    self.lines += 1
                    self.latencies.append((now - int(line.rsplit(b" ", 1)[1])) / 1e3)
        return time.monotonic()


def send_paced(fds, count, rate):
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        os.write(fds[i % len(fds)], f"paced {i} {time.monotonic_ns()}\n".encode())


def bench(ctx, results):
    n, senders = ctx.scale_instances, ctx.scale_senders
    work = ctx.tmpdir("scale")
    instances = []
    try:
        for i in range(n):
            instances.append(procs.Mqchat(ctx.mqchat, work, f"u{i:02d}", ctx.broker.port, "on",
                                          1, fifo=i < senders, stdout=subprocess.PIPE))
        for m in instances:
            m.wait_connected(120)
        fds = [os.open(m.fifo, os.O_WRONLY) for m in instances[:senders]]
        col = Collector(instances)

        paced = ctx.scale_paced
        writer = threading.Thread(target=send_paced, args=(fds, paced, ctx.scale_rate))
        writer.start()
        col.until(paced * (n - 1), ctx.timeout(paced * n))
        writer.join()
        results.add("scale", "paced", {"p50": percentile(col.latencies, 50),
                                       "p99": percentile(col.latencies, 99),
                                       "rate": ctx.scale_rate})
        ctx.log(f"scale paced: p50 {percentile(col.latencies, 50):.0f} µs, "
                f"p99 {percentile(col.latencies, 99):.0f} µs")

        burst = ctx.scale_messages
        col.latencies, col.lines = [], 0
        share = burst // senders
        t0 = time.monotonic()
        for k, fd in enumerate(fds):
            now = time.monotonic_ns()
            os.set_blocking(fd, True)
            # Written by a helper thread per FIFO: a full pipe must not stall reading.
            threading.Thread(target=os.write, args=(fd, "".join(
                f"burst {k}-{j} {now}\n" for j in range(share)).encode())).start()
        t1 = col.until(share * senders * (n - 1), ctx.timeout(burst * n // 10))
        seconds = t1 - t0
        results.add("scale", "burst", {"rate": share * senders / seconds,
                                       "deliveries": share * senders * (n - 1) / seconds,
                                       "p50": percentile(col.latencies, 50),
                                       "p99": percentile(col.latencies, 99)})
        ctx.log(f"scale burst: {share * senders / seconds:.0f} messages/s")
        for fd in fds:
            os.close(fd)
    finally:
        for m in instances:
            m.stop()
