# SPDX-License-Identifier: MIT
"""Pieces shared by the delivery tests: a headless json-wire sender reading
a FIFO, a receiving mqchat printing "{id} {text}", and a look into the
outbox table."""
import collections
import os
import sqlite3
import subprocess

import harness


def sender_ini(tc, name, fifo_path, core=None, mqtt=None):
    core_keys = {"frontends": "fifo", "announce": "off"}
    core_keys.update(core or {})
    mqtt_keys = {"wire": "json", "qos": 1, "reconnect_max": 1}
    mqtt_keys.update(mqtt or {})
    return harness.basic_ini(tc.workdir, tc.broker, name=name, nick=name, core=core_keys,
                             mqtt=mqtt_keys, fifo={"path": fifo_path})


def start_sender(tc, ini, name):
    m = tc.mqchat(ini, stdin=subprocess.DEVNULL, name=name)
    m.err.wait_for(r"reading lines from ", timeout=harness.DEFAULT_TIMEOUT * 2)
    return m


def start_receiver(tc, name="receiver", mqtt=None):
    """A batch-mode mqchat (its stdin a pipe left open) printing every
    message it shows, once each, as "<type> <id> <text>"."""
    mqtt_keys = {"qos": 1, "reconnect_max": 1}
    mqtt_keys.update(mqtt or {})
    ini = harness.basic_ini(tc.workdir, tc.broker, name=name, nick=name,
                            core={"announce": "off", "history": "off"}, mqtt=mqtt_keys,
                            stdin={"format": "{type} {id} {text}"})
    m = tc.mqchat(ini, name=name)
    m.err.wait_for(r"connected to ", timeout=harness.DEFAULT_TIMEOUT * 2)
    return m


def shown_texts(m):
    """Counter of the texts of the messages a receiver printed (its joins
    and leaves, Last Wills among them, are not counted)."""
    texts = []
    for line in list(m.out.lines):
        kind, _, rest = line.decode("utf-8", "replace").rstrip("\n").partition(" ")
        if kind == "message":
            texts.append(rest.split(" ", 1)[-1])
    return collections.Counter(texts)


def outbox_rows(home):
    """Rows in the outbox of the mqchat whose home is `home` (history on,
    default path)."""
    path = os.path.join(home, "state", "mqchat", "history.db")
    if not os.path.exists(path):
        return 0
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet
    finally:
        db.close()


def wait_for_texts(tc, m, expected, timeout):
    """Wait until receiver `m` has shown every text of `expected` (lines
    are no measure: joins and leaves come too); fail naming what is
    missing."""
    expected = set(expected)
    try:
        harness.wait_until(lambda: expected <= set(shown_texts(m)), timeout=timeout,
                           what="every message at the receiver")
    except AssertionError:
        missing = sorted(expected - set(shown_texts(m)))
        tc.fail(f"{len(missing)} messages lost, the first {missing[:10]}; receiver:\n"
                + m.err.text())
