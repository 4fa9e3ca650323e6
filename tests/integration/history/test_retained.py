# SPDX-License-Identifier: MIT
"""Retained messages are shown once a run, marked as old, in batch output
and in the log alike, even when a reconnection (a broker restart here) makes
the broker send them again, long after the digest window; and not again at
a later start when they are already in history (only in its replay)."""
import json

import harness
from history_helpers import (SLOW, PersistentBrokerTest, Receiver, Terminal, batch_ini,
                             connections, publish_retained, wait_connected)

RETAINED = "Pepe: el servidor está caído"
LIVE = "Luis: en vivo"


class RetainedTest(PersistentBrokerTest):
    def receivers(self):
        """mqchat with the default window and with none at all (so that only
        the retained rule can hide a repeat), the first also logging to a
        syslog receiver."""
        self.log = Receiver(f"{self.workdir}/log.sock")
        self.cleanups.append(self.log.close)
        usual = self.mqchat(batch_ini(self, "Usual", core={"announce": "off",
                                                           "frontends": "stdin, log"},
                                      log={"plugin": "syslog", "socket": self.log.path,
                                           "journal": "off"}), name="Usual")
        windowless = self.mqchat(batch_ini(self, "Windowless",
                                           core={"announce": "off", "dedup_window": "0"}),
                                 name="Windowless")
        return [usual, windowless]

    def shown_once_across_a_restart(self, payload, line):
        publish_retained(self.broker, payload)
        raw = self.subscriber()
        everyone = self.receivers()
        for m in everyone:
            wait_connected(m)
            m.out.wait_for(rf"^\(old\) {line}$", timeout=SLOW)
        self.log.wait_for(rf"mqchat\[\d+\]: \(old\) {line}\Z".encode(), timeout=SLOW)
        # Not retained: no mark.  At QoS 0: the broker is stopped the
        # moment Windowless has shown it, maybe before its PUBACK is in,
        # and without a window nothing would know the copy the broker then
        # owes it (a timing of the test, not what it is about).
        harness.publish(self.broker, LIVE, qos=0)
        for m in everyone:
            m.out.wait_for(rf"^{LIVE}$", timeout=SLOW)

        self.broker.restart()  # keeps the retained message
        for m in everyone:
            wait_connected(m, times=2)
        # mosquitto_sub subscribes again and gets the retained message again.
        harness.wait_until(lambda: raw.payloads().count(payload.encode()) == 2, SLOW,
                           "the retained message sent again after the restart")
        harness.publish(self.broker, "Zed: fin")  # a repeat would come before it
        for m in everyone:
            m.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        self.log.wait_for(rb"Zed: fin\Z", timeout=SLOW)

        for m in everyone:
            lines = m.out.text().splitlines()
            self.assertEqual([l for l in lines if line in l], [f"(old) {line}"],
                             f"{m.name}; stderr:\n{m.err.text()}")
            self.assertEqual(lines.count(LIVE), 1, m.name)
            self.assertEqual(connections(m), 2, m.err.text())
        logged = [r for r in self.log.records if line.encode() in r]
        self.assertEqual(len(logged), 1, logged)
        for m in everyone:
            m.close_stdin()
            self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_plain_retained(self):
        self.shown_once_across_a_restart(RETAINED, RETAINED)

    def test_json_retained(self):
        payload = json.dumps({"v": 1, "id": "feedc0ffee123456", "nick": "Pepe",
                              "ts": 1767323045000, "type": "message", "text": "aviso fijo"})
        self.shown_once_across_a_restart(payload, "Pepe: aviso fijo")


class RetainedAtNextStartTest(PersistentBrokerTest):
    """Ana runs once while a retained message waits on the broker, then
    starts again on a terminal: the message is in the replay, and the copy
    the broker hands her again is recognised from history."""

    def ini(self):
        # dedup_window 0 stands for a restart long after the digest window,
        # without waiting for it.  A clean session: only the retained copy
        # of a message published between runs arrives, not a queued one too.
        return batch_ini(self, "Ana", core={"announce": "off", "history_replay": "5",
                                            "dedup_window": "0"},
                         mqtt={"session": "clean"})

    def batch_run(self, old=None, during=None):
        """A batch run of Ana's, which shows the retained message `old` as
        old and calls `during(m)` if given; the lines it printed, once it
        has ended cleanly (history flushed)."""
        m = self.mqchat(self.ini(), name="Ana")
        wait_connected(m)
        if old:
            m.out.wait_for(rf"^\(old\) {old}$", timeout=SLOW)
        if during:
            during(m)
        harness.publish(self.broker, "Zed: fin")  # a repeat would come before it
        m.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        return m.out.text().splitlines()

    def shown_only_in_the_replay(self, payload, line):
        """Returns the terminal of the second start, still running."""
        publish_retained(self.broker, payload)
        self.batch_run(old=line)

        t = Terminal(self.workdir, self.ini(), name="Ana")  # the same history
        self.cleanups.append(t.close)
        t.wait_screen(lambda rows: any(r.startswith("-- connected") for r in rows),
                      "the connection")
        harness.publish(self.broker, "Zed: otra vez")  # after any retained copy
        t.wait_row("Zed: otra vez")
        rows = t.screen()
        screen = "\n".join(rows)
        self.assertEqual([r for r in rows if line in r], [line], screen)
        self.assertLess(rows.index("-- history"), rows.index(line), screen)
        self.assertLess(rows.index(line), rows.index("-- end of history"), screen)
        return t

    def quit(self, t):
        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())

    def test_plain_retained(self):
        t = self.shown_only_in_the_replay(RETAINED, RETAINED)
        # The same words said again live are news: shown, unmarked.
        harness.publish(self.broker, RETAINED)
        t.wait_screen(lambda rows: rows.count(RETAINED) == 2, "the live repeat")
        self.quit(t)

        # Another retained message, not in history, is shown once, as old;
        # one published while Ana runs arrives live, unmarked.
        other, live = "Pepe: ya funciona", "Pepe: aviso en vivo"

        def publish_live_retained(m):
            publish_retained(self.broker, live)
            m.out.wait_for(rf"^{live}$", timeout=SLOW)

        publish_retained(self.broker, other)
        lines = self.batch_run(old=other, during=publish_live_retained)
        self.assertEqual([l for l in lines if "Pepe" in l], [f"(old) {other}", live], lines)
        # At the next start the broker hands that one over as retained:
        # history has it (received live), so it is not shown again.
        lines = self.batch_run()
        self.assertEqual([l for l in lines if "Pepe" in l], [], lines)

    def test_json_retained(self):
        payload = json.dumps({"v": 1, "id": "feedc0ffee654321", "nick": "Pepe",
                              "ts": 1767323045000, "type": "message", "text": "aviso fijo"})
        self.quit(self.shown_only_in_the_replay(payload, "Pepe: aviso fijo"))


if __name__ == "__main__":
    harness.main()
