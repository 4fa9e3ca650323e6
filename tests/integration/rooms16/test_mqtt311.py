# SPDX-License-Identifier: MIT
"""Presence and --who at MQTT 3.1.1 (no will delay, no properties), on a
real mosquitto with conf/mosquitto-acl.conf: the same as at MQTT 5 (joins,
clean quits, kill -9 seen as a lost connection within 1.5 keepalives),
and verified nicks listed as such."""
import harness
import test_presence
from rooms16_helpers import AclTestCase

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


if __name__ == "__main__":
    harness.main()
