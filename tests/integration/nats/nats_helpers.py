# SPDX-License-Identifier: MIT
"""Pieces shared by the NATS tests (issue #17): a test case whose broker is
a three-node NATS cluster started from conf/nats/ (nats_cluster.py), INI
files for mqchats on it, and the classroom paho client on any node."""
import os
import re
import shutil
import sys
import tempfile
import types

import harness
from nats_cluster import NatsCluster

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "rooms"), os.path.join(HERE, "..", "rooms16")]
from rooms_helpers import SLOW, Classroom, TestCase  # noqa: E402
from rooms16_helpers import PtyChat  # noqa: E402,F401 (for the tests)

ROOM = harness.TOPIC
# Batch mode prints what others say through this template.
STDIN = {"format": "{nick}: {text}", "color": "never"}
FALLBACK = r"the broker refused MQTT 5; using 3\.1\.1"


class NatsTestCase(TestCase):
    """A workdir and a NATS cluster per test (self.cluster; also
    self.broker, which the harness stops at the end); everything started
    is stopped by PID."""

    def setUp(self):
        if not harness.MQCHAT or not os.access(harness.MQCHAT, os.X_OK):
            self.fail(f"MQCHAT_BIN is not an executable: {harness.MQCHAT!r}")
        self.workdir = tempfile.mkdtemp(prefix="mqchat-nats-")
        self.cleanups = []
        self.cluster = NatsCluster(self.workdir)
        self.broker = self.cluster  # harness.TestCase.tearDown stops it
        try:
            self.cluster.start()
        except BaseException:
            # tearDown does not run after a failed setUp.
            self.cluster.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise

    def node(self, n):
        """Node `n` as something with a .port, for harness helpers."""
        return types.SimpleNamespace(port=self.cluster.mqtt_port(n))

    def ini(self, name, nick, mqtt=None, core=None, **sections):
        """An INI for an mqchat called `name`, nick `nick`, on the NATS
        cluster (`mqtt` should name `hosts` or `port`), no protocol setting
        (NATS refuses 5: mqchat falls back), no announcements."""
        keys = {"keepalive": 5}
        keys.update(mqtt or {})
        core_keys = {"nick": nick, "frontends": "stdin", "backend": "mqtt", "announce": "off"}
        core_keys.update(core or {})
        s = {"core": core_keys, "mqtt": {"host": "127.0.0.1"}}
        s["mqtt"].update(keys)
        sections.setdefault("stdin", STDIN)
        s.update(sections)
        return harness.write_ini(os.path.join(self.workdir, f"{name}.ini"), s)

    def classroom(self, node, name="Clase"):
        """The classroom paho client (MQTT 3.1.1) on node `node`, subscribed
        at QoS 0 (it still says its lines at QoS 1): NATS 2.9 loses QoS 1
        messages when two or more QoS 1 sessions follow a room (README,
        "When one broker is not enough"), so the classroom is not one more
        beside the mqchats under test."""
        return Classroom(self, self.node(node), ROOM, name, sub_qos=0)

    def fail_with_logs(self, message):
        raise AssertionError(f"{message}\n{self.cluster.logs_tail()}")

    def connected_to(self, m, port, start=0, timeout=SLOW):
        """Waits for mqchat `m`'s "connected to 127.0.0.1:PORT" line; its
        index.  A wait in vain fails with the nodes' logs: a node's refusal
        is said there."""
        try:
            return m.err.wait_for(rf"connected to 127\.0\.0\.1:{port}\b", timeout=timeout,
                                  start=start)
        except AssertionError as e:
            self.fail_with_logs(str(e))


def until_heard(classroom, m, word):
    """The classroom says "WORD 1", "WORD 2"... until mqchat `m` shows one
    of them: its room subscription is in (its SUBACK may come after its
    "connected to" line, and what is said before it is not for it)."""
    n = 0

    def heard():
        nonlocal n
        n += 1
        classroom.say(f"{word} {n}")
        try:
            m.out.wait_for(rf"^{classroom.name}: {word} \d+$", timeout=5)
            return True
        except AssertionError:
            return False

    harness.wait_until(heard, timeout=SLOW, what=f"{m.name} showing the room")


def fallback_lines(m):
    return re.findall(FALLBACK, m.err.text())
