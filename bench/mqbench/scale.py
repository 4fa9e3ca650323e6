# SPDX-License-Identifier: MIT
"""Scale: many mqchat instances in one room on one broker (history on, as
shipped).  A few of them also send, through their FIFOs; every instance
prints what it receives.  Each line carries its send time (CLOCK_MONOTONIC,
shared by all processes), so every delivery gives a latency.

Two passes over the same instances, then over the same room made of
mosquitto's clients (mosquitto_sub for every instance, mosquitto_pub -l for
every sender), read by the same collector:
- paced: messages at a steady rate well below saturation -> p50/p99 latency;
- burst: every sender's share written at once -> messages/s (and deliveries/s;
  each message reaches every instance but its sender), with the latency
  under that load (mostly queueing)."""
import os
import select
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


def send_paced(fds, count, rate, stopping):
    start = time.monotonic()
    for i in range(count):
        due = start + i / rate
        if stopping.wait(max(0.0, due - time.monotonic())):
            return
        os.write(fds[i % len(fds)], f"paced {i} {time.monotonic_ns()}\n".encode())


class Senders:
    """The senders' input (FIFOs or pipes) and the threads writing them.
    close() stops the threads before the descriptors are closed: a thread
    must never write to a number the process has since reused."""

    def __init__(self):
        self.fds = []
        self.threads = []
        self.stopping = threading.Event()

    def start(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(t)
        t.start()
        return t

    def close(self):
        """Call once the readers are gone: a blocked write then fails."""
        self.stopping.set()
        for t in self.threads:
            t.join(10)
        for fd in self.fds:
            os.close(fd)
        self.fds = []


def write_all(fd, data):
    try:
        os.write(fd, data)
    except OSError:
        pass  # the reader is gone: the section has failed already


def passes(ctx, results, name, readers, senders, copies):
    """The paced and the burst pass: `senders` write the senders' input,
    `readers` are the processes whose stdout prints what arrives; `copies`:
    deliveries of each message."""
    fds = senders.fds
    col = Collector(readers)
    paced = ctx.scale_paced
    writer = senders.start(send_paced, fds, paced, ctx.scale_rate, senders.stopping)
    col.until(paced * copies, ctx.timeout(paced * copies // 10))
    writer.join()
    results.add("scale", f"{name} paced", {"p50": percentile(col.latencies, 50),
                                            "p99": percentile(col.latencies, 99)})
    ctx.log(f"scale {name} paced: p50 {percentile(col.latencies, 50):.0f} µs, "
            f"p99 {percentile(col.latencies, 99):.0f} µs")

    col.latencies, col.lines = [], 0
    share = ctx.scale_messages // len(fds)
    t0 = time.monotonic()
    for k, fd in enumerate(fds):
        now = time.monotonic_ns()
        os.set_blocking(fd, True)
        # Written by a helper thread per sender: a full pipe must not stall reading.
        senders.start(write_all, fd, "".join(
            f"burst {k}-{j} {now}\n" for j in range(share)).encode())
    sent = share * len(fds)
    t1 = col.until(sent * copies, ctx.timeout(sent * copies // 10))
    seconds = t1 - t0
    results.add("scale", f"{name} burst", {"rate": sent / seconds,
                                            "deliveries": sent * copies / seconds,
                                            "p50": percentile(col.latencies, 50),
                                            "p99": percentile(col.latencies, 99)})
    ctx.log(f"scale {name} burst: {sent / seconds:.0f} messages/s")


def bench_mqchat(ctx, results):
    n, senders = ctx.scale_instances, ctx.scale_senders
    work = ctx.tmpdir("scale")
    instances = []
    inputs = Senders()
    try:
        for i in range(n):
            instances.append(procs.Mqchat(ctx, work, f"u{i:02d}", "on", 1, fifo=i < senders,
                                          stdout=subprocess.PIPE))
        for m in instances:
            m.wait_connected(120)
        inputs.fds = [os.open(m.fifo, os.O_WRONLY) for m in instances[:senders]]
        # A sender does not print its own lines: n - 1 copies of each.
        passes(ctx, results, "mqchat", instances, inputs, n - 1)
    finally:
        procs.stop_mqchats(instances)
        inputs.close()


class Client:
    """mosquitto_sub or mosquitto_pub -l at QoS 1, in the Collector's shape."""

    def __init__(self, ctx, tool, *extra, **kw):
        self.proc = procs.client(ctx, tool, 1, *extra, **kw)


def wait_subscribed(ctx, subs):
    """Publishes probes until each subscriber has printed one, and reads them
    away."""
    waiting = {s.proc.stdout.fileno() for s in subs}
    deadline = time.monotonic() + 60
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"scale: {len(waiting)} mosquitto_sub never subscribed")
        procs.publish(ctx, "probe")
        ready, _, _ = select.select(list(waiting), [], [], 0.3)
        for fd in ready:
            os.read(fd, 1 << 16)
            waiting.discard(fd)
    time.sleep(0.3)  # probes still on their way to the others
    for s in subs:
        os.set_blocking(s.proc.stdout.fileno(), False)
        try:
            os.read(s.proc.stdout.fileno(), 1 << 16)
        except BlockingIOError:
            pass


def bench_mosquitto(ctx, results):
    """The same room made of mosquitto's clients: n subscribers, and as many
    mosquitto_pub -l as mqchat has senders, each fed through a pipe."""
    n, senders = ctx.scale_instances, ctx.scale_senders
    clients = []
    inputs = Senders()
    try:
        subs = [Client(ctx, "sub", stdout=subprocess.PIPE) for _ in range(n)]
        clients += subs
        wait_subscribed(ctx, subs)
        for _ in range(senders):
            r, w = os.pipe()
            inputs.fds.append(w)
            clients.append(Client(ctx, "pub", "-l", stdin=r))
            os.close(r)
        passes(ctx, results, "mosquitto", subs, inputs, n)
    finally:
        ctx.children.stop_all([c.proc for c in clients])
        for c in clients:
            if c.proc.stdout:
                c.proc.stdout.close()
        inputs.close()


def bench(ctx, results):
    bench_mqchat(ctx, results)
    bench_mosquitto(ctx, results)
