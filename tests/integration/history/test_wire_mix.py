# SPDX-License-Identifier: MIT
"""`wire = plain` and `wire = json` instances in one room with the paho
classroom client: each understands the others both ways, and every message
shows exactly once."""
import json

import harness
from history_helpers import SLOW, PahoClassroomClient, batch_ini, wait_connected

JSON_KEYS = ["id", "nick", "text", "ts", "type", "v"]


class WireMixTest(harness.TestCase):
    def json_payload(self, payload):
        """The json wire object in `payload`, checked against PRODUCT.md."""
        obj = json.loads(payload)
        self.assertEqual(sorted(obj), JSON_KEYS, payload)
        self.assertEqual(obj["v"], 1)
        self.assertRegex(obj["id"], r"^[0-9a-f]{16}$")
        self.assertIsInstance(obj["ts"], int)
        return obj

    def test_plain_json_and_paho_both_ways(self):
        paho = PahoClassroomClient(self.broker)
        self.cleanups.append(paho.stop)

        ana = self.mqchat(batch_ini(self, "Ana", mqtt={"wire": "plain"}), name="Ana")
        self.assertEqual(paho.next_payload(), b"Ana ha entrado al chat")
        bea = self.mqchat(batch_ini(self, "Bea", mqtt={"wire": "json"}), name="Bea")
        join = self.json_payload(paho.next_payload())
        self.assertEqual((join["nick"], join["type"], join["text"]), ("Bea", "join", ""))
        ana.out.wait_for(r"^\* Bea joined$", timeout=SLOW)
        wait_connected(bea)

        # plain -> json and paho
        ana.send("hola Bea")
        bea.out.wait_for(r"^Ana: hola Bea$", timeout=SLOW)
        self.assertEqual(paho.next_payload(), b"Ana: hola Bea")

        # json -> plain and paho
        bea.send("hola Ana")
        ana.out.wait_for(r"^Bea: hola Ana$", timeout=SLOW)
        said = self.json_payload(paho.next_payload())
        self.assertEqual((said["nick"], said["type"], said["text"]), ("Bea", "message", "hola Ana"))

        # actions, both ways
        bea.send("/me saluda")
        ana.out.wait_for(r"^\* Bea saluda$", timeout=SLOW)
        action = self.json_payload(paho.next_payload())
        self.assertEqual((action["nick"], action["type"], action["text"]),
                         ("Bea", "action", "saluda"))
        ana.send("/me saluda también")
        bea.out.wait_for(r"^\* Ana saluda también$", timeout=SLOW)
        self.assertEqual(paho.next_payload(), "* Ana saluda también".encode())

        # paho -> both
        paho.publish("Pepe: hola a los dos")
        ana.out.wait_for(r"^Pepe: hola a los dos$", timeout=SLOW)
        bea.out.wait_for(r"^Pepe: hola a los dos$", timeout=SLOW)
        self.assertEqual(paho.next_payload(), b"Pepe: hola a los dos")

        # Anything shown twice would be there before this last line.
        harness.publish(self.broker, "Zed: fin")
        ana.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        bea.out.wait_for(r"^Zed: fin$", timeout=SLOW)
        for m, lines in ((ana, ["* Bea joined", "Bea: hola Ana", "* Bea saluda",
                                "Pepe: hola a los dos", "Zed: fin"]),
                         (bea, ["Ana: hola Bea", "* Ana saluda también",
                                "Pepe: hola a los dos", "Zed: fin"])):
            self.assertEqual(m.out.text().splitlines(), lines, f"{m.name} printed")

        for m in (ana, bea):
            m.close_stdin()
            self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.assertEqual(paho.next_payload(), b"Zed: fin")
        leaves = {paho.next_payload(), paho.next_payload()}
        self.assertIn(b"Ana ha salido del chat", leaves)
        leaves.discard(b"Ana ha salido del chat")
        leave = self.json_payload(leaves.pop())
        self.assertEqual((leave["nick"], leave["type"]), ("Bea", "leave"))


if __name__ == "__main__":
    harness.main()
