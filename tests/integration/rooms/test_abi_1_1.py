# SPDX-License-Identifier: MIT
"""A frontend built against ABI 1.1 (the loader tests' fixture, with its
1.1 descriptor and key stride) still loads into the ABI 1.2 core and works
when the core carries two networks, a room each: it is handed the messages
of both, as a frontend always was, and what it is handed is whole."""
import os
import subprocess
import sys

import harness
from rooms_helpers import SLOW, TestCase, network, networks_ini, wait_connected

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import sdk_helpers  # noqa: E402


class Abi11Test(TestCase):

    def test_1_1_frontend_with_two_rooms(self):
        broker2 = self.another_broker()
        fixture = sdk_helpers.compile_fixture(self.workdir, "abi11", "FIXTURE_ABI_1_1")
        received = os.path.join(self.workdir, "received.txt")
        ini = networks_ini(self, "abi11",
                           {"one": network(self.broker.port, "room1"),
                            "two": network(broker2.port, "room2", rooms="more")},
                           core={"frontends": "fx", "history": "off"},
                           fx={"plugin": fixture, "file": received, "tag": "tagged:"})

        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        wait_connected(m, self.broker, broker2)
        for broker, topic, line in ((self.broker, "room1", "Bob: hola from room1"),
                                    (broker2, "room2", "Eva: hola from room2")):
            harness.publish(broker, line, topic=topic)
            harness.wait_until(lambda: line in sdk_helpers.file_text(received), timeout=SLOW,
                               what=f"the 1.1 fixture to receive {line!r}")
        m.signal(15)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        # Its open() wrote the tag first: host->config() read its keys with
        # the 1.1 stride.  Status lines (no nick) come too, as they always did.
        text = sdk_helpers.file_text(received)
        self.assertTrue(text.startswith("tagged:"), text)
        said = [l for l in text[len("tagged:"):].splitlines() if not l.startswith(": ")]
        self.assertEqual(said, ["Bob: hola from room1", "Eva: hola from room2"], text)


if __name__ == "__main__":
    harness.main()
