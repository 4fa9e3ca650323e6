# SPDX-License-Identifier: MIT
"""The exec plugin's queue at max_running: runs beyond it wait for a free
slot and all run, in the order their messages came; nothing is dropped
until max_queued runs wait, and a run dropped then never runs later.

Each run is a gate (a small /bin/sh program): it makes a FIFO named after
its message, says it started, and waits until the test opens that FIFO.
The test ends the runs one at a time, so which run may start when is the
plugin's decision alone, never the machine's speed."""
import errno
import os
import re
import stat

import harness

MAX_RUNNING = 2
MAX_QUEUED = 3

GATE = """#!/bin/sh
# $1: the message's text, "job-N".
mkfifo "$REC_DIR/gate-$1" || exit 3
echo "$1" >> "$REC_DIR/started"
read -r _ < "$REC_DIR/gate-$1"
echo "$1" >> "$REC_DIR/ended"
"""


class ExecQueue(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.rec_dir = os.path.join(self.workdir, "records")
        os.mkdir(self.rec_dir)
        self.gate = os.path.join(self.workdir, "gate")
        with open(self.gate, "w") as f:
            f.write(GATE)
        os.chmod(self.gate, stat.S_IRWXU)

    def start(self):
        hook = {"plugin": "exec", "program": self.gate, "args": "{text}", "match": "^job-",
                "pass_env": "PATH REC_DIR", "timeout": "0",
                "max_running": str(MAX_RUNNING), "max_queued": str(MAX_QUEUED)}
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"frontends": "stdin, hook", "history": "off"},
                                hook=hook)
        m = self.mqchat(ini, env={"REC_DIR": self.rec_dir})
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        return m

    def lines(self, name):
        try:
            with open(os.path.join(self.rec_dir, name)) as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def wait_started(self, n):
        return harness.wait_until(lambda: len(self.lines("started")) >= n
                                  and self.lines("started"), what=f"{n} runs started")

    def release(self, job):
        """Lets run `job` end, once it is reading its FIFO."""
        fd = harness.wait_until(lambda: open_writer(os.path.join(self.rec_dir, f"gate-{job}")),
                                what=f"{job} to wait at its gate")
        try:
            os.write(fd, b"go\n")
        finally:
            os.close(fd)
        harness.wait_until(lambda: job in self.lines("ended"), what=f"{job} to end")

    def sync(self, m):
        """Returns once mqchat has handled every message published so far:
        messages reach the frontends in order, on one thread."""
        harness.publish(self.broker, "Bob: sync")
        m.out.wait_for(r"Bob: sync$")

    def children(self, m):
        with open(f"/proc/{m.proc.pid}/task/{m.proc.pid}/children") as f:
            return len(f.read().split())

    def test_runs_beyond_max_running_wait_and_all_run_in_order(self):
        m = self.start()
        jobs = [f"job-{i}" for i in range(MAX_RUNNING + MAX_QUEUED)]
        for job in jobs:
            harness.publish(self.broker, f"Bob: {job}")
        self.sync(m)
        # Every message is handled; only max_running runs were started (in
        # what order they got to write down their start is the machine's
        # business).
        self.assertEqual(self.children(m), MAX_RUNNING)
        self.assertCountEqual(self.wait_started(MAX_RUNNING), jobs[:MAX_RUNNING])

        # One more while the queue is full: dropped, with a warning.
        harness.publish(self.broker, "Bob: job-dropped")
        m.err.wait_for(rf"hook: warning: {MAX_RUNNING} runs of .*gate going and "
                       rf"{MAX_QUEUED} queued: dropping messages")

        # Each run that ends lets the oldest waiting one start, and only it.
        first = self.lines("started")
        for i, job in enumerate(first + jobs[MAX_RUNNING:]):
            self.release(job)
            started = i + 1 + MAX_RUNNING
            if started <= len(jobs):
                self.assertEqual(self.wait_started(started), first + jobs[MAX_RUNNING:started])
                # The new one was started after the ended one was reaped.
                self.assertEqual(self.children(m), MAX_RUNNING)
            if i == 0:
                m.err.wait_for(rf"hook: warning: 1 message was dropped while "
                               rf"{MAX_QUEUED} runs were queued")
        self.sync(m)
        self.assertEqual(self.lines("started"), first + jobs[MAX_RUNNING:])
        self.assertEqual(self.lines("ended"), first + jobs[MAX_RUNNING:])
        self.assertNotIn("gate-job-dropped", os.listdir(self.rec_dir))
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())
        self.assertEqual(len(re.findall(r"dropping messages", m.err.text())), 1,
                         m.err.text())


def open_writer(fifo):
    """A descriptor writing into `fifo` once a reader has it open, or None
    (a blocking open would wait for ever on a run that died)."""
    try:
        return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno == errno.ENXIO:  # no reader yet
            return None
        raise


if __name__ == "__main__":
    harness.main()
