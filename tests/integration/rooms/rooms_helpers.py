# SPDX-License-Identifier: MIT
"""Pieces shared by the networks, rooms and bridges tests (issue #14): INI
files with several mqtt networks, a bridge between two brokers, the
classroom paho client as a process of its own, and counting what a
subscriber saw."""
import json
import os
import re
import subprocess
import sys
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
# Two CPUs shared by several test runs: every wait is on an event, bounded
# by this.
SLOW = 3 * harness.DEFAULT_TIMEOUT


# What the sanitizers of an ASan build write when they find something.
SANITIZER_REPORTS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def assert_no_sanitizer_report(text, name):
    found = [r for r in SANITIZER_REPORTS if r in text]
    if found:
        raise AssertionError(f"{name}: a sanitizer's report ({found[0]!r}):\n{text[-6000:]}")


class TestCase(harness.TestCase):
    """harness.TestCase whose mqchats must also end without a sanitizer's
    report: an ASan build's process stopped by SIGTERM exits with its own
    code, which nobody else looks at."""

    def mqchat(self, ini, **kw):
        started = []
        # Cleanups run last first: this one after the mqchat's stop().
        self.cleanups.append(lambda: [assert_no_sanitizer_report(m.err.text(), m.name)
                                      for m in started])
        m = super().mqchat(ini, **kw)
        started.append(m)
        return m

    def watch(self, broker, topic, verbose=False, hide=()):
        """mosquitto_sub on `topic` of `broker` (any broker of the test);
        `verbose`: each line "TOPIC PAYLOAD"; `hide`: topic filters left
        out (mosquitto_sub -T)."""
        extra = (["-v"] if verbose else []) + [a for f in hide for a in ("-T", f)]
        s = harness.Subscriber(broker, topic=topic, extra=extra)
        self.cleanups.append(s.stop)
        return s


def network(port, topic, **keys):
    """A backend section: the mqtt plugin on 127.0.0.1:`port`, first room
    `topic`."""
    section = {"plugin": "mqtt", "host": "127.0.0.1", "port": port, "topic": topic}
    section.update(keys)
    return section


def networks_ini(tc, name, networks, core=None, nick="Ana", **sections):
    """An INI file for an mqchat on the networks of the ordered dict
    `networks` ({name: section}), the stdin frontend, no announcements."""
    s = {"core": {"nick": nick, "frontends": "stdin", "backends": ", ".join(networks),
                  "announce": "off"}}
    s["core"].update(core or {})
    s.update(networks)
    s.update(sections)
    return harness.write_ini(os.path.join(tc.workdir, f"{name}.ini"), s)


def bridge_ini(tc, name, broker1, broker2, wire="plain", lobby=None, core=None, mqtt=None):
    """A bridge process: network `one` (broker1, room1) and `two` (broker2,
    room2) linked by the bridge `lobby`."""
    keys = {"wire": wire}
    keys.update(mqtt or {})
    core_keys = {"bridges": "lobby"}
    core_keys.update(core or {})
    section = {"rooms": "one:room1 two:room2"}
    section.update(lobby or {})
    return networks_ini(tc, name, {"one": network(broker1.port, "room1", **keys),
                                   "two": network(broker2.port, "room2", **keys)},
                        core=core_keys, nick=name, lobby=section)


def wait_connected(m, *brokers, start=0):
    """Waits until `m` has said it is connected to each of `brokers`."""
    for b in brokers:
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{b.port}\b", timeout=SLOW, start=start)


def start_bridge(tc, ini, name, broker1, broker2):
    """A bridge mqchat (stdin a pipe left open: batch mode), once up on both."""
    m = tc.mqchat(ini, name=name)
    wait_connected(m, broker1, broker2)
    return m


def count(sub, payload):
    """How many times subscriber `sub` received exactly `payload` (str)."""
    return sub_payloads(sub).count(payload)


def sub_payloads(sub):
    return [p.decode("utf-8", "replace") for p in sub.payloads()]


def wait_count(sub, payload, n=1, timeout=SLOW):
    """Waits until `sub` has received `payload` at least `n` times."""
    harness.wait_until(lambda: count(sub, payload) >= n, timeout=timeout,
                       what=f"{payload!r} x{n}; got {sub_payloads(sub)[-20:]}")


class Classroom:
    """The classroom paho client (paho_client.py) in a process of its own:
    says "<name>: <text>" for each say() (QoS 1), collects the payloads
    received (subscribed at `sub_qos`)."""

    def __init__(self, tc, broker, topic, name, sub_qos=1):
        self.name = name
        self.said = 0
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "paho_client.py"), "127.0.0.1",
             str(broker.port), topic, name, str(sub_qos)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = harness.LineReader(self.proc.stdout, f"paho {name}")
        self.err = harness.LineReader(self.proc.stderr, f"paho {name} stderr")
        tc.cleanups.append(self.stop)
        self.out.wait_for(r"^-- subscribed$", timeout=SLOW)

    def say(self, text):
        """Publishes "<name>: <text>"; returns once the broker has it."""
        self.proc.stdin.write(text.encode() + b"\n")
        self.proc.stdin.flush()
        self.said += 1
        self.out.wait_for(rf"^-- sent {self.said}$", timeout=SLOW)

    def payloads(self):
        return [l.rstrip(b"\n").decode("utf-8", "replace") for l in list(self.out.lines)
                if not l.startswith(b"-- ")]

    def wait_payload(self, payload, timeout=SLOW):
        self.out.wait_for(rb"^" + re.escape(payload.encode()) + rb"$", timeout=timeout)

    def json_messages(self):
        """The payloads that are json wire messages, decoded."""
        found = []
        for p in self.payloads():
            try:
                obj = json.loads(p)
            except ValueError:
                continue
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                found.append(obj)
        return found

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.out.thread.join(5)  # at the end of the pipes: then closed
        self.err.thread.join(5)
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except OSError:
                pass


def json_payload(msg_id, nick, text):
    """A json wire message as another mqchat would publish it, now."""
    return json.dumps({"v": 1, "id": msg_id, "nick": nick, "ts": int(time.time() * 1000),
                       "type": "message", "text": text}, separators=(",", ":"))
