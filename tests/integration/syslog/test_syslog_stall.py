# SPDX-License-Identifier: MIT
"""A log socket that is full (a receiver that never reads) or missing never
holds the chat back: everything still reaches the room and the terminal,
lost records are counted, and the count is logged once the socket takes
records again."""
import os
import re
import subprocess
import threading

import harness
from syslog_receiver import Receiver

LINES = 10000
DROPPED = rb"(\d+) records? dropped while the log socket was unavailable"
# Deadlines only: generous multiples of the harness's, never a speed asked for.
T = harness.DEFAULT_TIMEOUT


class SyslogStallTest(harness.TestCase):
    def start(self, sock_path):
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "stdin, log", "history": "off"},
            stdin={"format": "{nick}: {text}", "color": "never"},
            log={"plugin": "syslog", "socket": sock_path})
        self.watcher = harness.LineSubscriber(self.broker)
        self.cleanups.append(self.watcher.stop)
        m = self.mqchat(ini)
        self.watcher.out.wait_for(r"^Ana ha entrado al chat$", timeout=3 * T)
        return m

    def receiver(self, path):
        r = Receiver(path)
        self.cleanups.append(r.close)
        return r

    def test_receiver_that_never_reads(self):
        path = os.path.join(self.workdir, "log.sock")
        stalled = self.receiver(path)  # bound, never read until the end
        m = self.start(path)

        def feed():
            for i in range(LINES):
                m.proc.stdin.write(b"line %d\n" % i)
            m.proc.stdin.flush()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        self.watcher.out.wait_for(rf"^Ana: line {LINES - 1}$", timeout=40 * T)
        writer.join(3 * T)
        self.assertFalse(writer.is_alive())
        sent = [p for p in self.watcher.payloads() if p.startswith(b"Ana: line ")]
        self.assertEqual(sorted(sent), sorted(b"Ana: line %d" % i for i in range(LINES)))

        # The terminal still shows everything the room says.
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                        "-t", harness.TOPIC, "-q", "1", "-l"],
                       input=b"".join(b"Bob: reply %d\n" % i for i in range(LINES)),
                       check=True, timeout=30 * T)
        m.out.wait_for(rf"^Bob: reply {LINES - 1}$", timeout=30 * T)
        shown = [l for l in m.out.lines if l.startswith(b"Bob: reply ")]
        self.assertEqual(sorted(shown), sorted(b"Bob: reply %d\n" % i for i in range(LINES)))
        # The operator was told records are being lost.
        m.err.wait_for(r"counting the records lost", timeout=T)

        # The daemon reads again: the next record that gets through is
        # preceded by the count of those lost.
        queued = stalled.drain()
        self.assertLessEqual(len(queued), 64, "more records queued than a full socket holds")
        m.send("after the stall")
        after = stalled.wait_for(rb": Ana: after the stall\Z", timeout=3 * T)
        notice = stalled.wait_for(DROPPED, timeout=T, start=len(queued))
        self.assertLess(notice, after)
        dropped = int(re.search(DROPPED, stalled.records[notice]).group(1))
        # Every message sent and received was either queued or counted.
        logged_before = 2 * LINES  # own lines + Bob's
        self.assertGreaterEqual(dropped + len(queued), logged_before)
        self.assertLessEqual(dropped + len(queued), logged_before + 10)
        m.err.wait_for(rb"%d records dropped while the log socket was unavailable" % dropped,
                       timeout=T)

        m.close_stdin()
        self.assertEqual(m.wait(6 * T), 0, m.err.text()[-2000:])

    def test_missing_socket_comes_back(self):
        path = os.path.join(self.workdir, "log.sock")
        m = self.start(path)  # nothing bound at `path` yet
        m.err.wait_for(r"records are counted as lost until it appears", timeout=T)
        m.send("into the void")
        self.watcher.out.wait_for(r"^Ana: into the void$", timeout=3 * T)

        # The daemon starts: the plugin finds it and reports what was lost
        # without waiting for new traffic (nothing is sent until it has).
        daemon = self.receiver(path)
        daemon.wait_for(DROPPED, timeout=3 * T)
        m.send("back again")
        daemon.wait_for(rb": Ana: back again\Z", timeout=3 * T)

        # The daemon restarts (a new socket at the same path).
        daemon.close()
        m.send("while restarting")
        self.watcher.out.wait_for(r"^Ana: while restarting$", timeout=3 * T)
        m.err.wait_for(r"counting the records lost", timeout=T)
        daemon = self.receiver(path)
        notice = daemon.wait_for(DROPPED, timeout=3 * T)
        self.assertGreaterEqual(int(re.search(DROPPED, daemon.records[notice]).group(1)), 1)
        m.send("and back")
        daemon.wait_for(rb": Ana: and back\Z", timeout=3 * T)

        m.close_stdin()
        self.assertEqual(m.wait(6 * T), 0, m.err.text())

    def test_socket_never_appears(self):
        m = self.start(os.path.join(self.workdir, "nowhere.sock"))
        m.send("nobody logs this")
        self.watcher.out.wait_for(r"^Ana: nobody logs this$", timeout=3 * T)
        m.close_stdin()
        self.assertEqual(m.wait(6 * T), 0, m.err.text())
        self.assertRegex(m.err.text(), r"\d+ records? dropped: the log socket .*nowhere\.sock "
                                       r"was still unavailable at exit")


if __name__ == "__main__":
    harness.main()
