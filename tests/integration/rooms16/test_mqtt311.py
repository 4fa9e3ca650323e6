# SPDX-License-Identifier: MIT
"""Presence and --who at MQTT 3.1.1 (no will delay, no properties), on a
real mosquitto with conf/mosquitto-acl.conf: the same as at MQTT 5 (joins,
clean quits, kill -9 seen as a lost connection within 1.5 keepalives),
and verified nicks listed as such.  verify = on at 3.1.1 cannot mark a
copy for the classroom: it sends none, and says once that the classroom
does not see its messages."""
import re

import harness
import test_presence
from rooms16_helpers import SLOW, AclTestCase

VERIFY = {"verify": "on"}


class Presence311Test(test_presence.PresenceTest):
    protocol = "3.1.1"


class Who311Test(AclTestCase):
    protocol = "3.1.1"

    def test_who_at_311(self):
        self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        self.chat("eve", "Bob", "eve", mqtt=VERIFY)
        self.wait_who(["Ana", "~Bob"])
        rows = self.who_json()
        self.assertEqual(sorted((r["nick"], r["verified"]) for r in rows),
                         [("Ana", True), ("Bob", False)], rows)


    def test_verify_at_311_says_the_classroom_does_not_see(self):
        room = self.watch(self.broker, harness.TOPIC)
        ana = self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        bob = self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        ana.send("uno")
        ana.send("dos")
        bob.out.wait_for(r"^Ana: dos$", timeout=SLOW)
        self.assertIn("Ana: uno", bob.out.text())
        self.assertNotIn("~Ana", bob.out.text())
        # A fence for the classroom's topic: a line said there after.
        harness.publish(self.broker, "Clase: fin")
        room.out.wait_for(r"^Clase: fin$", timeout=SLOW)
        self.assertEqual([p for p in room.payloads() if p.startswith(b"Ana")], [])
        warnings = re.findall(r"(?i)^.*classroom.*$", ana.err.text(), re.M)
        self.assertEqual(len(warnings), 1, ana.err.text())


if __name__ == "__main__":
    harness.main()
