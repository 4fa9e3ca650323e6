# SPDX-License-Identifier: MIT
"""A verbatim replay of an old json message is not shown or stored again,
however much was said since (issue 20, item 8): more than the in-memory
repeat set holds (4 096), and long past the first seconds after
connecting.  An attacker replays it with mosquitto_pub."""
import json
import subprocess

import harness
from history_helpers import SLOW, batch_ini, shown, wait_connected

OTHERS = 4200  # more than DEDUP_DEFAULT_CAPACITY


def json_payload(msg_id, text, ts):
    return json.dumps({"v": 1, "id": msg_id, "nick": "Ana", "ts": ts, "type": "message",
                       "text": text}, separators=(",", ":"))


class ReplayAnyAgeTest(harness.TestCase):
    def test_old_message_replayed_after_thousands(self):
        ini = batch_ini(self, "Bea", core={"announce": "off"})
        bea = self.mqchat(ini, name="Bea")
        wait_connected(bea)

        old = json_payload("01d01d01d01d01d0", "el mensaje viejo", 1767323045000)
        harness.publish(self.broker, old)
        bea.out.wait_for(r"^Ana: el mensaje viejo$", timeout=SLOW)

        lines = "".join(json_payload(f"{i:016x}", f"otro {i}", 1767323046000 + i) + "\n"
                        for i in range(OTHERS))
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                        "-t", harness.TOPIC, "-q", "1", "-l"], input=lines.encode(),
                       check=True, timeout=SLOW)
        bea.out.wait_for(rf"^Ana: otro {OTHERS - 1}$", timeout=SLOW)

        # The replay, then a marker: the replay is not shown.
        harness.publish(self.broker, old)
        harness.publish(self.broker, "Zed: fin")
        bea.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        self.assertEqual(shown(bea, "Ana: el mensaje viejo"), 1)
        # The same id with other words is another message: shown.
        harness.publish(self.broker, json_payload("01d01d01d01d01d0", "otra cosa",
                                                  1767323045000))
        bea.out.wait_for(r"^Ana: otra cosa$", timeout=SLOW)
        bea.close_stdin()
        self.assertEqual(bea.wait(SLOW), 0, bea.err.text())

        m = harness.Mqchat(self.workdir, ini, args=["--search", "viejo"],
                           stdin=subprocess.DEVNULL, name="Bea")
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        found = m.out.text().splitlines()
        self.assertEqual(len(found), 1, found)

        # At a later start (past the restart window's help), the same.
        bea = self.mqchat(ini, name="Bea")
        wait_connected(bea)
        harness.publish(self.broker, old)
        harness.publish(self.broker, "Zed: otra vez")
        bea.out.wait_for(r"^Zed: otra vez$", timeout=SLOW)
        self.assertEqual(shown(bea, "Ana: el mensaje viejo"), 0, bea.out.text())


if __name__ == "__main__":
    harness.main()
