# SPDX-License-Identifier: MIT
"""mqchat killed with SIGKILL in the middle of a burst loses nothing: what it
had read waits in its outbox, what it had not read waits in the FIFO, and
the next start sends both.  The broker gets some messages twice (those it
had taken but not acknowledged); receivers show each once, by id."""
import os
import signal
import time

import harness
from delivery_helpers import (outbox_rows, sender_ini, shown_texts, start_receiver,
                              start_sender, wait_for_texts)

TOTAL = 4000
BEFORE = 1000  # sent and acknowledged before the trouble starts
STALLED = 2000  # written while the broker is frozen


def lines(start, end):
    return "".join(f"line-{i:05d}\n" for i in range(start, end)).encode()


class Kill9Test(harness.TestCase):
    def test_killed_mid_burst_then_restarted_delivers_the_rest_once(self):
        raw = self.subscriber()
        receiver = start_receiver(self)
        fifo = os.path.join(self.workdir, "in.fifo")
        ini = sender_ini(self, "sender", fifo)
        sender = start_sender(self, ini, "sender")
        # The test keeps the FIFO open for writing throughout: what the
        # killed sender had not read stays in the pipe for the next one.
        fd = os.open(fifo, os.O_WRONLY)
        self.cleanups.append(lambda: os.close(fd))
        os.write(fd, lines(0, BEFORE))
        wait_for_texts(self, receiver, [f"line-{i:05d}" for i in range(BEFORE)], timeout=30)

        # Frozen, the broker acknowledges nothing: the sender's window
        # fills, its queue fills, and it stops reading the FIFO.
        self.broker.proc.send_signal(signal.SIGSTOP)
        self.cleanups.append(lambda: self.broker.proc.send_signal(signal.SIGCONT))
        os.set_blocking(fd, False)
        data = memoryview(lines(BEFORE, BEFORE + STALLED))
        deadline = time.monotonic() + 30
        while data:
            try:
                data = data[os.write(fd, data):]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self.fail("the sender stopped reading the FIFO for good")
                time.sleep(0.01)  # the pipe is full: the sender reads in chunks
        os.set_blocking(fd, True)
        harness.wait_until(lambda: outbox_rows(sender.home) >= 1000, timeout=30,
                           what="the sender to keep what it read in its outbox")

        sender.proc.kill()
        self.assertEqual(sender.wait(), -signal.SIGKILL)
        kept = outbox_rows(sender.home)
        self.assertGreaterEqual(kept, 1000)
        self.broker.proc.send_signal(signal.SIGCONT)

        again = start_sender(self, ini, "sender")
        again.err.wait_for(r"sending again \d+ messages? an earlier run left", timeout=30)
        os.write(fd, lines(BEFORE + STALLED, TOTAL))
        wait_for_texts(self, receiver, [f"line-{i:05d}" for i in range(TOTAL)], timeout=60)
        harness.wait_until(lambda: outbox_rows(again.home) == 0, timeout=30,
                           what="every message to be acknowledged")

        shown = shown_texts(receiver)
        expected = {f"line-{i:05d}" for i in range(TOTAL)}
        self.assertEqual(set(shown) - expected, set(), "unexpected lines shown")
        self.assertEqual(expected - set(shown), set(), "lines lost")
        repeated = {t: n for t, n in shown.items() if n > 1}
        self.assertEqual(repeated, {}, "shown more than once")
        # The broker really was sent some messages twice (the first
        # sender's unacknowledged window): the receiver's dedup was needed.
        # The broker has every copy (the outbox is empty), `raw` maybe not
        # yet: a message published now reaches it after all of them.
        harness.publish(self.broker, "sync: marker")
        raw.out.wait_for(r"^sync: marker$", timeout=30)
        texts = [p.decode().split('"text":"', 1)[-1].split('"', 1)[0]
                 for p in raw.payloads()]
        self.assertGreater(len(texts), len(set(texts)), "no message reached the broker twice")


if __name__ == "__main__":
    harness.main()
