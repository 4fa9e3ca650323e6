# SPDX-License-Identifier: MIT
"""Every process the benchmark starts, and the one way they are stopped.

Each child gets a process group of its own.  Stopping sends SIGTERM to the
child, waits a bounded time (GRACE), then SIGKILLs its whole group (so a
wrapper's children go too) and notes it.  Stopping never raises: a process
that will not end costs the run a note, not its results."""
import os
import signal
import subprocess
import time

GRACE = 5.0


class Children:
    def __init__(self, grace=GRACE):
        self.grace = grace
        self.live = {}      # pid -> (name, Popen)
        self.notes = []     # one line per process that needed SIGKILL
        self.spawning = False
        self.deferred = None

    def spawn(self, name, args, **popen_kw):
        """subprocess.Popen in a new session; `name` is how notes call it."""
        self.spawning = True
        try:
            proc = subprocess.Popen(args, start_new_session=True, **popen_kw)
            self.live[proc.pid] = (name, proc)
        finally:
            self.spawning = False
        if self.deferred:
            e, self.deferred = self.deferred, None
            raise e
        return proc

    def adopt(self, name, proc):
        """A child someone else started (tests/integration's NATS cluster):
        stopped with the others.  Not in a session of its own: its SIGKILL
        goes to it alone."""
        self.live[proc.pid] = (name, proc)

    def interrupt(self, e):
        """Raises `e` (from a signal handler) unless a child is being
        started: then once it is known, so that none escapes being stopped."""
        if self.spawning:
            self.deferred = e
        else:
            raise e

    def forget(self, proc):
        """The caller reaped `proc` itself."""
        self.live.pop(proc.pid, None)

    def run(self, name, args, timeout, **popen_kw):
        """Like subprocess.run(check=True, capture_output=True): returns
        stdout; a child that outlives `timeout` is stopped and the call
        raises RuntimeError."""
        proc = self.spawn(name, args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          **popen_kw)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(proc)
            raise RuntimeError(f"{name} did not finish within {timeout:g} s") from None
        self.forget(proc)
        if proc.returncode != 0:
            if isinstance(err, bytes):
                err = err.decode(errors="replace")
            raise RuntimeError(f"{name} exited {proc.returncode}: {err.strip()[-300:]}")
        return out

    def stop(self, proc):
        """SIGTERM, GRACE, SIGKILL; returns the exit code (None if even
        SIGKILL did not end it within GRACE)."""
        return self.stop_all([proc])[0]

    def stop_all(self, procs):
        """Stops several at once: all get SIGTERM, then share one GRACE."""
        for proc in procs:
            if proc.poll() is None:
                _signal(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        codes = [self._wait(proc, deadline) for proc in procs]
        for i, proc in enumerate(procs):
            if codes[i] is None:
                _signal(proc.pid, signal.SIGKILL, group=True)
                _signal(proc.pid, signal.SIGKILL)  # an adopted one leads no group
                codes[i] = self._wait(proc, time.monotonic() + self.grace)
                name = self.live.get(proc.pid, ("process",))[0]
                self.notes.append(f"{name} (pid {proc.pid}) did not exit within "
                                  f"{self.grace:g} s of SIGTERM: killed"
                                  + ("" if codes[i] is not None else ", and still not gone"))
        for proc in procs:
            if proc.returncode is not None:
                self.forget(proc)
        return codes

    def running(self):
        """Every child started and not yet reaped."""
        return [proc for _, proc in self.live.values()]

    @staticmethod
    def _wait(proc, deadline):
        try:
            return proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None


def _signal(pid, sig, group=False):
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass
