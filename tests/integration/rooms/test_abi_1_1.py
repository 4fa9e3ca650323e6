# SPDX-License-Identifier: MIT
"""Frontends built against older minors still load into the ABI 1.3 core
and work when the core carries two networks: the loader tests' fixture as
a 1.1 build (its descriptor and key stride) and as a 1.2 build (its
descriptor ends before `join`, and its own messages end at time_ms: the
core must read no further when it renders one)."""
import os
import subprocess
import sys

import harness
from rooms_helpers import SLOW, TestCase, network, networks_ini, wait_connected

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import sdk_helpers  # noqa: E402


class Abi11Test(TestCase):

    def run_fixture(self, variant):
        """Runs the fixture `variant` with two networks; what it wrote after
        its tag."""
        broker2 = self.another_broker()
        fixture = sdk_helpers.compile_fixture(self.workdir, variant, variant)
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
                               what=f"the {variant} fixture to receive {line!r}")
        m.signal(15)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        # Its open() wrote the tag first: host->config() read its keys with
        # its minor's stride.  Status lines (no nick) come too, as they always did.
        text = sdk_helpers.file_text(received)
        self.assertTrue(text.startswith("tagged:"), text)
        return [l for l in text[len("tagged:"):].splitlines() if not l.startswith(": ")]

    def test_1_1_frontend_with_two_rooms(self):
        said = self.run_fixture("FIXTURE_ABI_1_1")
        self.assertEqual(said, ["Bob: hola from room1", "Eva: hola from room2"])

    def test_1_2_frontend_with_two_rooms(self):
        # Its own copy of each message is rendered without the 1.3 fields
        # (under ASan a read past its end would end the run).
        said = self.run_fixture("FIXTURE_ABI_1_2")
        self.assertEqual(said, ["Bob: hola from room1", "own copy: Bob|||hola from room1",
                                "Eva: hola from room2", "own copy: Eva|||hola from room2"])


if __name__ == "__main__":
    harness.main()
