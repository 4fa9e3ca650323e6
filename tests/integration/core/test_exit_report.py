# SPDX-License-Identifier: MIT
"""Exit 75's report: the count is of the messages it lists; the join and leave
announcements (never kept in the outbox) are said apart."""
import os
import signal
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

EX_TEMPFAIL = 75


class ExitReportTest(harness.TestCase):

    def ini(self):
        return harness.basic_ini(self.workdir, self.broker,
                                 core={"announce": "on", "quit_timeout": 1},
                                 mqtt={"qos": 1, "retry": "on", "reconnect_max": 1})

    def report(self, m):
        return [line.decode().rstrip("\n") for line in m.err.lines
                if b"acknowledged" in line or b"announcement" in line]

    def test_unreachable_broker(self):
        self.broker.stop()
        m = self.mqchat(self.ini())
        m.send("hola")
        m.close_stdin()
        self.assertEqual(m.wait(30), EX_TEMPFAIL, m.err.text())
        self.assertEqual(self.report(m), [
            "mqchat: error: 1 message was never acknowledged by the server "
            "(kept in the outbox: the next start sends them):",
            "mqchat: error: not acknowledged: Ana: hola",
            "mqchat: error: the server never acknowledged the announcement that you "
            "joined and left the room (not kept: it is not sent again)"])

    def test_broker_paused_at_quit_time(self):
        sub = harness.LineSubscriber(self.broker)
        self.cleanups.append(sub.stop)
        m = self.mqchat(self.ini())
        sub.out.wait_for(rb"^Ana ha entrado al chat$")
        m.send("uno")
        sub.out.wait_for(rb"^Ana: uno$")
        # The broker stops answering; the connection stays up.
        self.broker.proc.send_signal(signal.SIGSTOP)
        self.cleanups.append(lambda: self.broker.proc and
                             self.broker.proc.send_signal(signal.SIGCONT))
        m.send("dos")
        m.send("/me tres")
        m.close_stdin()
        self.assertEqual(m.wait(30), EX_TEMPFAIL, m.err.text())
        report = self.report(m)
        # "uno" went through before the pause (whether its acknowledgement
        # came is the broker's business): the count is what is listed.
        listed = [r for r in report if r.startswith("mqchat: error: not acknowledged: ")]
        self.assertIn("mqchat: error: not acknowledged: Ana: dos", listed, report)
        self.assertIn("mqchat: error: not acknowledged: * Ana: tres", listed, report)
        self.assertEqual(report[0], f"mqchat: error: {len(listed)} messages were never "
                         "acknowledged by the server (kept in the outbox: the next start "
                         "sends them):")
        self.assertRegex(report[-1], r"^mqchat: error: the server never acknowledged the "
                         r"announcement that you (joined and )?left the room ")
        self.assertEqual(len(report), len(listed) + 2, report)

if __name__ == "__main__":
    harness.main()
