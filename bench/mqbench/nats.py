# SPDX-License-Identifier: MIT
"""NATS: mqchat across a three-node NATS cluster (conf/nats/, started by
tests/integration/nats/nats_cluster.py on free loopback ports), side by
side with mosquitto's clients on the same cluster.

Throughput: the throughput section's runs with the sender on node 1 and
the receiver on node 3 (JetStream behind, three copies of every QoS 1
message), QoS 0 and 1, history on (the default):
  mqchat:    cat lines > FIFO -> mqchat -> node 1 ... node 3 -> mqchat > file
  mosquitto: mosquitto_pub -V 311 -l -> node 1 ... node 3 -> mosquitto_sub -V 311
mqchat asks for MQTT 5, is refused and uses 3.1.1 (its connection counts
before the clock starts).  One cluster for these runs, a topic of its own
per run: the persistent sessions earlier runs leave have no interest in it.

Failover (mqchat only: mosquitto_pub knows one broker): the sender has
`hosts` naming nodes 1, 2, 3 and is on node 1, the receiver on node 3; a
writer puts numbered lines into the sender's FIFO at a steady pace, and
BEFORE seconds in node 1 gets SIGKILL.  Measured from the kill: the
sender's "connected to" line for another node, and the receiver showing
the first line written after the kill (which only another node can have
carried); and the receiver's longest silence between two lines, the time
the room stood still for it.  Every line must reach the receiver once, in
the order written.  Beside the receiver, on the same node, a third-party
QoS 1 subscriber with a persistent session (mosquitto_sub -V 311 -q 1 -c)
counts what NATS delivers to anyone: NATS 2.9 loses QoS 1 lines to such
subscribers even with no node killed (bench/README.md, "nats").  A fresh
cluster for each run; with the size nats_one_cluster (--quick, --tiny)
the first run is on the throughput runs' cluster, one start-up less.
A run waits for every line at both receivers, with nats_grace seconds
after the last one was written for NATS's redeliveries; with the size
nats_until_last (--quick, --tiny) it ends as soon as both have shown the
last line written: with one QoS 1 message in flight per subscription
(max_ack_pending: 1 in conf/nats/), a line still missing then would come
out of order."""
import os
import signal
import subprocess
import sys
import threading
import time

from . import procs, throughput

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(TOP, "tests", "integration")
V311 = ("-V", "311")
MARKER = b"bench "


def cluster_class():
    """NatsCluster from the tests (they and the bench start the very files
    of conf/nats/)."""
    for path in (TESTS, os.path.join(TESTS, "nats")):
        if path not in sys.path:
            sys.path.insert(0, path)
    import nats_cluster  # noqa: E402 -- found through the path just set
    return nats_cluster.NatsCluster


def start_cluster(ctx, name):
    """A ready cluster whose nodes ctx.children stops with the rest."""
    cluster = cluster_class()(ctx.tmpdir(name))
    t0 = time.monotonic()
    try:
        cluster.start()
    finally:
        for n, proc in cluster.procs.items():
            ctx.children.adopt(f"nats-server node {n}", proc)
    ctx.log(f"nats: {name} ready in {time.monotonic() - t0:.1f} s")
    return cluster


def throughput_runs(ctx, results, cluster, lines_path, size, chunks):
    ports = (cluster.mqtt_port(1), cluster.mqtt_port(3))
    for qos in (0, 1):
        for run in range(ctx.runs):
            topic = f"bench-q{qos}-{run}"
            # A receiver that takes one message per round trip (NATS keeps
            # one in flight per subscription) may go as slow as 50 a second:
            # mosquitto's clients as well as mqchat (the reference's QoS 1
            # run outlived ctx.timeout's 70 s on a slow cluster).
            timeout = 60 + ctx.nats_count / 50
            r = throughput.run_mqchat(ctx, qos, "on", ctx.nats_count, lines_path, size,
                                      ports, topic, timeout)
            results.add("nats", f"mqchat q{qos}", r)
            ctx.log(f"nats q{qos} mqchat: {r['rate']:.0f}/s")
            r = throughput.run_mosquitto(ctx, qos, ctx.nats_count, chunks if qos else [lines_path],
                                         size, ports, topic + "-ref", V311, timeout)
            results.add("nats", f"mosquitto q{qos}", r)
            ctx.log(f"nats q{qos} mosquitto: {r['rate']:.0f}/s")


class Stamped:
    """The lines a pipe gives, each with the time it was read, gathered by
    a thread of its own."""

    def __init__(self, stream):
        self.lines = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        try:
            for line in iter(stream.readline, b""):
                self.lines.append((time.monotonic(), line))
        except (OSError, ValueError):  # closed when the process is stopped
            pass

    def text(self):
        """What it said, on one line."""
        return " / ".join(line.decode(errors="replace").strip() for _, line in self.lines)

    def first(self, needle, after):
        """Time of the first line holding `needle` read after `after`."""
        return next((t for t, line in list(self.lines) if t > after and needle in line), None)


class Arrivals:
    """The numbered lines of the receiver's file, each with the time it was
    first seen (a file read as it grows)."""

    def __init__(self, path):
        self.f = open(path, "rb")
        self.partial = b""
        self.seen = []       # [(time, number)] in the order shown
        self.highest = -1    # the highest number shown

    def poll(self):
        chunk = self.f.read()
        if not chunk:
            return
        t = time.monotonic()
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        for line in complete:
            if MARKER in line:
                number = int(line.split(MARKER, 1)[1][:7])
                self.seen.append((t, number))
                self.highest = max(self.highest, number)

    def longest_silence(self):
        """The longest time between two lines shown (s)."""
        times = [t for t, _ in self.seen]
        return max((b - a for a, b in zip(times, times[1:])), default=0.0)

    def first_at_least(self, number):
        return next((t for t, n in self.seen if n >= number), None)

    def close(self):
        self.f.close()


def paced_writer(fifo, count, rate, stamps):
    """Writes lines 0..count-1 into `fifo`, line i at start + i / rate;
    `stamps[i]` is when the writing of line i began."""
    fd = os.open(fifo, os.O_WRONLY)
    try:
        start = time.monotonic()
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            stamps.append(time.monotonic())
            os.write(fd, throughput.LINE.format(i).encode())
    finally:
        os.close(fd)


def check_failover(arrivals, count):
    """{missing: lines never shown, twice: lines shown again, in_order}."""
    numbers = [n for _, n in arrivals.seen]
    missing = sorted(set(range(count)) - set(numbers))
    return {"missing": len(missing), "missing_first": missing[:10],
            "twice": len(numbers) - len(set(numbers)), "in_order": numbers == sorted(numbers)}


def witness(ctx, port, topic, path, run):
    """mosquitto_sub at QoS 1 with a persistent session on `port`, its
    lines into `path`: what NATS delivers to a subscriber that is not us."""
    with open(path, "wb") as out:
        return procs.client(ctx, "sub", 1, "-V", "311", "-c", "-i", f"bench-witness-{run}",
                            port=port, topic=topic, stdout=out, stderr=subprocess.DEVNULL)


def failover_run(ctx, run, cluster=None):
    """One run's figures, on `cluster` if given (it is stopped at the
    end), else on a fresh one; a run whose receiver missed lines or showed
    some twice has them counted (see bench), not raised."""
    cluster = cluster or start_cluster(ctx, f"nats-cluster-{run}")
    work = ctx.tmpdir("nats-failover")
    out_path, topic = os.path.join(work, "out.txt"), f"failover-{run}"
    ref_path = os.path.join(work, "witness.txt")
    count = int(ctx.nats_rate * (ctx.nats_before + ctx.nats_after))
    ref = witness(ctx, cluster.mqtt_port(3), topic, ref_path, run)
    with open(out_path, "wb") as out:
        rx = procs.Mqchat(ctx, work, "rx", "on", 1, stdout=out, port=cluster.mqtt_port(3),
                          topic=topic)
    tx = procs.Mqchat(ctx, work, "tx", "on", 1, fifo=True, port=cluster.mqtt_port(1),
                      topic=topic, extra=["-o", f"mqtt.hosts={cluster.hosts()}"])
    arrivals, witnessed = Arrivals(out_path), Arrivals(ref_path)
    try:
        rx.wait_connected()
        tx.wait_connected()
        throughput.probe(ctx, out_path, cluster.mqtt_port(1), topic)
        throughput.probe(ctx, ref_path, cluster.mqtt_port(1), topic,
                         failure="the witness (mosquitto_sub) never subscribed")
        said = Stamped(tx.proc.stderr)
        stamps = []
        writer = threading.Thread(target=paced_writer,
                                  args=(tx.fifo, count, ctx.nats_rate, stamps), daemon=True)
        writer.start()
        t_kill = kill_after(ctx, cluster, arrivals, ctx.nats_before)
        wait_all(ctx, [arrivals, witnessed], count, tx)
        writer.join(ctx.timeout(count))
        first_after = next(i for i, t in enumerate(stamps) if t > t_kill)
        back = said.first(b"connected to ", t_kill)
        shown = arrivals.first_at_least(first_after)
        ref_check = check_failover(witnessed, count)
        r = {"lines": count, "silence_ms": arrivals.longest_silence() * 1e3,
             "said": said.text(), **check_failover(arrivals, count),
             "ref_missing": ref_check["missing"], "ref_missing_first": ref_check["missing_first"]}
    finally:
        arrivals.close()
        witnessed.close()
        (tx_rc, _), _ = procs.stop_mqchats([tx, rx])
        ctx.children.stop(ref)
        cluster.stop()
    if back is None:
        raise RuntimeError(f"the sender never said it was connected again: {said.text()}")
    r.update(reconnect_ms=(back - t_kill) * 1e3, tx_code=tx_rc)
    if shown is not None:
        r["first_ms"] = (shown - t_kill) * 1e3
    return r


def kill_after(ctx, cluster, arrivals, seconds):
    """SIGKILLs node 1 `seconds` from now, reading arrivals meanwhile;
    returns the time of the kill."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        arrivals.poll()
        time.sleep(0.002)
    os.kill(cluster.procs[1].pid, signal.SIGKILL)
    t_kill = time.monotonic()
    cluster.procs[1].wait()
    return t_kill


def wait_all(ctx, receivers, count, tx):
    """Until each of `receivers` (Arrivals) has `count` numbered lines, or a
    deadline: NATS sends again what was in flight to a dead node only after
    ack_wait, once its leaders are elected again, so ctx.nats_grace (a
    minute in a full run) after the last line.  With ctx.nats_until_last,
    done once each has shown the last line.  The sender must not exit
    meanwhile."""
    deadline = (time.monotonic() + ctx.timeout(count) + ctx.nats_before + ctx.nats_after
                + ctx.nats_grace)
    while (any(len(r.seen) < count for r in receivers)
           and not (ctx.nats_until_last and all(r.highest == count - 1 for r in receivers))
           and time.monotonic() < deadline):
        for r in receivers:
            r.poll()
        if tx.proc.poll() is not None:
            raise RuntimeError(f"the sender exited {tx.proc.returncode}")
        time.sleep(0.002)


def bench(ctx, results):
    """Throughput, then the failover runs.  The section fails, its figures
    kept, when a run's receiver showed a line twice or out of order, or
    the sender did not exit 0.  Lines never received are counted, for
    mqchat and for the witness, not raised: NATS 2.9 loses them to any QoS
    1 session, to each its own (bench/README.md), so that the witness got
    a line mqchat's receiver missed does not make it mqchat's."""
    lines_path, size, chunks = throughput.line_files(ctx, ctx.nats_count, name="nats-lines")
    cluster = start_cluster(ctx, "nats-cluster")
    try:
        throughput_runs(ctx, results, cluster, lines_path, size, chunks)
    except BaseException:
        cluster.stop()
        raise
    if not ctx.nats_one_cluster:
        cluster.stop()
        cluster = None
    bad = []
    for run in range(ctx.runs):
        r = failover_run(ctx, run, cluster)
        cluster = None
        results.add("nats", "mqchat failover", r)
        ctx.log(f"nats failover: connected again after {r['reconnect_ms']:.0f} ms, longest "
                f"silence {r['silence_ms']:.0f} ms, {r['missing']} lines missing "
                f"(mosquitto_sub beside it: {r['ref_missing']}), {r['twice']} twice")
        if not failover_sound(r):
            bad.append(f"run {run + 1}: {r['missing']} of {r['lines']} lines never shown "
                       f"(the first {r['missing_first']}; mosquitto_sub beside it missed "
                       f"{r['ref_missing']}: {r['ref_missing_first']}), {r['twice']} twice, "
                       f"{'in order' if r['in_order'] else 'out of order'}, the sender's "
                       f"exit {r['tx_code']}; the sender said: {r['said']}")
    if bad:
        raise RuntimeError(f"{len(bad)} of {ctx.runs} failover runs went wrong: "
                           + "; ".join(bad))


def failover_sound(r):
    """Whether a failover run kept the promises that are mqchat's alone to
    keep (what NATS never delivered is counted apart)."""
    return r["in_order"] and not r["twice"] and r["tx_code"] == 0
