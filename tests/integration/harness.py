# SPDX-License-Identifier: MIT
"""Shared pieces of the integration tests: a real mosquitto broker on a free
loopback port, the real mqchat binary, real clients.

Every wait is on an event (a line, a socket, a process exit) with a deadline;
nothing here sleeps to let things happen.
"""
import os
import pty
import queue
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

MQCHAT = os.environ.get("MQCHAT_BIN", "")
BUILD_DIR = os.environ.get("MQCHAT_BUILD_DIR", "")
TOPIC = "conversacionTeletubbies"
DEFAULT_TIMEOUT = float(os.environ.get("MQCHAT_TEST_TIMEOUT", "10"))
# After a SIGTERM mqchat waits up to [core] quit_timeout (10 s by default)
# for acknowledgements; a second SIGTERM ends the wait, as a second Ctrl-C
# does.  A test's end needs no acknowledgement, and a broker the test left
# silent must not cost every test 10 s: the second one comes TERM_GRACE
# seconds after the first.  Either way mqchat takes its clean way out.
TERM_GRACE = 2
# How long after that mqchat may take to exit: then it gets SIGKILL.
TERM_TIMEOUT = 10 + DEFAULT_TIMEOUT


def free_port():
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Broker:
    """A private mosquitto on 127.0.0.1, started and stopped by PID."""

    def __init__(self, workdir, extra_conf="", port=None):
        self.workdir = workdir
        self.port = port or free_port()
        self.extra_conf = extra_conf
        self.proc = None
        self.log_path = os.path.join(workdir, f"mosquitto-{self.port}.log")

    def start(self):
        conf = os.path.join(self.workdir, f"mosquitto-{self.port}.conf")
        with open(conf, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\n"
                    "allow_anonymous true\n"
                    "max_queued_messages 0\n"
                    "persistence false\n"
                    + self.extra_conf)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(["mosquitto", "-c", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEFAULT_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited {self.proc.returncode}: "
                                     + open(self.log_path).read())
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.5):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError("mosquitto did not start listening")
                time.sleep(0.02)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None

    def restart(self):
        self.stop()
        return self.start()


class LineReader:
    """Collects lines from a binary stream on a thread; wait_for() matches them."""

    def __init__(self, stream, name):
        self.name = name
        self.lines = []
        self.times = []  # time.monotonic() each line came at
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        for raw in iter(stream.readline, b""):
            with self.cond:
                self.lines.append(raw)
                self.times.append(time.monotonic())
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def text(self):
        with self.cond:
            return b"".join(self.lines).decode("utf-8", "replace")

    def timed(self):
        """(time.monotonic() it came at, text) for each line."""
        with self.cond:
            return list(zip(self.times, (raw.decode("utf-8", "replace").rstrip("\n")
                                         for raw in self.lines)))

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, start=0):
        """Index of the first line (from `start`) matching regex `pattern` (str or bytes)."""
        if isinstance(pattern, str):
            pattern = pattern.encode()
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.lines):
                    if rx.search(self.lines[i]):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise AssertionError(
                        f"{self.name}: no line matching {pattern!r} "
                        f"({'closed' if self.closed else 'timeout'}); got:\n"
                        + b"".join(self.lines[-40:]).decode("utf-8", "replace"))
                self.cond.wait(left)

    def wait_count(self, n, timeout=DEFAULT_TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.lines) < n:
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    raise AssertionError(f"{self.name}: {len(self.lines)} lines, wanted {n}")
                self.cond.wait(left)
            return list(self.lines)


def write_ini(path, sections):
    """sections: {"core": {"nick": "Ana"}, "mqtt": {...}} -> INI file."""
    with open(path, "w") as f:
        for name, keys in sections.items():
            f.write(f"[{name}]\n")
            for k, v in keys.items():
                f.write(f"{k} = {v}\n")
    return path


class Mqchat:
    """The real mqchat binary with its own XDG directories."""

    def __init__(self, workdir, ini, args=(), stdin=subprocess.PIPE, env=None, name="mqchat"):
        self.workdir = workdir
        self.name = name
        self.home = os.path.join(workdir, name)
        os.makedirs(self.home, exist_ok=True)
        self.env = isolated_env(self.home)
        self.env.update(env or {})
        self.ini = ini
        self.wedged = False  # set by a test that keeps mqchat from exiting
        cmd = [MQCHAT] + (["-c", ini] if ini else []) + list(args)
        self.proc = subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=self.env)
        self.out = LineReader(self.proc.stdout, f"{name} stdout")
        self.err = LineReader(self.proc.stderr, f"{name} stderr")

    def send(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def wait(self, timeout=DEFAULT_TIMEOUT):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{self.name} still running after {timeout}s; stderr:\n"
                                 + self.err.text())
        # The readers may still be behind the exit: let them reach the end
        # of both pipes, so that out.text() and err.text() are complete.
        self.out.thread.join(timeout)
        self.err.thread.join(timeout)
        return code

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        """Ends mqchat as a service manager would (see terminate()); raises
        AssertionError if it needed the SIGKILL or crashed on the way out,
        unless the test set `wedged` (it made mqchat unable to exit)."""
        problem = terminate(self.proc, self.name)
        if problem:
            # Let the readers reach the end of the pipes (a child process
            # still holding them must not hold the test up for long).
            self.out.thread.join(1)
            self.err.thread.join(1)
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if s:
                try:
                    s.close()
                except OSError:
                    pass
        if problem and not self.wedged:
            raise AssertionError(f"{problem}; stderr:\n{self.err.text()}")


def where_stuck(pid):
    """What a process that will not end is doing, from /proc: its state,
    the system call it waits in, and whether it used the CPU in the last
    half second (a loop) or not (blocked)."""
    def read(what):
        try:
            with open(f"/proc/{pid}/{what}") as f:
                return f.read().strip()
        except OSError as e:
            return f"({e.strerror})"

    def cpu_ticks():
        fields = read("stat").rsplit(")", 1)[-1].split()
        return int(fields[11]) + int(fields[12]) if len(fields) > 12 else 0

    before = cpu_ticks()
    time.sleep(0.5)
    spent = cpu_ticks() - before
    state = read("stat").rsplit(")", 1)[-1].split()[:1]
    return (f"state {state}, {spent} CPU ticks in 0.5 s, wchan {read('wchan')!r}, "
            f"syscall {read('syscall').split()[:1]}")


def terminate(proc, name="mqchat"):
    """Ends a running `proc` with SIGTERM (and SIGCONT, should the test have
    stopped it), a second SIGTERM after TERM_GRACE, then SIGKILL after
    TERM_TIMEOUT more: the shutdown path runs in every test, and its
    coverage data is written.  Returns what went wrong, or None: still
    running at the bound, or killed by a signal other than SIGTERM (a
    crash, or a sanitizer's abort, while exiting)."""
    if proc.poll() is not None:
        return None
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGCONT)
    try:
        code = proc.wait(TERM_GRACE)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(TERM_TIMEOUT)
        except subprocess.TimeoutExpired:
            stuck = where_stuck(proc.pid)
            proc.kill()
            proc.wait()
            return (f"{name} still running {TERM_GRACE + TERM_TIMEOUT:g}s after "
                    f"SIGTERM, twice: killed ({stuck})")
    if code < 0 and code != -signal.SIGTERM:
        return f"{name} died of {signal.Signals(-code).name} after SIGTERM"
    return None


def isolated_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "MQCHAT_CONFIG", "NO_COLOR"))}
    env.update({
        "HOME": home,
        "USER": "tester",
        "XDG_CONFIG_HOME": os.path.join(home, "config"),
        "XDG_STATE_HOME": os.path.join(home, "state"),
        "XDG_RUNTIME_DIR": os.path.join(home, "run"),
        "LC_ALL": "C.UTF-8",
    })
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    return env


def basic_ini(workdir, broker, name="mqchat", nick="Ana", core=None, mqtt=None, **sections):
    """An INI file for one instance talking to `broker`; extra sections as dicts."""
    s = {"core": {"nick": nick, "frontends": "stdin", "backend": "mqtt"},
         "mqtt": {"host": "127.0.0.1", "port": broker.port}}
    s["core"].update(core or {})
    s["mqtt"].update(mqtt or {})
    for k, v in sections.items():
        s[k] = v
    return write_ini(os.path.join(workdir, f"{name}.ini"), s)


class Subscriber:
    """mosquitto_sub printing each payload on a line (the reference client).

    Its -d debug lines are written with stdio, block-buffered on a pipe:
    stdbuf makes them line-buffered, so the SUBACK is seen when it happens."""

    def __init__(self, broker, topic=TOPIC, extra=()):
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
             "-t", topic, "-q", "1", "-d"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.out = LineReader(self.proc.stdout, "mosquitto_sub")
        try:
            # Once the SUBACK is there, nothing published after is missed.
            self.out.wait_for(rb"received SUBACK")
        except BaseException:
            self.stop()
            raise

    def payloads(self):
        """The payloads received, without -d's own lines."""
        return [l.rstrip(b"\n") for l in self.out.lines
                if not l.startswith((b"Client ", b" ", b"Subscribed (mid: "))]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            # mosquitto_sub's SIGTERM handler calls into libmosquitto and
            # can deadlock on a lock the interrupted code holds.
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()


class TcpProxy:
    """A TCP proxy on 127.0.0.1:<port> in front of the broker.  Each client
    connection gets its own connection to the broker; when either side
    ends, so does the other.  Subclasses may rewrite what the broker sends
    (from_broker); cut() ends every connection at once, as a failing
    network would (the broker sees no DISCONNECT)."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def from_broker(self, state, data):
        """Bytes to pass to the client for `data` from the broker; `state`
        is a dict of the connection's own."""
        return data

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                upstream = socket.create_connection(("127.0.0.1", self.broker_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client, upstream):
        state = {}
        try:
            while True:
                ready, _, _ = select.select([client, upstream], [], [])
                if client in ready:
                    data = client.recv(65536)
                    if not data:
                        break
                    upstream.sendall(data)
                if upstream in ready:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    client.sendall(self.from_broker(state, data))
        except OSError:
            pass
        finally:
            client.close()
            upstream.close()

    def cut(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the pump's select()
            except OSError:
                pass

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes accept()
        except OSError:
            pass
        self.listener.close()
        self.cut()


def publish(broker, payload, topic=TOPIC, qos=1):
    if isinstance(payload, str):
        payload = payload.encode()
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", topic,
                    "-q", str(qos), "-s"], input=payload, check=True, timeout=DEFAULT_TIMEOUT)


class TestCase(unittest.TestCase):
    """A workdir and a broker per test; everything started is stopped."""

    broker_conf = ""

    def setUp(self):
        if not MQCHAT or not os.access(MQCHAT, os.X_OK):
            self.fail(f"MQCHAT_BIN is not an executable: {MQCHAT!r}")
        self.workdir = tempfile.mkdtemp(prefix="mqchat-test-")
        self.broker = Broker(self.workdir, self.broker_conf).start()
        self.cleanups = []

    def tearDown(self):
        """Runs every cleanup, then fails the test with the first that
        failed an assertion (an mqchat that would not end, see Mqchat.stop)."""
        failures = []
        for fn in reversed(self.cleanups):
            try:
                fn()
            except AssertionError as e:
                failures.append(e)
            except Exception:
                pass
        self.broker.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if failures:
            raise failures[0]

    def mqchat(self, ini, **kw):
        m = Mqchat(self.workdir, ini, **kw)
        self.cleanups.append(m.stop)
        return m

    def subscriber(self, **kw):
        s = Subscriber(self.broker, **kw)
        self.cleanups.append(s.stop)
        return s

    def another_broker(self, extra_conf=""):
        """One more private mosquitto, independent of self.broker (its own
        port and process), stopped with the test."""
        b = Broker(self.workdir, extra_conf)
        self.cleanups.append(b.stop)
        return b.start()


def main():
    unittest.main(verbosity=2)


# Kept while tests move to Subscriber, which now behaves the same.
LineSubscriber = Subscriber
