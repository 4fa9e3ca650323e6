# SPDX-License-Identifier: MIT
"""Signals to a headless mqchat reading a FIFO.

SIGTERM in the middle of a burst: every line is accounted for.  A line
written into the FIFO ends up in exactly one of three places, and the test
checks each line against them:
  - delivered: the subscriber has it, intact and in its writer's order;
  - read but never acknowledged: mqchat lists it on stderr ("not acknowledged: ...")
    and exits 75;
  - never read: it is still in the pipe.  The kernel keeps a pipe's bytes
    only while someone holds the pipe open, so the test holds it open (as a
    writer that has not finished would) and reads what is left after mqchat
    exits; mqchat says how many bytes it left and keeps the FIFO's path.
The one line mqchat may have read in part when it stopped is reported as
"an unfinished line" and its rest is the first thing left in the pipe.

SIGHUP: a deleted FIFO is made again, and lines already in the old one are
not lost.
"""
import fcntl
import os
import re
import signal
import stat
import threading

import harness
import kernel_view
from fifo_helpers import (Writer, fifo_ini, start_headless, subscriber,
                          wait_payloads, write_all)
from harness import publish

EX_TEMPFAIL = 75
MARKER = b"marker: everything before me has been delivered"
LINE_RX = re.compile(rb"^w(\d) (\d{5}) [a-z]+$")


def burst_lines(writer, count):
    return [f"w{writer} {i:05d} {chr(97 + (writer + i) % 26) * (40 + i % 50)}".encode()
            for i in range(count)]


class FifoSignals(harness.TestCase):

    def burst_then_sigterm(self, n_writers, per_writer, before_sigterm, core=None,
                           after_exit=lambda: None):
        """Start writers, let `before_sigterm()` run once the burst is on,
        SIGTERM, and return everything needed to account for each line.

        The test, not the scheduler, decides that the burst is on at the
        SIGTERM: mqchat is stopped (SIGSTOP) with lines unread in the pipe
        and each writer still holding most of its lines, and gets the
        SIGTERM and SIGCONT together; the writers go on meanwhile."""
        self.sub = subscriber(self)
        self.path = os.path.join(self.workdir, "run", "in.fifo")
        m = start_headless(self, fifo_ini(self, self.path, core=core))
        # Holding the pipe open keeps what mqchat leaves in it.
        keeper = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        self.cleanups.append(lambda: os.close(keeper))
        # A pipe larger than what mqchat reads at once (64 KiB), so that it
        # is likely to stop in the middle of a line.
        fcntl.fcntl(keeper, fcntl.F_SETPIPE_SZ, 1024 * 1024)
        expected = {w: burst_lines(w, per_writer) for w in range(n_writers)}
        # Each writer's burst in two parts: the second starts once mqchat
        # is stopped, and is far more than the pipe holds.
        split = per_writer // 5
        stop = threading.Event()
        firsts = [Writer(self.path, [line + b"\n" for line in expected[w][:split]])
                  for w in range(n_writers)]
        for w in firsts:
            w.start()
        wait_payloads(self.sub, 1000, timeout=60)
        for w in firsts:
            w.join(harness.DEFAULT_TIMEOUT)
            self.assertFalse(w.is_alive())
            self.assertIsNone(w.error)
            self.assertEqual(w.written, split)
        m.signal(signal.SIGSTOP)
        harness.wait_until(lambda: kernel_view.state(m.proc.pid) == "T",
                           what="mqchat stopped")
        together = threading.Barrier(n_writers)
        seconds = [Writer(self.path, [line + b"\n" for line in expected[w][split:]], stop,
                          together)
                   for w in range(n_writers)]
        for w in seconds:
            w.start()
        harness.wait_until(lambda: all(w.written > 0 for w in seconds),
                           what="every writer writing to the stopped mqchat")
        self.assertGreater(kernel_view.unread_bytes(keeper), 0)
        before_sigterm()
        m.signal(signal.SIGTERM)
        m.signal(signal.SIGCONT)
        rc = m.wait(60)
        after_exit()
        stop.set()
        for w in seconds:
            w.join(10)
            self.assertFalse(w.is_alive())
            self.assertIsNone(w.error)
        left = b""
        while True:
            try:
                chunk = os.read(keeper, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            left += chunk
        written = {w: expected[w][:split + seconds[w].written] for w in range(n_writers)}
        return rc, m.err.text(), written, left

    def account(self, rc, err, written, left):
        """Each written line is delivered, reported as not acknowledged, or left."""
        delivered = {w: [] for w in written}
        for p in self.sub.payloads():
            # The leave message may come as the Last Will when the broker
            # never got the stalled instance's DISCONNECT.
            if p in (MARKER, b"Ana ha salido del chat"):
                continue
            self.assertTrue(p.startswith(b"Ana: "), p[:60])
            match = LINE_RX.match(p[5:])
            self.assertIsNotNone(match, f"damaged payload {p[:80]!r}")
            delivered[int(match.group(1))].append(p[5:])
        not_sent = set(re.findall(r"not acknowledged: Ana: (.*)", err))

        pieces = left.split(b"\n")
        self.assertEqual(pieces[-1], b"", "the pipe ends inside a line")
        pieces = pieces[:-1]
        fragment = None
        if pieces and not LINE_RX.match(pieces[0]):
            fragment = pieces.pop(0)
        remaining = {w: [] for w in written}
        for piece in pieces:
            match = LINE_RX.match(piece)
            self.assertIsNotNone(match, f"damaged line in the pipe {piece[:80]!r}")
            remaining[int(match.group(1))].append(piece)

        unaccounted = []
        for w, lines in written.items():
            got = delivered[w]
            # Delivered: the first lines, in order, intact (a prefix).
            self.assertEqual(got, lines[:len(got)], f"writer {w}: delivered lines")
            # Left in the pipe: the last lines, in order (a suffix).
            rest = remaining[w]
            self.assertEqual(rest, lines[len(lines) - len(rest):], f"writer {w}: left lines")
            for line in lines[len(got):len(lines) - len(rest)]:
                if line.decode() not in not_sent:
                    unaccounted.append(line)
        if fragment is not None:
            # The one line mqchat was reading when it stopped.
            self.assertEqual(len(unaccounted), 1, unaccounted[:3])
            line = unaccounted.pop()
            self.assertTrue(line.endswith(fragment))
            self.assertIn(f"an unfinished line ({len(line) - len(fragment)} bytes", err)
        self.assertEqual(unaccounted, [], "lines read by mqchat, neither delivered nor "
                                          "reported as not acknowledged")

        if rc == 0:
            self.assertEqual(not_sent, set())
        else:
            self.assertEqual(rc, EX_TEMPFAIL, err)
            self.assertRegex(err, r"\d+ messages? (were|was) never acknowledged")
        if left:
            match = re.search(rf"(\d+) bytes written to {re.escape(self.path)} were left unread", err)
            self.assertIsNotNone(match, err)
            self.assertLessEqual(int(match.group(1)), len(left))
            self.assertTrue(stat.S_ISFIFO(os.lstat(self.path).st_mode),
                            "the FIFO holding unread lines was removed")
        return sum(len(v) for v in delivered.values())

    def test_sigterm_during_a_burst(self):
        def sync():
            # mqchat's exit says the broker has what it acknowledged, not
            # that the subscriber has read it: a message published now
            # comes after all of it.
            publish(self.broker, MARKER)
            self.sub.out.wait_for(re.escape(MARKER), timeout=30)

        rc, err, written, left = self.burst_then_sigterm(4, 5000, lambda: None,
                                                         after_exit=sync)
        self.account(rc, err, written, left)

    def test_sigterm_with_the_broker_stalled(self):
        # The broker stops answering mid-burst (SIGSTOP: it neither acks nor
        # drops anything): what mqchat read can no longer be acknowledged, so
        # it must list those lines and exit 75.
        broker = self.broker.proc.pid

        def stall():
            os.kill(broker, signal.SIGSTOP)
            self.cleanups.append(lambda: os.kill(broker, signal.SIGCONT))

        def resume():
            # What the broker acknowledged before it stalled reaches the
            # subscriber before a message published after it resumes.
            os.kill(broker, signal.SIGCONT)
            publish(self.broker, MARKER)
            self.sub.out.wait_for(re.escape(MARKER), timeout=30)

        rc, err, written, left = self.burst_then_sigterm(
            4, 5000, stall, core={"quit_timeout": "2"}, after_exit=resume)
        self.assertEqual(rc, EX_TEMPFAIL, err)
        self.account(rc, err, written, left)

    def test_sighup_remakes_a_deleted_fifo(self):
        sub = subscriber(self)
        path = os.path.join(self.workdir, "run", "in.fifo")
        m = start_headless(self, fifo_ini(self, path))
        old = os.open(path, os.O_WRONLY)
        os.unlink(path)
        os.write(old, b"into the deleted fifo\n")
        m.signal(signal.SIGHUP)
        m.err.wait_for(r"reopened .*in\.fifo \(created\)")
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode))
        write_all(path, b"into the new fifo\n")
        self.assertEqual(wait_payloads(sub, 2, timeout=30),
                         [b"Ana: into the deleted fifo", b"Ana: into the new fifo"])
        os.close(old)
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(30), 0, m.err.text())
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode), "the FIFO was removed at exit")


if __name__ == "__main__":
    harness.main()
