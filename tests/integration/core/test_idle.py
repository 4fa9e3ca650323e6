# SPDX-License-Identifier: MIT
"""A connected mqchat with nothing to do sleeps: no CPU time and (almost) no
wakeups between keepalives.  With keepalive = 60 s, a 5 s window must see at
most a couple of poll() returns; a loop that wakes every second (or spins)
fails here."""
import os
import signal
import subprocess
import sys
import time

import harness

WINDOW = 5.0          # seconds measured
MAX_TICKS = 2         # utime + stime, in clock ticks (usually 1/100 s)
MAX_WAKEUPS = 2       # poll/ppoll returns in WINDOW


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # The command name may contain spaces: fields are counted after ")".
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


class IdleTest(harness.TestCase):
    def start_idle_mqchat(self):
        sub = self.subscriber()
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"history": "off", "announce": "on"},
            mqtt={"keepalive": "60"},
            stdin={"format": "{nick}: {text}", "color": "never"})
        m = self.mqchat(ini)  # stdin stays open: batch mode, waiting for input
        # Connected, subscribed, announced, and the announcement is back.
        sub.out.wait_for(r"^Ana ha entrado al chat$")
        return m

    def still_works(self, m):
        harness.publish(self.broker, "Pepe: sigues ahí?")
        m.out.wait_for(r"^Pepe: sigues ahí\?$")
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_no_cpu_when_idle(self):
        m = self.start_idle_mqchat()
        before = cpu_ticks(m.proc.pid)
        time.sleep(WINDOW)  # the measurement window itself
        used = cpu_ticks(m.proc.pid) - before
        print(f"idle mqchat used {used} ticks in {WINDOW}s", file=sys.stderr)
        self.assertLessEqual(used, MAX_TICKS, f"idle mqchat used {used} clock ticks "
                             f"of CPU in {WINDOW}s")
        self.still_works(m)

    def test_no_wakeups_when_idle(self):
        m = self.start_idle_mqchat()
        trace = os.path.join(self.workdir, "strace.txt")
        strace = subprocess.Popen(
            ["strace", "-f", "-tt", "-o", trace,
             "-e", "trace=poll,ppoll,epoll_wait,epoll_pwait,select,pselect6,restart_syscall",
             "-p", str(m.proc.pid)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.cleanups.append(lambda: strace.poll() is None and strace.kill())
        err = harness.LineReader(strace.stderr, "strace")
        err.wait_for(r"Process \d+ attached")
        time.sleep(WINDOW)  # the measurement window itself
        strace.send_signal(signal.SIGINT)  # detaches, leaving mqchat running
        strace.wait(harness.DEFAULT_TIMEOUT)

        with open(trace) as f:
            calls = f.read().splitlines()
        # A finished call is a line with its result ("= N"); an unfinished
        # one (still waiting at detach) is not a wakeup.
        returns = [l for l in calls if " = " in l and "exited" not in l]
        print(f"{len(returns)} wakeups in {WINDOW}s:\n" + "\n".join(calls), file=sys.stderr)
        self.assertLessEqual(
            len(returns), MAX_WAKEUPS,
            f"idle mqchat returned from poll {len(returns)} times in {WINDOW}s:\n"
            + "\n".join(calls[:20]))
        self.still_works(m)


if __name__ == "__main__":
    harness.main()
