# SPDX-License-Identifier: MIT
"""Pieces the history tests share: a broker that keeps its state across a
restart, an MQTT proxy that swallows PUBACKs (to force QoS 1 redeliveries),
and helpers over mqchat's batch output.  The paho classroom client and the
tmux terminal are the core tests' own, imported from there."""
import fcntl
import os
import pty
import pwd
import select
import struct
import subprocess
import sys
import termios
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
for area in ("core", "syslog"):
    sys.path.insert(0, os.path.join(HERE, "..", area))

from syslog_receiver import Receiver  # noqa: E402,F401
from test_interop import PahoClassroomClient  # noqa: E402,F401
from test_terminal import SLOW, Terminal  # noqa: E402,F401


class PersistentBrokerTest(harness.TestCase):
    """A broker that saves sessions and retained messages at exit and loads
    them at start, as a production mosquitto does.  Run as root, mosquitto
    would switch to its own user, who cannot write into the test's
    directory: `user` names whoever runs the test (ignored when not root)."""

    @property
    def broker_conf(self):
        return (f"persistence true\n"
                f"persistence_location {self.workdir}/\n"
                f"user {pwd.getpwuid(os.getuid()).pw_name}\n")


def batch_ini(test, nick, core=None, mqtt=None, **sections):
    """An INI for a batch instance that prints "{nick}: {text}" lines."""
    return harness.basic_ini(test.workdir, test.broker, name=nick, nick=nick,
                             core=core, mqtt=mqtt,
                             stdin={"format": "{nick}: {text}", "color": "never"},
                             **sections)


def connections(m):
    """How many times mqchat `m` has said on stderr that it is connected."""
    return sum(1 for line in m.err.lines if b"mqchat: connected to " in line)


def wait_connected(m, times=1):
    harness.wait_until(lambda: connections(m) >= times, SLOW,
                       f"{m.name} connected {times} time(s); stderr:\n{m.err.text()}")


def shown(m, line):
    """How many times mqchat `m` printed exactly `line`."""
    return m.out.text().splitlines().count(line)


def publish_retained(broker, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port),
                    "-t", harness.TOPIC, "-q", "1", "-r", "-s"], input=payload.encode(),
                   check=True, timeout=harness.DEFAULT_TIMEOUT)


class PubackSwallowingProxy(harness.TcpProxy):
    """A proxy in front of the broker that passes everything on except the
    broker's PUBACKs: a QoS 1 publisher behind it never learns that its
    messages arrived, so it sends them again (DUP) when it reconnects."""

    PUBACK = 4

    def __init__(self, broker_port):
        self.swallowed = 0
        super().__init__(broker_port)

    def from_broker(self, state, data):
        packets, state["rest"] = self._split(state.get("rest", b"") + data)
        kept = []
        for packet in packets:
            if packet[0] >> 4 == self.PUBACK:
                with self.lock:
                    self.swallowed += 1
            else:
                kept.append(packet)
        return b"".join(kept)

    @staticmethod
    def _split(data):
        """Whole MQTT packets at the start of `data`, and what is left."""
        packets = []
        while len(data) >= 2:
            length, multiplier, i = 0, 1, 1
            while True:
                if i >= len(data):
                    return packets, data
                byte = data[i]
                length += (byte & 0x7F) * multiplier
                multiplier *= 128
                i += 1
                if not byte & 0x80:
                    break
            if len(data) < i + length:
                break
            packets.append(data[:i + length])
            data = data[i + length:]
        return packets, data


def _read_some(fd, out):
    """Appends what the terminal has (waiting up to 0.5 s); False at its end."""
    if not select.select([fd], [], [], 0.5)[0]:
        return True
    try:
        data = os.read(fd, 65536)
    except OSError:
        return False
    out += data
    return bool(data)


def on_pty(argv, env, script, timeout=SLOW):
    """Runs `argv` on a pseudo-terminal of its own (raw bytes, which tmux
    would interpret).  For each (expected, reply) of `script` reads until
    the bytes `expected` appear, then types `reply`; then waits for the
    exit.  Returns every byte written to the terminal (the test fails if an
    expected one never comes)."""
    pid, fd = pty.fork()
    if pid == 0:
        # Wide enough that no line of ours is wrapped (rows, columns).
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))
        os.execvpe(argv[0], argv, env)
    out, deadline, ended = bytearray(), time.monotonic() + timeout, False
    try:
        for expected, reply in script:
            while expected not in out and time.monotonic() < deadline:
                if not _read_some(fd, out):
                    break
            if expected not in out:
                raise AssertionError(f"no {expected!r} on the terminal; got:\n{bytes(out)!r}")
            os.write(fd, reply)
        while not ended and time.monotonic() < deadline:
            ended = os.waitpid(pid, os.WNOHANG)[0] != 0
            _read_some(fd, out)
    finally:
        if not ended:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    return bytes(out)
