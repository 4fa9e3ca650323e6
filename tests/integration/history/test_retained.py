# SPDX-License-Identifier: MIT
"""Retained messages are shown once a run, marked as old, in batch output
and in the log alike, even when a reconnection (a broker restart here) makes
the broker send them again, long after the digest window."""
import json

import harness
from history_helpers import (SLOW, PersistentBrokerTest, Receiver, batch_ini, connections,
                             publish_retained, wait_connected)

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
        harness.publish(self.broker, LIVE)  # not retained: no mark
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


if __name__ == "__main__":
    harness.main()
