# SPDX-License-Identifier: MIT
"""The socket is corked for a loop round's publishes from the second on
and uncorked at the round's end: lines said together leave in few
segments, and a lone line leaves at once, uncorked (a cork would cost two
system calls for one segment), never held until the kernel gives up
holding it (200 ms on Linux) or more input comes.  At QoS 0 a room's lines
are written by mqchat itself, a round in one send() at its end
(mqtt_direct.h): nothing to cork, and each still leaves at once.

strace, attached to mqchat, shows the order of system calls that proves it,
with no clock: a PUBLISH written while TCP_CORK is set is followed by
TCP_CORK cleared before mqchat next waits in poll() for more input.  The
lone lines are written each once the subscriber has the one before, so
every line is a round of its own; the lines said together, in one write
to the FIFO, which mqchat reads at once."""
import os
import re

import harness
import kernel_view

LINES = 10
CORK_RX = re.compile(r"^\d+ +setsockopt\((\d+), SOL_TCP, TCP_CORK, \[(\d)\], \d+\) = (-?\d+)")
POLL_RX = re.compile(r"^\d+ +poll\(")
# While libmosquitto reads, its number for the socket points at the packet
# check's end, and mqchat corks the socket through a second descriptor of
# it; dup3(SECOND, NUMBER) gives the number back.
DUP3_RX = re.compile(r"^\d+ +dup3\((\d+), (\d+), O_CLOEXEC\) += \d+")


def publish_rx(qos, word):
    """libmosquitto's write(), or at QoS 0 our own send() (strace: sendto)."""
    call = "sendto" if qos == "0" else "write"
    return re.compile(rf"^\d+ +{call}\((\d+), .*Ana: {word} {qos}-(\d+)\", \d+.*\) = \d+")


class CorkTest(harness.TestCase):
    def attach_strace(self, m):
        log = os.path.join(self.workdir, f"strace-{m.proc.pid}.log")
        proc = kernel_view.attach_strace(m.proc.pid, log,
                                         ["setsockopt", "write", "sendto", "poll", "dup3"])
        self.cleanups.append(lambda: (proc.poll() is None and proc.kill(), proc.wait()))
        return proc, log

    def check_trace(self, trace, qos, word):
        """Lines whose PUBLISH was written corked, in order; fails at a
        poll() entered with a corked PUBLISH not yet uncorked."""
        corked, held, sent, sent_corked = set(), {}, [], []
        for line in trace.splitlines():
            m = DUP3_RX.match(line)
            if m and m.group(1) in corked:
                corked.discard(m.group(1))
                corked.add(m.group(2))
                continue
            m = CORK_RX.match(line)
            if m and m.group(3) == "0":
                fd = m.group(1)
                if m.group(2) == "1":
                    corked.add(fd)
                else:
                    corked.discard(fd)
                    held.pop(fd, None)
                continue
            m = publish_rx(qos, word).match(line)
            if m:
                fd, n = m.group(1), int(m.group(2))
                sent.append(n)
                if fd in corked:
                    held[fd] = n
                    sent_corked.append(n)
                continue
            if POLL_RX.match(line):
                self.assertEqual(held, {}, f"mqchat waits for input with line {held} "
                                           f"still corked:\n{trace}")
        self.assertEqual(sent, list(range(LINES)), trace)
        return sent_corked

    def trace_lines(self, qos, word, together):
        """The strace of mqchat saying LINES lines "WORD QOS-N", each alone
        or all in one write; returns the lines written corked."""
        fifo = os.path.join(self.workdir, f"in-{word}-{qos}.fifo")
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "fifo", "announce": "off", "history": "off"},
            mqtt={"qos": qos}, fifo={"path": fifo})
        sub = self.subscriber()
        m = self.mqchat(ini, stdin=open(os.devnull, "rb"))
        m.err.wait_for(r"connected to ")
        strace, log = self.attach_strace(m)
        fd = os.open(fifo, os.O_WRONLY)
        try:
            if together:
                os.write(fd, "".join(f"{word} {qos}-{i}\n" for i in range(LINES)).encode())
            for i in range(LINES):
                if not together:
                    os.write(fd, f"{word} {qos}-{i}\n".encode())
                sub.out.wait_for(rf"^Ana: {word} {qos}-{i}$")
        finally:
            os.close(fd)
        # Back in poll() after the last line: the trace holds its
        # uncork.  Let go before mqchat stops (ASan's exit check).
        harness.wait_until(lambda: kernel_view.waiting_in_poll(m.proc.pid),
                           what="mqchat back in poll()")
        kernel_view.detach_strace(strace)
        m.stop()
        sub.stop()
        with open(log) as f:
            trace = f.read()
        return self.check_trace(trace, qos, word), trace

    def test_lone_lines_are_not_held_back(self):
        for qos in ("0", "1"):
            with self.subTest(qos=qos):
                corked, trace = self.trace_lines(qos, "lone", together=False)
                # None corked: at QoS 1 each is a round's only publish, at
                # QoS 0 written in one send() of ours.
                self.assertEqual(corked, [], trace)

    def test_lines_said_together_leave_corked(self):
        corked, trace = self.trace_lines("1", "together", together=True)
        # One round, corked at its second publish, before any is written.
        self.assertEqual(corked, list(range(LINES)), trace)


if __name__ == "__main__":
    harness.main()
