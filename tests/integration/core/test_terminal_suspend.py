# SPDX-License-Identifier: MIT
"""Ctrl-Z and fg on a real pseudo-terminal.

A small job-control "shell" (a Python helper) owns the pty as its controlling
terminal and runs mqchat as the foreground job, in a process group of its own,
exactly as bash would.  The test plays the terminal driver and the user: it
sends SIGTSTP to that process group (what Ctrl-Z does), then SIGCONT (what fg
does), and looks at the process state, at the pty's termios and at what was
drawn on the screen.
"""
import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
import kernel_view  # noqa: E402

SLOW = 3 * harness.DEFAULT_TIMEOUT  # two cores shared by several test runs
PROMPT = b"> "

# The "shell": session leader with the pty as its controlling terminal; the
# job gets its own process group, made the terminal's foreground group before
# exec.  The shell stays in its own group of the same session, so the job's
# group is not orphaned and the kernel really stops it on SIGTSTP.  Exits with
# the job's exit code.
SHELL = r"""
import os, signal, sys
tty, argv = sys.argv[1], sys.argv[2:]
fd = os.open(tty, os.O_RDWR)  # a session leader's first tty becomes its own
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    os.tcsetpgrp(fd, os.getpid())
    for sig in (signal.SIGTTOU, signal.SIGPIPE, signal.SIGXFSZ):
        signal.signal(sig, signal.SIG_DFL)
    for std in (0, 1, 2):
        os.dup2(fd, std)
    os.execv(argv[0], argv)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


class ThroughShell:
    """mqchat run by the shell, as harness.terminate() sees a process:
    signals go to mqchat, the exit is the shell's (it exits with mqchat)."""

    def __init__(self, pid, shell):
        self.pid, self.shell = pid, shell

    def send_signal(self, sig):
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def poll(self):
        return self.shell.poll()

    def wait(self, timeout=None):
        return self.shell.wait(timeout)

    def kill(self):
        self.send_signal(signal.SIGKILL)


class Screen:
    """Everything written to the pty, read on a thread from the master side."""

    def __init__(self, master):
        self.master = master
        self.data = b""
        self.cond = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                chunk = b""
            with self.cond:
                self.data += chunk
                self.cond.notify_all()
            if not chunk:
                return

    def mark(self):
        with self.cond:
            return len(self.data)

    def wait_for(self, pattern, start=0, timeout=SLOW):
        """Waits until the output from offset `start` matches regex `pattern`."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        with self.cond:
            while not rx.search(self.data, start):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {pattern!r} on the terminal; after offset "
                                         f"{start}: {self.data[start:]!r}")
                self.cond.wait(left)

    def stop(self):
        self.stopping = True
        self.thread.join(5)


class SuspendTest(harness.TestCase):

    def start(self, job_control=True):
        """mqchat on a fresh 80x24 pty, its pid in self.pid; returns the process
        to wait for (the shell, which exits with mqchat's code, or mqchat)."""
        ini = harness.basic_ini(self.workdir, self.broker, core={"history": "off"},
                                stdin={"format": "{nick}: {text}", "color": "never",
                                       "history_file": "off"})
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.cleanups.append(lambda: os.close(self.master))
        self.cleanups.append(lambda: os.close(self.slave))
        self.screen = Screen(self.master)
        self.cleanups.append(self.screen.stop)
        self.cooked = termios.tcgetattr(self.slave)
        env = harness.isolated_env(os.path.join(self.workdir, "home"))
        env["TERM"] = "xterm"
        if job_control:
            cmd = [sys.executable, "-c", SHELL, os.ttyname(self.slave), harness.MQCHAT,
                   "-c", ini]
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        else:
            # Session leader itself: its group is orphaned, as under
            # `ssh host mqchat` or a terminal that runs it with no shell.
            proc = subprocess.Popen([harness.MQCHAT, "-c", ini], stdin=self.slave,
                                    stdout=self.slave, stderr=self.slave, env=env,
                                    start_new_session=True)
        self.cleanups.append(lambda: self.end(proc))
        self.screen.wait_for(re.escape(PROMPT))
        pid = proc.pid
        if job_control:
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pid = int(f.read().split()[0])
        self.pid = pid
        return proc

    def end(self, proc):
        """Ends mqchat (stopped too) the clean way, harness.terminate's; the
        shell, which waits for it, ends with it."""
        if proc.poll() is None:
            pid = getattr(self, "pid", None) or proc.pid
            self.assertIsNone(harness.terminate(ThroughShell(pid, proc)))

    def type(self, text):
        os.write(self.master, text.encode())

    def lflag(self):
        return termios.tcgetattr(self.slave)[3]

    def assert_raw(self):
        self.assertFalse(self.lflag() & (termios.ICANON | termios.ECHO),
                         "the line editor's terminal is not in keystroke mode")

    def assert_cooked(self, why):
        lflag = self.lflag()
        self.assertTrue(lflag & termios.ICANON and lflag & termios.ECHO,
                        f"{why}: terminal left without ICANON and ECHO")

    def test_ctrl_z_then_fg(self):
        sub = self.subscriber()
        proc = self.start()
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        self.type("half a li")
        self.screen.wait_for(re.escape(PROMPT + b"half a li"))
        self.assert_raw()

        # Ctrl-Z: the whole foreground group gets SIGTSTP.
        os.killpg(self.pid, signal.SIGTSTP)
        harness.wait_until(lambda: kernel_view.state(self.pid) == "T", SLOW, "mqchat to stop")
        self.assert_cooked("stopped by Ctrl-Z")
        harness.publish(self.broker, "Bob: while you were away")

        # fg: SIGCONT; the editor takes the terminal back and draws the
        # prompt and the half-typed line again.
        mark = self.screen.mark()
        os.killpg(self.pid, signal.SIGCONT)
        self.screen.wait_for(re.escape(PROMPT + b"half a li"), start=mark)
        self.assertNotEqual(kernel_view.state(self.pid), "T")
        self.assert_raw()
        # What came meanwhile is shown above it.
        self.screen.wait_for(rb"Bob: while you were away\r+\n.*" +
                             re.escape(PROMPT + b"half a li"), start=mark)

        # The line, finished, is sent whole.
        self.type("ne\r")
        sub.out.wait_for(rb"^Ana: half a line$", timeout=SLOW)

        # A second round works the same.
        mark = self.screen.mark()
        self.type("again")
        self.screen.wait_for(re.escape(b"again"), start=mark)
        os.killpg(self.pid, signal.SIGTSTP)
        harness.wait_until(lambda: kernel_view.state(self.pid) == "T", SLOW, "mqchat to stop")
        self.assert_cooked("stopped a second time")
        os.killpg(self.pid, signal.SIGCONT)
        harness.wait_until(lambda: not self.lflag() & termios.ICANON, SLOW,
                           "keystroke mode after the second fg")
        self.type("\r/quit\r")
        sub.out.wait_for(rb"^Ana: again$", timeout=SLOW)
        self.assertEqual(proc.wait(SLOW), 0)
        self.assertEqual(termios.tcgetattr(self.slave), self.cooked,
                         "terminal settings not restored at exit")

    def test_ctrl_z_without_job_control_keeps_editing(self):
        # No shell to resume it: the kernel discards the stop.  mqchat must
        # go on as if nothing happened, still in keystroke mode.
        sub = self.subscriber()
        proc = self.start(job_control=False)
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        self.type("still")
        self.screen.wait_for(re.escape(PROMPT + b"still"))
        mark = self.screen.mark()
        os.killpg(self.pid, signal.SIGTSTP)
        self.screen.wait_for(re.escape(PROMPT + b"still"), start=mark)
        self.assertNotEqual(kernel_view.state(self.pid), "T")
        self.assert_raw()
        self.type(" here\r")
        sub.out.wait_for(rb"^Ana: still here$", timeout=SLOW)
        self.type("/quit\r")
        self.assertEqual(proc.wait(SLOW), 0)


if __name__ == "__main__":
    harness.main()
