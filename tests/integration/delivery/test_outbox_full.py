# SPDX-License-Identifier: MIT
"""A full outbox ([core] outbox_max) pauses reading, says so, and drops
nothing: what is not read waits in the FIFO until the broker acknowledges."""
import os
import signal

import harness
import kernel_view
from delivery_helpers import (outbox_rows, sender_ini, shown_texts, start_receiver,
                              start_sender, wait_for_texts)

MAX = 50


def lines(start, end):
    return "".join(f"full-{i:04d}\n" for i in range(start, end)).encode()


class OutboxFullTest(harness.TestCase):
    def test_full_outbox_pauses_input_and_loses_nothing(self):
        receiver = start_receiver(self)
        fifo = os.path.join(self.workdir, "in.fifo")
        sender = start_sender(self, sender_ini(self, "sender", fifo,
                                               core={"outbox_max": MAX}), "sender")
        fd = os.open(fifo, os.O_WRONLY)
        self.cleanups.append(lambda: os.close(fd))
        self.broker.proc.send_signal(signal.SIGSTOP)
        self.cleanups.append(lambda: self.broker.proc.send_signal(signal.SIGCONT))

        first = lines(0, MAX + 10)  # read in one go: the outbox goes past full
        os.write(fd, first)
        sender.err.wait_for(r"outbox full: \d+ messages wait for the broker", timeout=20)
        self.assertEqual(outbox_rows(sender.home), MAX + 10)
        rest = lines(MAX + 10, 200)
        os.write(fd, rest)
        # The write wakes a sender that polls the FIFO: back asleep in
        # poll() with the lines still there, it does not.
        harness.wait_until(lambda: kernel_view.waiting_in_poll(sender.proc.pid),
                           what="the sender to wait in poll()")
        self.assertEqual(kernel_view.unread_bytes(fd), len(rest), "the sender read on, past full")
        self.assertEqual(outbox_rows(sender.home), MAX + 10)

        self.broker.proc.send_signal(signal.SIGCONT)
        wait_for_texts(self, receiver, [f"full-{i:04d}" for i in range(200)], timeout=30)
        shown = shown_texts(receiver)
        self.assertEqual(set(shown), {f"full-{i:04d}" for i in range(200)})
        self.assertEqual(max(shown.values()), 1)


if __name__ == "__main__":
    harness.main()
