# SPDX-License-Identifier: MIT
"""Processes the benchmarks need: a private broker, mqchat instances with
their own XDG directories, and waits on events with deadlines."""
import os
import select
import signal
import socket
import subprocess
import time

TOPIC = "bench"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    """mosquitto on 127.0.0.1 that drops nothing (max_queued_messages 0)."""

    def __init__(self, workdir):
        self.port = free_port()
        conf = os.path.join(workdir, "mosquitto.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                    "max_queued_messages 0\n"
                    "persistence false\nlog_dest none\n")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("mosquitto did not start")
                time.sleep(0.02)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def wait_line(fd, needle, timeout, what):
    """Read raw fd until a line containing `needle` (bytes); return the time seen."""
    buf = b""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"timed out waiting for {what}: {buf[-300:]!r}")
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            raise RuntimeError(f"{what}: stream closed: {buf[-300:]!r}")
        buf += chunk
        if needle in buf:
            return time.monotonic()


class Mqchat:
    """One mqchat: stdin kept open (a pipe nobody writes), so it runs in batch
    mode until stopped; received messages go to `stdout` (a file or PIPE)."""

    def __init__(self, binary, workdir, name, port, history="off", qos=1,
                 fifo=False, stdout=subprocess.DEVNULL, extra=()):
        self.home = os.path.join(workdir, name)
        os.makedirs(os.path.join(self.home, "run"), mode=0o700, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "MQCHAT_"))}
        env.update(HOME=self.home, USER=name, LC_ALL="C.UTF-8",
                   XDG_CONFIG_HOME=os.path.join(self.home, "config"),
                   XDG_STATE_HOME=os.path.join(self.home, "state"),
                   XDG_RUNTIME_DIR=os.path.join(self.home, "run"))
        self.fifo = os.path.join(self.home, "in.fifo") if fifo else None
        args = [binary, "-n", name,
                "-o", "core.frontends=" + ("stdin,fifo" if fifo else "stdin"),
                "-o", "core.announce=off", "-o", f"core.history={history}",
                "-o", "stdin.format={text}", "-o", "stdin.color=never",
                "-o", "mqtt.host=127.0.0.1", "-o", f"mqtt.port={port}",
                "-o", f"mqtt.topic={TOPIC}", "-o", f"mqtt.qos={qos}"]
        if fifo:
            args += ["-o", f"fifo.path={self.fifo}"]
        args += list(extra)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=stdout,
                                     stderr=subprocess.PIPE, env=env)

    def wait_connected(self, timeout=30):
        """Time the status line "connected to" appeared (after the SUBACK)."""
        return wait_line(self.proc.stderr.fileno(), b"connected to", timeout,
                         f"mqchat {self.proc.pid} to connect")

    def stop(self):
        """SIGTERM, wait; returns (exit code, peak RSS in KiB)."""
        rss = peak_rss(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for s in (self.proc.stdin, self.proc.stderr, self.proc.stdout):
            if s:
                s.close()
        return self.proc.returncode, rss


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


def reap(proc, timeout=60):
    """Wait for a Popen child, sampling its peak RSS every few ms; returns
    (exit code, peak RSS in KiB)."""
    deadline = time.monotonic() + timeout
    rss = 0
    while True:
        rss = max(rss, peak_rss(proc.pid))
        pid, status = os.waitpid(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rss
        if time.monotonic() > deadline:
            proc.kill()
        time.sleep(0.005)


def kill_rss(proc):
    """SIGTERM a child still running; returns its peak RSS in KiB."""
    rss = peak_rss(proc.pid)
    if proc.poll() is None:
        proc.terminate()
    return max(rss, reap(proc)[1])


def wait_size(path, size, timeout, what):
    """Poll a file until it holds `size` bytes; returns the time it did."""
    deadline = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while True:
        try:
            now_size = os.stat(path).st_size
        except FileNotFoundError:
            now_size = 0
        t = time.monotonic()
        if now_size >= size:
            return t
        if now_size != last:
            last, last_change = now_size, t
        if t > deadline or t - last_change > 20:
            raise RuntimeError(f"{what}: {now_size} of {size} bytes after {t - deadline + timeout:.1f}s")
        time.sleep(0.002)
