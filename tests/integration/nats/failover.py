# SPDX-License-Identifier: MIT
"""The failover run both nats-failover-* tests make: mqchat A (Ana, the fifo
frontend, headless) on node 1 sends 2 000 QoS 1 lines written into its FIFO;
mqchat B (Bob, batch mode) on node 3 shows them; once B has shown some
hundreds, one node dies (SIGKILL) and the mqchat that was on it must move
to another node of its `hosts`.  B's output is the proof: all 2 000, in the
order they were written, none twice.  Then A is stopped (SIGTERM), having
read everything, and exits 0: every line acknowledged.

Both speak the plain wire, the default, where a copy is known by its
words.  When B's node dies, NATS may send B a message again long after
(one whose PUBACK died with the node, after ack_wait, once the leaders it
needs are elected again), and it is still known, as one seen just before
B's link went down (once, before mqchat knew that: a line shown twice in
17 runs), also when B's next node dropped it too (the unit test
a_message_in_flight_repeats_after_a_move_of_two_hops).  When A moves, the
copies are A's: what it had sent without an acknowledgement it sends
again from the next node, as late as its move takes, and nothing on the
plain wire tells B that these words are not said again: B knows them
only within [core] dedup_window.  A CI run on a busy machine showed two
lines twice, A having moved twice (most likely longer than the default
10 s); another showed a line twice when B's node was killed, the
surviving node 1 having reset A's connection too.  So in both tests B's
window covers THROUGH: the test is about the move, not about the window
(see the README, "When one broker is not enough")."""
import os
import re
import signal
import subprocess
import sys
import time

import harness
from nats_helpers import SLOW, NatsTestCase, until_heard

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fifo"))
from fifo_helpers import Writer  # noqa: E402

COUNT = 2000
KILL_AFTER = 300  # lines B has shown when the node dies
LINES = [f"line {i:04d} of {COUNT}" for i in range(1, COUNT + 1)]
# Generous: a cluster re-electing its leaders on a busy 2-CPU machine.
THROUGH = 240
WIRE = {"wire": "plain"}


def shown_by(m):
    """Ana's lines on B's standard output, in the order shown."""
    return [line[5:] for line in m.out.text().splitlines() if line.startswith("Ana: ")]


def links(m, since):
    """What mqchat `m` said of its connections, on one line, each at its
    time in seconds from `since` (time.monotonic())."""
    return " / ".join(f"{at - since:.1f}s {line}" for at, line in m.err.timed()
                      if re.search(r"connect|lost|trying|refused|acknowledged", line))


class FailoverTestCase(NatsTestCase):

    def run_failover(self, a_hosts, b_hosts, victim):
        """A with `a_hosts`, B with `b_hosts` (lists of node numbers, the
        first where each starts); node `victim` is killed mid-stream.
        Returns (A, B)."""
        c = self.cluster
        self.started, self.killed_at = time.monotonic(), None
        first_a, first_b = c.mqtt_port(a_hosts[0]), c.mqtt_port(b_hosts[0])
        # A's copies come as late as its move takes (see above), and a
        # node that lives may drop A too.
        b = self.mqchat(self.ini("bob", "Bob", mqtt=dict(WIRE, hosts=c.hosts(*b_hosts)),
                                 core={"dedup_window": THROUGH}),
                        name="bob")
        self.connected_to(b, first_b)
        fifo = os.path.join(self.workdir, "ana.fifo")
        a = self.mqchat(self.ini("ana", "Ana", mqtt=dict(WIRE, hosts=c.hosts(*a_hosts)),
                                 core={"frontends": "fifo"}, fifo={"path": fifo}),
                        name="ana", stdin=subprocess.DEVNULL)
        self.connected_to(a, first_a)
        a.err.wait_for(r"reading lines from ", timeout=SLOW)
        self.wait_listening(b)

        writer = Writer(fifo, [line.encode() + b"\n" for line in LINES])
        writer.start()
        self.cleanups.append(lambda: (writer.stop.set(), writer.join(10)))
        try:
            harness.wait_until(lambda: len(shown_by(b)) >= KILL_AFTER, timeout=THROUGH,
                               what=f"B showing {KILL_AFTER} lines")
        except AssertionError as e:
            self.fail_with_logs(f"{e}\n{self.account(b)}\nA's stderr:\n{a.err.text()}")
        moving = a if victim == a_hosts[0] else b
        at = len(moving.err.lines)
        self.killed_at = time.monotonic()
        c.kill(victim)
        dead = c.mqtt_port(victim)
        i = moving.err.wait_for(rf"connection to 127\.0\.0\.1:{dead} lost", timeout=SLOW,
                                start=at)
        others = "|".join(str(c.mqtt_port(n)) for n in (1, 2, 3) if n != victim)
        moving.err.wait_for(rf"connected to 127\.0\.0\.1:({others})\b", timeout=THROUGH,
                            start=i)

        try:
            harness.wait_until(lambda: len(shown_by(b)) >= COUNT, timeout=THROUGH,
                               what=f"B showing all {COUNT} lines")
        except AssertionError as e:
            self.fail_with_logs(f"{e}\n{self.account(b)}\nA's stderr:\n{a.err.text()}"
                                f"\nB's stderr:\n{b.err.text()}")
        writer.join(SLOW)
        self.assertFalse(writer.is_alive())
        self.assertIsNone(writer.error)
        self.assertEqual(writer.written, COUNT)
        # B showed every line: A has read them all.  SIGTERM: it waits for
        # what is not acknowledged yet, and says if anything never was.
        a.signal(signal.SIGTERM)
        rc = a.wait(60)
        self.assertEqual(rc, 0, a.err.text())
        self.assertNotIn("not acknowledged", a.err.text())
        # A fence: NATS sends B the room in order, one message at a time
        # (conf/nats: max_ack_pending 1), so a copy still owed to B would
        # come before this line, said on node 2 (alive in both tests).
        classroom = self.classroom(2, name="Clase")
        classroom.say("fin")
        b.out.wait_for(r"^Clase: fin$", timeout=THROUGH)
        self.assert_all_once_in_order(a, b)
        return a, b

    def wait_listening(self, b):
        """Until B's room subscription is in."""
        classroom = self.classroom(1, name="Clase")
        until_heard(classroom, b, "ping")
        classroom.stop()

    def account(self, b):
        """What B showed of the lines, in words, for a failure's message:
        a line shown twice with the times it was shown, in seconds from
        the run's start (and the kill's time)."""
        shown = shown_by(b)
        missing = sorted(set(LINES) - set(shown))
        twice = sorted({s for s in shown if shown.count(s) > 1})
        late = [(k, shown[k]) for k in range(1, len(shown)) if shown[k] < shown[k - 1]]
        when = {s: [f"{at - self.started:.1f}s" for at, line in b.out.timed()
                    if line == "Ana: " + s] for s in twice[:10]}
        killed = f"{self.killed_at - self.started:.1f}s" if self.killed_at else "not yet"
        return (f"B showed {len(shown)} lines; missing {len(missing)}: {missing[:10]}; "
                f"twice {len(twice)}: {when}; out of order at {late[:10]}; "
                f"node killed at {killed}")

    def assert_all_once_in_order(self, a, b):
        shown = shown_by(b)
        if shown != LINES:
            # What each said of its links first: scripts/test shows only
            # a failure's first lines.
            self.fail_with_logs(f"{self.account(b)}\nA: {links(a, self.started)}"
                                f"\nB: {links(b, self.started)}"
                                f"\nA's stderr:\n{a.err.text()}\nB's stderr:\n{b.err.text()}")
        # Nothing of Ana's that is not one of the lines.
        stray = [line for line in b.out.text().splitlines()
                 if line.startswith("Ana") and not re.match(r"^Ana: line \d{4} of", line)]
        self.assertEqual(stray, [], b.out.text()[-2000:])
