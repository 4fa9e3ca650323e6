# SPDX-License-Identifier: MIT
"""Scale: many mqchat instances in one room on one broker (history on, as
shipped).  A few of them also send, through their FIFOs; every instance
prints what it receives.  Each line carries its send time (CLOCK_MONOTONIC,
shared by all processes), so every delivery gives a latency.

Each room, then the same room made of mosquitto's clients (mosquitto_sub
for every instance, mosquitto_pub -l for every sender), read by the same
collector, each on a fresh broker of its own (mqchat's sessions are
persistent: a broker that kept them would queue every later room's messages
for them):
- paced: messages at a steady rate well below saturation -> p50/p99 latency;
- burst: every sender's share written at once -> messages/s (and deliveries/s;
  each message reaches every instance but its sender), with the latency
  under that load (mostly queueing);
- the big room (scale_big_instances): the paced pass only.
All of it `scale_rounds` times (full run: 3), every other round in the
opposite order, and each figure is the median of the rounds.

Around each pass, the CPU time (schedstat, all threads) and context switches
(voluntary + involuntary, all threads) of three sets of processes, per
delivery that set received: the receivers that do not send (and as many
mosquitto_sub), the room's clients (mosquitto's: every mosquitto_sub and
mosquitto_pub), and the broker (the broker command's own process).  Both
samples are taken with the room quiet: before the pass, and once nothing has
run for 3.5 s (a quick run: SETTLE_STEP) after its last delivery, since what
mqchat defers past the last delivery (the history's full-text index) is the
pass's work too; the figure at the last delivery is kept beside it
("_last").  The collector's own CPU over the pass ("collector_busy", a
fraction of one CPU) says whether it kept up: near 1, the latencies are its
own."""
import os
import resource
import select
import selectors
import subprocess
import threading
import time

from . import idle, procs

SETTLE_STEP = 0.25           # s between two samples while waiting for quiet
# Quiet: the room's processes together spent less than this over one step,
# for each of them: a room of 200 idle mosquitto_sub (one wakeup a second
# each) never got below a fixed 2 ms, and its CPU a delivery then took in a
# minute of idling and the clients' keepalive pings.
SETTLE_QUIET_NS_EACH = 33_000


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] if values else 0


class Collector:
    """Reads every instance's output; counts lines (per reader too) and their
    latencies."""

    def __init__(self, readers):
        self.sel = selectors.DefaultSelector()
        self.partial = {}
        self.fds = {}
        for r in readers:
            fd = r.proc.stdout.fileno()
            os.set_blocking(fd, False)
            self.sel.register(fd, selectors.EVENT_READ)
            self.partial[fd] = b""
            self.fds[id(r)] = fd
        self.reset()

    def reset(self):
        self.latencies = []
        self.lines = 0
        self.per_fd = dict.fromkeys(self.partial, 0)

    def deliveries(self, readers=None):
        """Lines `readers` printed since reset(); None: all of them."""
        if readers is None:
            return self.lines
        return sum(self.per_fd[self.fds[id(r)]] for r in readers)

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
                self.lines += len(complete)
                self.per_fd[key.fd] += len(complete)
                for line in complete:
                    self.latencies.append((now - int(line.rsplit(b" ", 1)[1])) / 1e3)
        return time.monotonic()


class Group:
    """Processes whose CPU is counted together, per delivery to `readers`
    (None: every delivery of the room).  `key` prefixes its figures."""

    def __init__(self, key, procs_, readers=None):
        self.key = key
        self.pids = [p.pid for p in procs_]
        self.readers = readers


def sample(groups):
    """{key: (CPU ns, context switches)} summed over each group."""
    out = {}
    for g in groups:
        cpu = switches = 0
        for pid in g.pids:
            c, s = idle.counters(pid)
            cpu, switches = cpu + c, switches + s
        out[g.key] = (cpu, switches)
    return out


def settle(ctx, groups, steps=1):
    """Samples until the groups' processes spent less than SETTLE_QUIET_NS
    over each of `steps` steps in a row; returns (the last sample, seconds
    waited).  Past a deadline the last sample is taken as it is, and the
    log says so."""
    t0 = time.monotonic()
    deadline = t0 + (60 if ctx.mode == "full" else 15)
    # Each process once: the receivers are in two groups.
    pids = {pid for g in groups for pid in g.pids}
    quiet_ns = SETTLE_QUIET_NS_EACH * len(pids)
    prev = sum(idle.counters(pid)[0] for pid in pids)
    quiet = 0
    while True:
        time.sleep(SETTLE_STEP)
        now = sum(idle.counters(pid)[0] for pid in pids)
        busy, prev = now - prev, now
        quiet = quiet + 1 if busy < quiet_ns else 0
        if quiet >= steps or time.monotonic() > deadline:
            if quiet < steps:
                ctx.log(f"scale: still busy {time.monotonic() - t0:.1f} s after the pass "
                        f"({busy / 1e6:.1f} ms of CPU in {SETTLE_STEP} s): counted as it is")
            return sample(groups), time.monotonic() - t0


def costs(col, groups, before, last, after):
    """Per delivery of each group: CPU µs and context switches from `before`
    to `after` (the quiet room), and CPU µs to `last` (the last delivery)."""
    figures = {}
    for g in groups:
        d = max(1, col.deliveries(g.readers))
        figures[f"{g.key}_cpu_us"] = (after[g.key][0] - before[g.key][0]) / 1e3 / d
        figures[f"{g.key}_ctx"] = (after[g.key][1] - before[g.key][1]) / d
        figures[f"{g.key}_cpu_us_last"] = (last[g.key][0] - before[g.key][0]) / 1e3 / d
    return figures


def measured(ctx, col, groups, before, total, start):
    """One pass: `start()` begins the sending (returns the time the clock
    starts), then `total` deliveries are awaited.  Returns (figures, the
    quiet sample after it: the next pass's `before`)."""
    col.reset()
    cpu0 = time.process_time()
    t0 = start()
    t1 = col.until(total, ctx.timeout(total // 10))
    busy = (time.process_time() - cpu0) / max(t1 - t0, 1e-6)
    last = sample(groups)
    # The full run's quiet lasts longer than mqchat defers its full-text
    # index after a write (INDEX_DELAY_MS in core/archive.c, up to 3 s), so
    # that the index is counted as the pass's work (ctx.settle_steps).
    after, waited = settle(ctx, groups, ctx.settle_steps)
    figures = {"seconds": t1 - t0, "p50": percentile(col.latencies, 50),
               "p99": percentile(col.latencies, 99), "collector_busy": busy,
               "settle_s": waited, **costs(col, groups, before, last, after)}
    return figures, after


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


class Plan:
    """One room's size: `name` is added to the results' names ("mqchat"
    + name + " paced"); `burst` 0: no burst pass."""

    def __init__(self, name, instances, senders, paced, rate, burst):
        self.name, self.instances, self.senders = name, instances, senders
        self.paced, self.rate, self.burst = paced, rate, burst


def plans(ctx):
    return [Plan("", ctx.scale_instances, ctx.scale_senders, ctx.scale_paced,
                 ctx.scale_rate, ctx.scale_messages),
            Plan(" big", ctx.scale_big_instances, ctx.scale_big_senders,
                 ctx.scale_big_paced, ctx.scale_big_rate, 0)]


def passes(ctx, results, name, plan, readers, senders, copies, groups, extra):
    """The paced pass, then the burst pass if the plan has one: `senders`
    write the senders' input, `readers` are the processes whose stdout
    prints what arrives; `copies`: deliveries of each message; `extra`:
    more figures for the paced pass's results."""
    fds = senders.fds
    col = Collector(readers)
    before, _ = settle(ctx, groups)

    def paced_start():
        senders.start(send_paced, fds, plan.paced, plan.rate, senders.stopping)
        return time.monotonic()

    figures, before = measured(ctx, col, groups, before, plan.paced * copies, paced_start)
    results.add("scale", f"{name} paced", {**figures, **extra})
    ctx.log(f"scale {name} paced: p50 {figures['p50']:.0f} µs, p99 {figures['p99']:.0f} µs; "
            f"per delivery: receivers {figures['rx_cpu_us']:.1f} µs "
            f"{figures['rx_ctx']:.2f} switches, broker {figures['broker_cpu_us']:.1f} µs; "
            f"collector busy {figures['collector_busy']:.0%}")
    if not plan.burst:
        return

    share = plan.burst // len(fds)

    def burst_start():
        t0 = time.monotonic()
        for k, fd in enumerate(fds):
            now = time.monotonic_ns()
            os.set_blocking(fd, True)
            # Written by a helper thread per sender: a full pipe must not stall reading.
            senders.start(write_all, fd, "".join(
                f"burst {k}-{j} {now}\n" for j in range(share)).encode())
        return t0

    sent = share * len(fds)
    figures, _ = measured(ctx, col, groups, before, sent * copies, burst_start)
    seconds = figures["seconds"]
    results.add("scale", f"{name} burst", {**figures, "rate": sent / seconds,
                                            "deliveries": sent * copies / seconds})
    ctx.log(f"scale {name} burst: {sent / seconds:.0f} messages/s; per delivery: receivers "
            f"{figures['rx_cpu_us']:.1f} µs {figures['rx_ctx']:.2f} switches, broker "
            f"{figures['broker_cpu_us']:.1f} µs")


def rss_mib(procs_):
    return sum(procs.peak_rss(p.pid) for p in procs_) / 1024


def bench_mqchat(ctx, results, plan, history="on"):
    n, senders = plan.instances, plan.senders
    work = ctx.tmpdir("scale")
    instances = []
    inputs = Senders()
    try:
        t0 = time.monotonic()
        for i in range(n):
            instances.append(procs.Mqchat(ctx, work, f"u{i:02d}", history, 1, fifo=i < senders,
                                          stdout=subprocess.PIPE))
        for m in instances:
            m.wait_connected(120)
        startup = time.monotonic() - t0
        inputs.fds = [os.open(m.fifo, os.O_WRONLY) for m in instances[:senders]]
        everyone = [m.proc for m in instances]
        groups = [Group("rx", everyone[senders:], instances[senders:]),
                  Group("room", everyone), Group("broker", [ctx.broker.proc])]
        # A sender does not print its own lines: n - 1 copies of each.
        name = "mqchat" if history == "on" else "mqchat-off"
        passes(ctx, results, name + plan.name, plan, instances, inputs, n - 1, groups,
               {"startup_s": startup, "rss_mib": rss_mib(everyone)})
    finally:
        procs.stop_mqchats(instances)
        inputs.close()


def bench_mqchat_history_off(ctx, results, plan):
    """The same room with history off: what storing the room costs its
    members, beside what the rest of mqchat does (bench/README.md)."""
    bench_mqchat(ctx, results, plan, history="off")


class Client:
    """mosquitto_sub or mosquitto_pub -l at QoS 1, in the Collector's shape."""

    def __init__(self, ctx, tool, *extra, **kw):
        self.proc = procs.client(ctx, tool, 1, *extra, **kw)


def wait_subscribed(ctx, subs):
    """Publishes probes until each subscriber has printed one, and reads them
    away; returns the time the last one was first seen."""
    waiting = {s.proc.stdout.fileno() for s in subs}
    deadline = time.monotonic() + 60 + len(subs) / 10
    seen = time.monotonic()
    while waiting:
        if time.monotonic() > deadline:
            raise RuntimeError(f"scale: {len(waiting)} mosquitto_sub never subscribed")
        procs.publish(ctx, "probe")
        ready, _, _ = select.select(list(waiting), [], [], 0.3)
        seen = time.monotonic()
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
    return seen


def pub_senders(ctx, count, clients, inputs):
    """`count` mosquitto_pub -l, each fed through a pipe (in `inputs`)."""
    for _ in range(count):
        r, w = os.pipe()
        inputs.fds.append(w)
        clients.append(Client(ctx, "pub", "-l", stdin=r))
        os.close(r)


def bench_mosquitto(ctx, results, plan):
    """The same room made of mosquitto's clients: n subscribers, and as many
    mosquitto_pub -l as mqchat has senders, each fed through a pipe."""
    n, senders = plan.instances, plan.senders
    clients = []
    inputs = Senders()
    try:
        t0 = time.monotonic()
        subs = [Client(ctx, "sub", stdout=subprocess.PIPE) for _ in range(n)]
        clients += subs
        startup = wait_subscribed(ctx, subs) - t0
        pub_senders(ctx, senders, clients, inputs)
        everyone = [c.proc for c in clients]
        # As many mosquitto_sub as mqchat has instances that only receive.
        groups = [Group("rx", everyone[:n - senders], subs[:n - senders]),
                  Group("room", everyone), Group("broker", [ctx.broker.proc])]
        passes(ctx, results, "mosquitto" + plan.name, plan, subs, inputs, n, groups,
               {"startup_s": startup, "rss_mib": rss_mib(everyone)})
    finally:
        ctx.children.stop_all([c.proc for c in clients])
        for c in clients:
            if c.proc.stdout:
                c.proc.stdout.close()
        inputs.close()


def bench_mqchat_rx(ctx, results, plan):
    """mosquitto's room with mqchats in the subscribers' seats: n mqchat
    instances (history on) that only receive, fed by the same mosquitto_pub
    -l senders.  The senders are the same as the reference's, so this is the
    receive path alone; in mqchat's own room the senders receive too."""
    n, senders = plan.instances, plan.senders
    work = ctx.tmpdir("scale-rx")
    instances, clients = [], []
    inputs = Senders()
    try:
        for i in range(n):
            instances.append(procs.Mqchat(ctx, work, f"r{i:02d}", "on", 1,
                                          stdout=subprocess.PIPE))
        for m in instances:
            m.wait_connected(120)
        pub_senders(ctx, senders, clients, inputs)
        readers = [m.proc for m in instances]
        groups = [Group("rx", readers[:n - senders], instances[:n - senders]),
                  Group("room", readers + [c.proc for c in clients]),
                  Group("broker", [ctx.broker.proc])]
        passes(ctx, results, "mqchat-rx" + plan.name, plan, instances, inputs, n, groups, {})
    finally:
        procs.stop_mqchats(instances)
        ctx.children.stop_all([c.proc for c in clients])
        inputs.close()


def enough_descriptors(n):
    """The bench holds three pipes to each instance (and the selector, the
    FIFOs): raises the soft limit toward the hard one when short."""
    need = 4 * n + 256
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            raise RuntimeError(f"scale: {n} instances need ~{need} open files, the hard "
                               f"limit is {hard} (ulimit -Hn)")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need if hard == resource.RLIM_INFINITY
                                                    else hard, hard))


def fresh_broker(ctx):
    if ctx.broker:
        ctx.broker.stop()
    ctx.broker = None
    ctx.broker = procs.Broker(ctx.work, ctx.children, ctx.broker_command)


def bench(ctx, results):
    """Every room, each on a fresh broker (the section's own for the
    first), all of them `scale_rounds` times in turn, every other round in
    the opposite order: one run of a room
    swings by more than its rows' margins (bench/README.md), so a row is
    the median of the rounds, each round's rooms in the same minutes.  A
    room that fails does not keep the others from running."""
    failed = []
    # Each room without history too, unless --quick leaves it out: what
    # storing costs its members.  The receive path alone (bench_mqchat_rx)
    # in the first room's size only.
    mine = (bench_mqchat, bench_mqchat_history_off) if ctx.scale_history_off else (bench_mqchat,)
    first = mine + (bench_mqchat_rx, bench_mosquitto)
    rooms = [(p, r) for k, p in enumerate(plans(ctx))
             for r in (first if k == 0 else mine + (bench_mosquitto,))]
    for turn in range(ctx.scale_rounds):
        # Every other round the other way round: a machine that grows
        # busier over the section weighs on no room more than on another.
        for i, (plan, room) in enumerate(rooms if turn % 2 == 0 else rooms[::-1]):
            what = f"{room.__name__[len('bench_'):]} {plan.instances} instances"
            if ctx.scale_rounds > 1:
                what += f", round {turn + 1} of {ctx.scale_rounds}"
            try:
                enough_descriptors(plan.instances)
                if i or turn:
                    fresh_broker(ctx)
                room(ctx, results, plan)
            except Exception as e:  # noqa: BLE001 -- the other rooms still run
                reason = f"{what}: {type(e).__name__}: {e}"
                ctx.log(f"scale: {reason}")
                failed.append(reason)
    if failed:
        raise RuntimeError("; ".join(failed))
