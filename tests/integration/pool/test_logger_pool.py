# SPDX-License-Identifier: MIT
"""A pool of three headless loggers running conf/logger-pool.ini as shipped
(share = loggers, history on, presence off, qos 1), each with its own
XDG_STATE_HOME, on one mosquitto 2.0; a paho publisher (MQTT 3.1.1, QoS 1)
says 10 000 numbered lines in the room and one logger is killed (SIGKILL)
mid-run.  The union of the three history databases (`mqchat --history N
--json`, one logger at a time) must hold each line exactly once.

mosquitto 2.0 goes on dealing a dead logger's share to its persistent
session (measured: one line in three, queued at the broker), so nobody
else logs it until the logger is back with the same client id: the pool
loses nothing only with loggers restarted, as a service manager does,
with the same files.  Both ways are here: restarted at once, and only
after the run (the survivors alone miss the dead one's share)."""
import re
import signal
import subprocess
import time

import harness
from pool_helpers import SLOW, Publisher, conf_file, history

COUNT = 10000
KILL_AT = 4000  # the publisher's PUBACKs when the logger dies
SAID = [f"mensaje {n:05d}" for n in range(1, COUNT + 1)]
MARK = "fin"


class LoggerPoolTest(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.ini = conf_file("logger-pool.ini")
        self.args = ["-o", "mqtt.host=127.0.0.1", "-o", f"mqtt.port={self.broker.port}"]
        self.publisher = None

    def tearDown(self):
        if self.publisher:
            self.publisher.stop()
        super().tearDown()

    def logger(self, name, more=()):
        """A logger of the pool (its home, and so its state directory and
        client id, is `name`'s; `more` options), once connected; returns it
        and its id."""
        m = self.mqchat(self.ini, args=self.args + list(more), stdin=subprocess.DEVNULL,
                        name=name)
        i = m.err.wait_for(rf"connected to 127\.0\.0\.1:{self.broker.port} as ", timeout=SLOW)
        client_id = re.search(r" as (\S+)", m.err.lines[i].decode()).group(1)
        return m, client_id

    def say_all(self, kill):
        """Publishes the COUNT lines, calling `kill` once the broker has
        acknowledged KILL_AT of them (the loggers busy storing)."""
        self.publisher = Publisher(self.broker)
        for n, text in enumerate(SAID, 1):
            self.publisher.publish(f"Profe: {text}")
            if n == KILL_AT:
                self.publisher.wait_acked(n)
                kill()
        self.publisher.wait_acked(COUNT, timeout=10 * SLOW)

    def fence(self, loggers):
        """Markers until each logger's history ends with one: each gets
        its share in order, so it has stored every line dealt to it
        before.  The broker deals markers to offline sessions too: a
        marker not stored within a while is followed by another."""
        said = 0
        waiting = list(loggers)

        def marked(m):
            return any(r["text"].startswith(MARK) for r in history(m, self.args, 3))

        while waiting:
            said += 1
            self.assertLessEqual(said, 60, f"{[m.name for m in waiting]} never stored a marker")
            self.publisher.publish(f"Profe: {MARK} {said}")
            self.publisher.wait_acked(COUNT + said)
            before = len(waiting)
            try:
                harness.wait_until(lambda: len([m for m in waiting if not marked(m)]) < before,
                                   timeout=5, what=f"marker {said} stored")
            except AssertionError:
                pass  # dealt to a logger already marked, or to an offline session
            waiting = [m for m in waiting if not marked(m)]

    def stored(self, loggers):
        """{line: [logger names]} over the loggers' histories (each read
        once the logger has stopped)."""
        seen = {}
        for m in loggers:
            for r in history(m, self.args):
                if r["nick"] == "Profe" and not r["text"].startswith(MARK):
                    seen.setdefault(r["text"], []).append(m.name)
        return seen

    def assert_each_once(self, seen, context):
        """Each line said in exactly one history of the pool."""
        missing = [t for t in SAID if t not in seen]
        twice = {t: names for t, names in seen.items() if len(names) > 1}
        unknown = sorted(set(seen) - set(SAID))
        if missing or twice or unknown:
            self.fail(f"{context}: {len(missing)} line(s) in no history {missing[:30]}, "
                      f"{len(twice)} in more than one {list(twice.items())[:10]}, "
                      f"{len(unknown)} never said {unknown[:5]}")

    def assert_pool_quiet(self, loggers):
        """Each said it was connected and nothing else (no warning, no
        error: the share probe among them)."""
        for m in loggers:
            lines = m.err.text().splitlines()
            self.assertEqual([l for l in lines if not l.startswith("mqchat: connected to ")], [],
                             m.name)

    def test_killed_logger_restarted_at_once(self):
        """The service manager's way: the killed logger is started again
        at once with the same files, takes its session back (same client
        id), and stores its share: what waited at the broker, and what it
        had received but not stored when it died."""
        (one, _), (two, two_id), (three, _) = [self.logger(f"logger{i}") for i in (1, 2, 3)]
        again = []

        def kill_and_restart():
            two.signal(signal.SIGKILL)
            two.proc.wait(SLOW)
            again.append(self.logger("logger2"))

        self.say_all(kill_and_restart)
        two_again, again_id = again[0]
        self.assertEqual(again_id, two_id, "the restarted logger came back under another id")
        loggers = [one, two_again, three]
        self.fence(loggers)
        for m in loggers:
            m.stop()
        self.assert_pool_quiet(loggers)
        seen = self.stored([one, two_again, three])
        self.assert_each_once(seen, f"logger2 killed after {KILL_AT} PUBACKs, restarted at once")
        # Each took part (a shared subscription, not one logger alone).
        for m in loggers:
            self.assertTrue(any(m.name in names for names in seen.values()), m.name)

    def test_killed_logger_back_after_the_run(self):
        """Nobody restarts the killed logger during the run: the survivors
        log their own share only, the dead one's waits at the broker in its
        session, and it is all stored, once, when the logger comes back."""
        (one, _), (two, two_id), (three, _) = [self.logger(f"logger{i}") for i in (1, 2, 3)]

        killed_at = []

        def kill():
            two.signal(signal.SIGKILL)
            two.proc.wait(SLOW)
            killed_at.append(time.monotonic())

        self.say_all(kill)
        self.fence([one, three])
        for m in (one, three):
            m.stop()
        # The survivors' histories, and the dead one's as it left it.
        so_far = self.stored([one, two, three])
        lost = [t for t in SAID if t not in so_far]
        # About one in three of the lines said after the kill: the broker
        # went on dealing them to the dead logger's session.
        self.assertGreater(len(lost), (COUNT - KILL_AT) // 6,
                           "the survivors logged the dead logger's share: "
                           "mosquitto no longer deals to an offline session?")
        # Back later than a service manager would bring it, and later than
        # [core] dedup_window (made 1 s here, so that it surely is): what
        # it had stored and not yet acknowledged comes again, and on the
        # plain wire is known by its words within the window counted back
        # from the last message the killed run stored (it was counted from
        # now: up to 309 lines stored twice, back 12 s after the kill with
        # the default 10 s).
        time.sleep(max(0.0, killed_at[0] + 3 - time.monotonic()))
        two_again, again_id = self.logger("logger2", ["-o", "core.dedup_window=1"])
        self.assertEqual(again_id, two_id)
        self.fence([two_again])
        two_again.stop()
        loggers = [one, two_again, three]
        self.assert_pool_quiet(loggers)
        self.assert_each_once(self.stored(loggers),
                              f"logger2 killed after {KILL_AT} PUBACKs, back after the run "
                              f"({len(lost)} lines waited for it)")


if __name__ == "__main__":
    harness.main()
