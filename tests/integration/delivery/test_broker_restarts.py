# SPDX-License-Identifier: MIT
"""Three writers send 10 000 messages at QoS 1 while the broker is stopped
and started again five times: a receiver with a persistent session shows
every one of them, each exactly once.  The broker keeps its sessions on
disk (persistence) and is stopped with SIGTERM, so what it acknowledged it
keeps; everything else is the writers' outboxes and libmosquitto's resends.

At each restart mosquitto sends the receiver again every message it had in
flight to it, and 2.0.11 lets that window grow past the Receive Maximum of
20 with each restart (its session file in one run: 25, 478, 1 730, 2 465
and 2 775 messages awaiting a PUBACK).  The receiver runs with history off,
so only its in-memory set knows them: it holds DEDUP_NO_HISTORY_CAPACITY
ids.  With 4 096 this test failed now and then, most likely so: a block
of some 4 000 old messages shown again after the last restart."""
import collections
import os
import re

import harness
from delivery_helpers import shown_texts, start_receiver, wait_for_texts

WRITERS = 3
# Broker log lines about single connections, left out of a failure's account.
NOISE = re.compile(r"New connection from|New client connected|closed its connection"
                   r"|should not be run as root|Opening ipv[46] listen socket|Config loaded")
TOTAL = 10000
RESTARTS = 5


class BrokerRestartsTest(harness.TestCase):
    def setUp(self):
        super().setUp()
        # Restarted with its database in the test's directory (not
        # /var/lib).  Started as root, mosquitto would become user
        # mosquitto, who cannot write there: `user root` keeps it (and is
        # ignored when the tests do not run as root).
        self.broker.stop()
        self.broker.extra_conf += ("persistence true\nautosave_interval 0\nuser root\n"
                                   f"persistence_location {self.workdir}/\n")
        self.broker.start()

    def writer(self, n):
        ini = harness.basic_ini(
            self.workdir, self.broker, name=f"writer{n}", nick=f"w{n}",
            core={"announce": "off", "history": "off", "quit_timeout": 120},
            mqtt={"wire": "json", "qos": 1, "retry": "on", "reconnect_max": 1})
        return self.mqchat(ini, name=f"writer{n}")

    def test_five_broker_restarts_lose_and_repeat_nothing(self):
        receiver = start_receiver(self, mqtt={"retry": "on"})
        writers = [self.writer(n) for n in range(WRITERS)]
        per_phase = TOTAL // (RESTARTS + 1) // WRITERS + 1
        texts = [f"w{i % WRITERS}-{i:05d}" for i in range(TOTAL)]
        queues = [texts[n::WRITERS] for n in range(WRITERS)]

        def feed(count):
            for w, q in zip(writers, queues):
                chunk, q[:] = q[:count], q[count:]
                w.proc.stdin.write("".join(t + "\n" for t in chunk).encode())
                w.proc.stdin.flush()

        self.restarted_at = []  # the receiver's output lines at each restart
        self.saved_bytes = []   # the size of the session file each stop saved (None: none)
        for restart in range(RESTARTS):
            feed(per_phase)
            # Stop the broker while that phase is still in flight.
            receiver.out.wait_count(min(TOTAL, 1 + restart * per_phase * WRITERS),
                                    timeout=60)
            self.restarted_at.append(len(receiver.out.lines))
            self.broker.restart()
            saved = os.path.join(self.workdir, "mosquitto.db")
            self.saved_bytes.append(os.path.getsize(saved) if os.path.exists(saved) else None)
        feed(TOTAL)
        for w in writers:
            w.close_stdin()
        for w in writers:
            self.assertEqual(w.wait(120), 0, w.err.text())
        wait_for_texts(self, receiver, texts, timeout=60)

        shown = shown_texts(receiver)
        self.assertEqual(set(texts) - set(shown), set(), "messages lost")
        self.assertEqual(set(shown) - set(texts), set(), "unexpected lines")
        repeated = {t: n for t, n in shown.items() if n > 1}
        if repeated:
            self.fail(self.account(receiver, writers, repeated))

    def account(self, receiver, writers, repeated):
        """What was shown twice, in words: how many of whose, the first
        and last, whether a second copy had its first's id (sent again) or
        another (said again), where the second copies began in the
        receiver's output (against the restarts, and the size of what each
        restart's broker had saved: thousands of messages held for the
        receiver show), and what the receiver, the writers and the broker
        said."""
        shown = [line.decode("utf-8", "replace").rstrip("\n").split(" ", 2)
                 for line in list(receiver.out.lines)]
        ids, second, same_id = {}, [], 0
        for i, (_, mid, t) in enumerate((part + ["", ""])[:3] for part in shown):
            if t in ids:
                second.append(i)
                same_id += ids[t] == mid
            elif t in repeated:
                ids[t] = mid
        whose = collections.Counter(t.split("-")[0] for t in repeated)
        first = sorted(repeated)
        links = "".join(f"writer{n}: {line}\n" for n, w in enumerate(writers)
                        for line in w.err.text().splitlines())
        # Every restart's saving and restoring, and whatever went wrong:
        # a save that failed would bring back an older session.
        with open(self.broker.log_path, errors="replace") as f:
            broker_log = "".join(line for line in f if not NOISE.search(line))
        return (f"{len(repeated)} shown more than once ({dict(whose)}), from {first[:3]} "
                f"to {first[-3:]}; {same_id} of {len(second)} second copies with the first's "
                f"id; at output lines {second[:1] + second[-1:]} of {len(shown)}, the "
                f"restarts at lines {self.restarted_at}, each saving a session file of "
                f"{self.saved_bytes} bytes\nreceiver:\n{receiver.err.text()}"
                f"{links}broker log:\n{broker_log}")


if __name__ == "__main__":
    harness.main()
