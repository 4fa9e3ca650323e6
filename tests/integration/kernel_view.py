# SPDX-License-Identifier: MIT
"""What the kernel knows right now about a process or a pipe: for tests
that must know that mqchat is stopped, or back waiting for input with input
left unread, instead of guessing by the clock."""
import fcntl
import struct
import termios


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
