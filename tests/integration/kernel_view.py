# SPDX-License-Identifier: MIT
"""What the kernel knows right now about a process or a pipe: for tests
that must know that mqchat is stopped, or back waiting for input with input
left unread, instead of guessing by the clock."""
import fcntl
import signal
import struct
import subprocess
import termios

import harness


def state(pid):
    """The one-letter state: R running or runnable, S sleeping, T stopped..."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def waiting_in_poll(pid):
    """True while `pid` sleeps in poll().  A process woken by input (a pipe
    written to, among what it polls) is runnable at once, so: asleep here
    while input it could read is pending means it does not poll for it."""
    with open(f"/proc/{pid}/wchan") as f:
        wchan = f.read()
    return "poll" in wchan and state(pid) == "S"


def unread_bytes(fd):
    """How many bytes the pipe `fd` is an end of holds."""
    return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]


def attach_strace(pid, log, syscalls):
    """strace attached to the running `pid` (threads too), writing the
    `syscalls` (a list) it makes to the file `log`: the order of system calls
    shows what a clock could only guess.  Returns the strace process once it
    is attached; it ends when `pid` does."""
    proc = subprocess.Popen(
        ["strace", "-f", "-e", "trace=" + ",".join(syscalls), "-e", "signal=none",
         "-s", "256", "-o", log, "-p", str(pid)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        harness.LineReader(proc.stderr, "strace").wait_for(rf"Process {pid} attached")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc


def detach_strace(proc):
    """Lets go of the traced process (strace detaches on SIGINT) and waits
    for strace to end: a sanitizer's leak check at exit refuses to run
    under ptrace, so the traced mqchat must be free again before it stops."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    return proc.wait(harness.DEFAULT_TIMEOUT)
