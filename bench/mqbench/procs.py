# SPDX-License-Identifier: MIT
"""Processes the benchmarks need: a private broker, mqchat instances with
their own XDG directories, and waits on events with deadlines."""
import os
import select
import socket
import subprocess
import time

TOPIC = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on 127.0.0.1 that drops nothing (max_queued_messages 0).
    `command` is run with "-c CONF" appended (a wrapper may stand in);
    `extra`: more lines for CONF (a bridge's `connection` section)."""

    def __init__(self, workdir, children, command=("mosquitto",), extra=""):
        self.children = children
        self.port = free_port()
        conf = os.path.join(workdir, f"mosquitto-{self.port}.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                    "max_queued_messages 0\n"
                    "persistence false\nlog_dest none\n" + extra)
        self.proc = children.spawn("broker " + " ".join(command), [*command, "-c", conf],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.port, self.proc, children, " ".join(command))

    def stop(self):
        self.children.stop(self.proc)


def wait_listening(port, proc, children, what):
    """Returns once 127.0.0.1:`port` takes a connection; stops `proc` and
    raises if it exits first or 10 s pass."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                children.stop(proc)
                raise RuntimeError(f"{what} did not start listening") from None
            time.sleep(0.02)


def wait_line(fd, needle, timeout, what):
    """Read raw fd until a line containing `needle` (bytes); return the time seen."""
    buf = b""
    deadline = time.monotonic() + timeout
    # poll(), not select(): the 200-instance room holds hundreds of pipes,
    # and select() cannot watch a descriptor past 1023.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"timed out waiting for {what}: {buf[-300:]!r}")
        if not poller.poll(left * 1000):
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError(f"{what}: stream closed: {buf[-300:]!r}")
        buf += chunk
        if needle in buf:
            return time.monotonic()


class Mqchat:
    """One mqchat on ctx's broker: stdin kept open (a pipe nobody writes), so
    it runs in batch mode until stopped; received messages go to `stdout` (a
    file or PIPE).  `port`, `topic`: another broker's (a NATS node's), another
    room."""

    def __init__(self, ctx, workdir, name, history="off", qos=1,
                 fifo=False, stdout=subprocess.DEVNULL, extra=(), port=None, topic=TOPIC):
        self.children = ctx.children
        self.home = os.path.join(workdir, name)
        env = mqchat_env(self.home, name)
        self.fifo = os.path.join(self.home, "in.fifo") if fifo else None
        args = [ctx.mqchat, "-n", name,
                "-o", "core.frontends=" + ("stdin,fifo" if fifo else "stdin"),
                "-o", "core.announce=off", "-o", f"core.history={history}",
                "-o", "stdin.format={text}", "-o", "stdin.color=never",
                "-o", "mqtt.host=127.0.0.1", "-o", f"mqtt.port={port or ctx.broker.port}",
                "-o", f"mqtt.topic={topic}", "-o", f"mqtt.qos={qos}",
                # Messages are counted by the lines shown: no presence joins.
                "-o", "mqtt.presence=off",
                # Still a persistent session, but gone a second after the
                # instance: kept a day, as by default, every instance a
                # section had stopped was still subscribed, and the broker
                # queued each later QoS 1 message for each of them (the
                # latency section's broker ended at 950 MiB; bench/README.md,
                # "Sessions of instances gone").
                "-o", "mqtt.session_expiry=1"]
        if fifo:
            args += ["-o", f"fifo.path={self.fifo}"]
        args += list(extra)
        self.started = time.monotonic()
        self.proc = self.children.spawn(f"mqchat {name}", args, stdin=subprocess.PIPE,
                                        stdout=stdout, stderr=subprocess.PIPE, env=env)

    def wait_connected(self, timeout=30):
        """Time the status line "connected to" appeared (after the SUBACK)."""
        return wait_line(self.proc.stderr.fileno(), b"connected to", timeout,
                         f"mqchat {self.proc.pid} to connect")

    def stop(self):
        """Stops it (see children.py); returns (exit code, peak RSS in KiB)."""
        return stop_mqchats([self])[0]


def mqchat_env(home, name):
    """The environment of an mqchat whose every file is under `home`
    (created): nothing of the user running the bench is read."""
    os.makedirs(os.path.join(home, "run"), mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MQCHAT_"))}
    env.update(HOME=home, USER=name, LC_ALL="C.UTF-8",
               XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_STATE_HOME=os.path.join(home, "state"),
               XDG_RUNTIME_DIR=os.path.join(home, "run"))
    return env


def stop_mqchats(instances):
    """Stops them all at once; returns [(exit code, peak RSS in KiB)]."""
    if not instances:
        return []
    rss = [peak_rss(m.proc.pid) for m in instances]
    codes = instances[0].children.stop_all([m.proc for m in instances])
    for m in instances:
        for s in (m.proc.stdin, m.proc.stderr, m.proc.stdout):
            if s:
                s.close()
    return list(zip(codes, rss))


def peak_rss(pid):
    """VmHWM in KiB (0 once gone).  Not wait4's ru_maxrss: on Linux that
    keeps the high-water mark of the forked parent (Python) across exec."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def reap(children, proc, name, timeout=60, arrival=None):
    """Wait for a child to finish by itself, sampling its peak RSS every few
    ms; returns (exit code, peak RSS in KiB).  Past `timeout` it is stopped
    and RuntimeError raised.  A publisher still running
    HUNG_PUBLISHER_GRACE s after its `arrival` was seen is stopped, noted
    and taken as done (exit code 0)."""
    deadline = time.monotonic() + timeout
    rss = 0
    while True:
        rss = max(rss, peak_rss(proc.pid))
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            children.forget(proc)
            return proc.returncode, rss
        now = time.monotonic()
        if arrival and arrival.arrived() and now > arrival.at + HUNG_PUBLISHER_GRACE:
            children.stop(proc)
            children.notes.append(f"{name} (pid {proc.pid}) still ran {HUNG_PUBLISHER_GRACE:g} s "
                                  "after its lines all arrived (mosquitto_pub's exit race, "
                                  "eclipse-mosquitto/mosquitto#1448): stopped")
            return 0, rss
        if now > deadline:
            children.stop(proc)
            raise RuntimeError(f"{name} did not finish within {timeout:g} s")
        time.sleep(0.005)


def kill_rss(children, proc):
    """Stops a child still running; returns its peak RSS in KiB."""
    rss = peak_rss(proc.pid)
    children.stop(proc)
    return rss


def file_size(path):
    """Its size in bytes, 0 while it does not exist."""
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0


def wait_size(path, size, timeout, what):
    """Poll a file until it holds `size` bytes; returns the time it did."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        now_size = file_size(path)
        t = time.monotonic()
        if now_size >= size:
            return t
        if now_size != last:
            last, last_change = now_size, t
        if t > deadline or t - last_change > 20:
            raise RuntimeError(f"{what}: {now_size} of {size} bytes after {t - deadline + timeout:.1f}s")
        time.sleep(0.002)


class MarkedLines:
    """The complete lines holding `marker` (bytes) in a file as it grows:
    `seen` of them so far; `at`, the time `count` of them were first seen."""

    def __init__(self, path, marker, count):
        self.path, self.marker, self.count = path, marker, count
        self.seen, self.at, self.offset, self.partial = 0, None, 0, b""

    def read(self):
        """Reads what was added; returns whether a line came."""
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        self.offset += len(chunk)
        *complete, self.partial = (self.partial + chunk).split(b"\n")
        self.seen += sum(self.marker in line for line in complete)
        if self.at is None and self.seen >= self.count:
            self.at = time.monotonic()
        return bool(complete)

    def arrived(self):
        self.read()
        return self.at is not None


def wait_lines(path, marker, count, timeout, what, alive=None, lines=None):
    """Reads a file as it grows until `count` complete lines hold `marker`
    (bytes); returns the time they did.  Gives up past `timeout`, after 20 s
    without a new line, or when `alive()` raises.  `lines`: the
    MarkedLines already following the file."""
    lines = lines or MarkedLines(path, marker, count)
    deadline = time.monotonic() + timeout
    last_change = time.monotonic()
    while True:
        if lines.read():
            last_change = time.monotonic()
        if lines.at is not None:
            return lines.at
        if alive:
            alive()
        t = time.monotonic()
        if t > deadline or t - last_change > 20:
            raise RuntimeError(f"{what}: {lines.seen} of {count} lines after "
                               f"{t - deadline + timeout:.1f} s")
        time.sleep(0.002)


def client_args(ctx, tool, qos, *extra, port=None, topic=TOPIC):
    """mosquitto_pub or mosquitto_sub ("pub", "sub") on the bench topic of
    ctx's broker, or on `topic` at `port`."""
    return [f"mosquitto_{tool}", "-h", "127.0.0.1", "-p", str(port or ctx.broker.port),
            "-t", topic, "-q", str(qos), *extra]


def client(ctx, tool, qos, *extra, port=None, topic=TOPIC, **popen_kw):
    """Starts mosquitto_pub or mosquitto_sub; returns its Popen."""
    args = client_args(ctx, tool, qos, *extra, port=port, topic=topic)
    return ctx.children.spawn(" ".join(args[:1] + list(extra)), args, **popen_kw)


def publish(ctx, payload, port=None, topic=TOPIC):
    """One message at QoS 1 with mosquitto_pub (probes)."""
    ctx.children.run("mosquitto_pub -m", client_args(ctx, "pub", 1, "-m", payload,
                                                     port=port, topic=topic), 10)


# mosquitto_pub -l at QoS 0 sometimes never exits once its input has ended:
# its main thread waits in mosquitto_loop_stop() for a network thread that
# sleeps in select() (about one run in 1 000 here, 2.0.11; the race of
# eclipse-mosquitto/mosquitto#1448).  Its lines have all gone out by then.
HUNG_PUBLISHER_GRACE = 2.0


class Arrival:
    """Whether a receiver's output file has reached `size` bytes, and the
    time that was first seen (`at`).  MarkedLines counts lines instead."""

    def __init__(self, path, size):
        self.path, self.size, self.at = path, size, None

    def arrived(self):
        if self.at is None and file_size(self.path) >= self.size:
            self.at = time.monotonic()
        return self.at is not None


def publish_lines(ctx, qos, paths, timeout, port=None, topic=TOPIC, extra=(), arrivals=None):
    """mosquitto_pub -l once per file of lines, one after the other; returns
    the peak RSS in KiB of the largest.  `extra`: more options ("-V",
    "311").  `arrivals`: an Arrival per file, for all the lines sent up to
    its end; with them, a publisher still running HUNG_PUBLISHER_GRACE s
    after its lines arrived is stopped and noted instead of failing."""
    peak = 0
    for i, path in enumerate(paths):
        with open(path, "rb") as src:
            pub = client(ctx, "pub", qos, "-l", *extra, port=port, topic=topic, stdin=src)
            rc, rss = reap(ctx.children, pub, "mosquitto_pub -l", timeout,
                           arrivals[i] if arrivals else None)
        peak = max(peak, rss)
        if rc != 0:
            raise RuntimeError(f"mosquitto_pub exited {rc}")
    return peak
