# SPDX-License-Identifier: MIT
"""A calm room at QoS 1: messages one at a time, each shown before the next
is sent, more than ARCHIVE_GROUP_MS (8 ms) apart.  Each read is ACKed at
once, so the broker does not wait for our write, and the messages share
writes of several (ARCHIVE_CALM_SPAN_MS in core/archive.h; messages this
far apart are spaced, and share ARCHIVE_SPACED_SPAN_MS): a transaction
each cost a receiver more than the rest of receiving it (bench/README.md).

Transactions are counted in SQLite's write-ahead log: the last frame of
each carries the database's size; frames of the log's current generation
carry the salts of its header (https://www.sqlite.org/fileformat.html#wal)."""
import os
import sqlite3
import struct
import subprocess
import time

import harness

COUNT = 40
# Past ARCHIVE_GROUP_MS, so that alone each would be written at once; short
# enough that ARCHIVE_CALM_SPAN_MS holds several even on a slow machine
# (groups of one or two that stall in a row are capped: one write each),
# ARCHIVE_SPACED_SPAN_MS more.
GAP_S = 0.012
DEADLINE = 60


def commits(wal_path):
    """Transactions in the log's current generation."""
    with open(wal_path, "rb") as f:
        data = f.read()
    if len(data) < 32:
        return 0
    page_size = struct.unpack(">I", data[8:12])[0]
    salts = data[16:24]
    n = 0
    for at in range(32, len(data) - 24 - page_size + 1, 24 + page_size):
        if data[at + 8:at + 16] != salts:
            break
        n += struct.unpack(">I", data[at + 4:at + 8])[0] != 0
    return n


def stored(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=DEADLINE)
    try:
        return conn.execute("SELECT count(*) FROM messages WHERE text LIKE 'calm %'").fetchone()[0]
    finally:
        conn.close()  # a reader left open would hold back the log's copying back


class CalmRoomTest(harness.TestCase):
    def test_a_calm_rooms_messages_share_writes(self):
        db = os.path.join(self.workdir, "history.db")
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": db},
                                mqtt={"qos": "1", "presence": "off"},
                                stdin={"format": "{text}", "color": "never"})
        m = self.mqchat(ini)
        m.err.wait_for(r"connected to ", timeout=DEADLINE)
        pub = subprocess.Popen(
            ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
             "-t", harness.TOPIC, "-q", "1", "-l"], stdin=subprocess.PIPE)
        self.cleanups.append(lambda: harness.terminate(pub, "mosquitto_pub"))
        before = commits(db + "-wal")
        for i in range(COUNT):
            pub.stdin.write(f"calm {i:02d}\n".encode())
            pub.stdin.flush()
            m.out.wait_for(rf"^calm {i:02d}$", timeout=DEADLINE)
            time.sleep(GAP_S)
        harness.wait_until(lambda: stored(db) == COUNT, timeout=DEADLINE,
                           what=f"the {COUNT} messages in history")
        written = commits(db + "-wal") - before
        # One a message without sharing; a few (and an index pass or two) with.
        self.assertLessEqual(written, COUNT // 2,
                             f"{written} transactions for {COUNT} calm messages")
        self.assertGreater(written, 0, "the log shows no transaction at all")


class OneInFlightTest(harness.TestCase):
    """With MQTT 3.1.1 our window binds nothing: a broker that keeps one
    message in flight (max_inflight_messages 1, for order) sends the next
    only for our PUBACK, however soon TCP's ACK went.  Its messages must
    not wait ARCHIVE_CALM_SPAN_MS each for a write: 300 of them would take
    a minute."""

    broker_conf = "max_inflight_messages 1\n"

    def test_a_broker_that_waits_for_each_puback_is_not_kept_waiting(self):
        self.one_at_a_time(os.path.join(self.workdir, "history.db"))

    def test_nor_with_history_off(self):
        """With history off the PUBACKs wait as they would for a write
        (core/archive.c, "Without history"), and stall the same way."""
        self.one_at_a_time("off")

    def one_at_a_time(self, history):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": history},
                                mqtt={"qos": "1", "presence": "off", "protocol": "3.1.1"},
                                stdin={"format": "{text}", "color": "never"})
        m = self.mqchat(ini)
        m.err.wait_for(r"connected to ", timeout=DEADLINE)
        lines = "".join(f"one {i:03d}\n" for i in range(300)).encode()
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(self.broker.port),
                        "-t", harness.TOPIC, "-q", "1", "-l"], input=lines, check=True,
                       timeout=DEADLINE)
        # Well within: each shown as its PUBACK lets the next come.
        m.out.wait_for(r"^one 299$", timeout=30)
        self.assertEqual([l for l in m.out.text().splitlines() if l.startswith("one ")],
                         [f"one {i:03d}" for i in range(300)])


if __name__ == "__main__":
    harness.main()
