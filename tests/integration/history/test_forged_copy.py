# SPDX-License-Identifier: MIT
"""A forged copy never hides the genuine message (issue 20, item 2).

Bea's mqchat is paused (SIGSTOP), as a receiver catching up is; an attacker
publishes, at QoS 0, a copy of a message with the genuine message's id and
other words, and then the genuine message arrives.  Once Bea runs again,
both are shown and both are in her history: a repeat is the same message,
not merely the same id.  The genuine message's exact repeat is still
dropped."""
import json
import signal
import subprocess

import harness
from history_helpers import SLOW, batch_ini, shown, wait_connected

ID = "5eed5eed5eed5eed"
TS = 1767323045000


def json_payload(text, ts=TS):
    return json.dumps({"v": 1, "id": ID, "nick": "Ana", "ts": ts, "type": "message",
                       "text": text}, separators=(",", ":"))


class ForgedCopyTest(harness.TestCase):
    def test_forgery_first_then_genuine(self):
        ini = batch_ini(self, "Bea", core={"announce": "off"})
        bea = self.mqchat(ini, name="Bea")
        wait_connected(bea)

        bea.signal(signal.SIGSTOP)
        try:
            harness.publish(self.broker, json_payload("envía el dinero a Eve"), qos=0)
            harness.publish(self.broker, json_payload("nos vemos a las cinco"))
        finally:
            bea.signal(signal.SIGCONT)
        forged, genuine = "Ana: envía el dinero a Eve", "Ana: nos vemos a las cinco"
        bea.out.wait_for(rf"^{genuine}$", timeout=SLOW)
        self.assertEqual(shown(bea, forged), 1, bea.out.text())

        # The genuine message again (a QoS 1 redelivery, a relay): dropped.
        # Then a copy with only another time: another message.
        harness.publish(self.broker, json_payload("nos vemos a las cinco"))
        harness.publish(self.broker, "Zed: fin")
        bea.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        self.assertEqual(shown(bea, genuine), 1, bea.out.text())
        bea.close_stdin()
        self.assertEqual(bea.wait(SLOW), 0, bea.err.text())
        # The second copy was said to be one: on the terminal or stderr.
        said = bea.out.text() + bea.err.text()
        self.assertIn("reuses the id of an earlier message", said)

        # Both are in history, once each.
        m = harness.Mqchat(self.workdir, ini, args=["--history", "10"],
                           stdin=subprocess.DEVNULL, name="Bea")
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        lines = m.out.text().splitlines()
        self.assertEqual(sum(l.endswith(forged) for l in lines), 1, lines)
        self.assertEqual(sum(l.endswith(genuine) for l in lines), 1, lines)


if __name__ == "__main__":
    harness.main()
