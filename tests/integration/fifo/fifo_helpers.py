# SPDX-License-Identifier: MIT
"""Pieces shared by the fifo frontend's integration tests: a headless mqchat
reading one FIFO, writers that go through real write() calls, and readings
of /proc for CPU time and peak memory."""
import errno
import os
import select
import subprocess
import threading
import time

import harness


def fifo_ini(tc, path=None, name="mqchat", fifo=None, core=None, nick="Ana"):
    """An INI file for a headless mqchat whose only frontend is a FIFO."""
    section = {} if path is None else {"path": path}
    section.update(fifo or {})
    core_keys = {"frontends": "fifo", "announce": "off"}
    core_keys.update(core or {})
    return harness.basic_ini(tc.workdir, tc.broker, name=name, nick=nick,
                             core=core_keys, fifo=section)


def start_headless(tc, ini, **kw):
    """mqchat with no terminal; returns once the FIFO is being read."""
    m = tc.mqchat(ini, stdin=subprocess.DEVNULL, **kw)
    m.err.wait_for(r"reading lines from ", timeout=harness.DEFAULT_TIMEOUT * 2)
    return m


def write_all(path, data):
    """One writer: open, write `data` (as many write() calls as the kernel
    wants for more than PIPE_BUF), close."""
    fd = os.open(path, os.O_WRONLY)
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
    finally:
        os.close(fd)


class Writer(threading.Thread):
    """Writes each of `lines` (bytes, newline included) with ONE write() on
    its own descriptor.  Non-blocking, so that when nobody reads any more it
    notices `stop` instead of hanging; `written` counts the lines that made it
    into the pipe (a write of at most PIPE_BUF bytes is all or nothing).
    With `first_together` (a threading.Barrier), no writer of the group
    writes its second line before each has written its first: otherwise
    the first to run can fill the pipe before the last has written one."""

    def __init__(self, path, lines, stop=None, first_together=None):
        super().__init__(daemon=True)
        self.path, self.lines = path, lines
        self.stop = stop or threading.Event()
        self.first_together = first_together
        self.written = 0
        self.error = None

    def run(self):
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as e:
            self.error = e
            return
        try:
            for line in self.lines:
                assert len(line) <= select.PIPE_BUF
                while True:
                    try:
                        os.write(fd, line)
                        break
                    except BlockingIOError:
                        if self.stop.is_set():
                            return
                        # The pipe is full: wait until it has room again.
                        select.select([], [fd], [], 0.2)
                self.written += 1
                if self.written == 1 and self.first_together:
                    self.first_together.wait(harness.DEFAULT_TIMEOUT)
        except threading.BrokenBarrierError as e:
            self.error = e
        except OSError as e:
            if e.errno != errno.EPIPE:
                self.error = e
        finally:
            os.close(fd)


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmHWM for pid {pid}")


def subscriber(tc):
    """mosquitto_sub whose lines arrive as they are printed."""
    sub = harness.LineSubscriber(tc.broker)
    tc.cleanups.append(sub.stop)
    return sub


def _is_payload(line):
    # As LineSubscriber.payloads() tells them from mosquitto_sub -d's lines.
    return not line.startswith((b"Client ", b" ", b"Subscribed (mid: "))


def wait_payloads(sub, n, timeout):
    """Wait until the subscriber has printed at least n payloads (counted as
    they arrive, not rescanned); returns all of them."""
    reader = sub.out
    deadline = time.monotonic() + timeout
    seen = count = 0
    with reader.cond:
        while True:
            while seen < len(reader.lines):
                count += _is_payload(reader.lines[seen])
                seen += 1
            if count >= n:
                return sub.payloads()
            left = deadline - time.monotonic()
            if reader.closed or left <= 0:
                raise AssertionError(f"subscriber has {count} payloads after "
                                     f"{timeout}s, wanted {n}")
            reader.cond.wait(left)
