# SPDX-License-Identifier: MIT
"""The syslog frontend against a real receiver of syslog datagrams (a socket
the test binds where the plugin is told to write): what each record holds,
its <PRI>, and that no payload can turn into a second record."""
import json
import os
import re

import harness
from syslog_receiver import Receiver, parse, parse_journal

TOPIC = harness.TOPIC.encode()


class SyslogRecordsTest(harness.TestCase):
    def start(self, log=None, extra=None, frontends="stdin, log", mqtt=None):
        """mqchat (nick Ana) logging to a fresh receiver; returns it once it is
        in the room, so everything published from then on reaches it."""
        self.receiver = self.receiver_at("log.sock")
        section = {"plugin": "syslog", "socket": self.receiver.path}
        section.update(log or {})
        sections = {"log": section}
        sections.update(extra or {})
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": frontends, "history": "off"}, mqtt=mqtt,
            stdin={"format": "{nick}: {text}", "color": "never"}, **sections)
        self.watcher = harness.LineSubscriber(self.broker)
        self.cleanups.append(self.watcher.stop)
        m = self.mqchat(ini)
        self.watcher.out.wait_for(r"^Ana ha entrado al chat$")
        return m

    def receiver_at(self, name):
        r = Receiver(os.path.join(self.workdir, name))
        self.cleanups.append(r.close)
        return r

    def record(self, pattern, receiver=None, start=0):
        receiver = receiver or self.receiver
        return receiver.records[receiver.wait_for(pattern, start=start)]

    def finish(self, m):
        m.close_stdin()
        self.assertEqual(m.wait(30), 0, m.err.text())

    def test_facility_and_priority_arrive_as_configured(self):
        m = self.start({"facility": "local3", "priority": "warning", "event_priority": "err"})
        harness.publish(self.broker, "Bob: hola")
        rec = parse(self.record(rb": Bob: hola\Z"))
        self.assertEqual(int(rec["pri"]), 156)  # local3 (19) * 8 + warning (4)
        self.assertEqual(rec["ident"], b"mqchat")
        self.assertEqual(int(rec["pid"]), m.proc.pid)
        self.assertEqual(rec["text"], b"Bob: hola")

        # The user's own messages are logged too (own = on by default).
        m.send("y yo también")
        rec = parse(self.record(rb": Ana: y yo tambi\xc3\xa9n\Z"))
        self.assertEqual(int(rec["pri"]), 156)

        # Joins and connection events are logged at event_priority
        # (err: 19 * 8 + 3).
        harness.publish(self.broker, "Bob ha entrado al chat")
        rec = parse(self.record(rb": \* Bob joined\Z"))
        self.assertEqual(int(rec["pri"]), 155)
        status = [parse(r) for r in self.receiver.records if parse(r)["text"].startswith(b"-- ")]
        self.assertTrue(status, self.receiver.records)  # "connected" came first
        for rec in status:
            self.assertEqual(int(rec["pri"]), 155, rec.group(0))
        self.finish(m)

    def test_ident_pid_and_own_switches(self):
        m = self.start({"facility": "daemon", "ident": "sala", "pid": "off", "own": "off"})
        m.send("esto no va al log")
        self.watcher.out.wait_for(r"^Ana: esto no va al log$")
        harness.publish(self.broker, "Bob: esto sí")
        rec = parse(self.record(rb": Bob: esto s\xc3\xad\Z"))
        self.assertEqual(int(rec["pri"]), 30)  # daemon (3) * 8 + info (6)
        self.assertEqual(rec["ident"], b"sala")
        self.assertIsNone(rec["pid"])
        self.assertFalse([r for r in self.receiver.records if b"no va al log" in r],
                         self.receiver.records)
        self.finish(m)

    def test_forged_line_stays_one_record(self):
        m = self.start()
        harness.publish(self.broker, "hi\nJan  1 host sshd[1]: Accepted password for root")
        harness.publish(self.broker, "Bob: end of test")
        self.record(rb": Bob: end of test\Z")
        forged = [r for r in self.receiver.records if b"Accepted password" in r]
        self.assertEqual(len(forged), 1, self.receiver.records)
        rec = parse(forged[0])
        # The core turns the newline into a space before frontends see it;
        # had it not, the plugin would have written it as "\n".
        self.assertRegex(rec["text"], rb"^conversacionTeletubbies: hi(?: |\\n)"
                                      rb"Jan  1 host sshd\[1\]: Accepted password for root\Z")
        self.assertNotIn(b"\n", forged[0])
        self.assertNotIn(b"\r", forged[0])
        # Nothing else arrived that looks like a record of its own.
        for raw in self.receiver.records:
            self.assertNotRegex(raw, rb"^Jan")
            self.assertFalse(re.search(rb"[\x00-\x1f\x7f]", raw), raw)
        self.finish(m)

    def test_escape_sequences_and_invalid_utf8_give_one_clean_record(self):
        m = self.start()
        nasty = (b"Bob: \x1b[31mred\x1b[0m \x1b]0;pwned\x07 bell\x07 \x00nul \xff\xfe bad "
                 b"\xc2\x85nel \xe2\x80\xa8ls \xe2\x80\xaertl \xc2\x9b31m \r\nend")
        harness.publish(self.broker, nasty)
        harness.publish(self.broker, "Bob: after")
        self.record(rb": Bob: after\Z")
        mine = [r for r in self.receiver.records if b"red" in r]
        self.assertEqual(len(mine), 1, self.receiver.records)
        raw = mine[0]
        self.assertFalse(re.search(rb"[\x00-\x1f\x7f]", raw), raw)
        text = raw.decode("utf-8")  # strict: raises on invalid UTF-8
        self.assertFalse(re.search("[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]", text),
                         text)
        self.assertRegex(text, r"red.*bell.*nul.*bad.*nel.*ls.*rtl.*end\Z")
        self.finish(m)

    def test_long_message_is_cut_with_marker_not_split(self):
        m = self.start({"max_length": "64"})
        harness.publish(self.broker, "Bob: " + "x" * 500)
        harness.publish(self.broker, "Bob: " + "ñ" * 200 + " tail")
        harness.publish(self.broker, "Bob: done")
        self.record(rb": Bob: done\Z")
        cut = [parse(r)["text"] for r in self.receiver.records if b"Bob: x" in r or "ñ".encode() in r]
        self.assertEqual(len(cut), 2, self.receiver.records)
        for text in cut:
            self.assertLessEqual(len(text), 64, text)
            self.assertTrue(text.endswith("…[cut]".encode()), text)
            text.decode("utf-8")
        self.finish(m)

    def start_journal(self, journal="on"):
        self.journal = self.receiver_at("journal.sock")
        return self.start({"journal": journal, "journal_socket": self.journal.path,
                           "facility": "local1", "priority": "notice"})

    def test_journal_fields(self):
        m = self.start_journal()
        harness.publish(self.broker, "ana: hola\ndesde el journal")
        fields = parse_journal(self.record(rb"MESSAGE=ana: hola", receiver=self.journal))
        self.assertEqual(fields["MESSAGE"], b"ana: hola desde el journal")
        self.assertEqual(fields["MQCHAT_NICK"], b"ana")
        self.assertEqual(fields["MQCHAT_TOPIC"], TOPIC)
        self.assertEqual(fields["MQCHAT_TYPE"], b"message")
        self.assertNotIn("MQCHAT_ID", fields)  # plain payloads carry no id
        self.assertEqual(fields["MQCHAT_NETWORK"], b"mqtt")
        self.assertEqual(fields["MQCHAT_ROOM"], TOPIC)
        self.assertNotIn("MQCHAT_TO", fields)  # a room's message, not a private one
        self.assertEqual(fields["PRIORITY"], b"5")
        self.assertEqual(fields["SYSLOG_FACILITY"], b"17")
        self.assertEqual(fields["SYSLOG_IDENTIFIER"], b"mqchat")
        self.assertEqual(fields["SYSLOG_PID"], str(m.proc.pid).encode())
        # Own messages carry the user's nick; connection events their type.
        m.send("y yo")
        fields = parse_journal(self.record(rb"MESSAGE=Ana: y yo\n", receiver=self.journal))
        self.assertEqual(fields["MQCHAT_NICK"], b"Ana")
        status = parse_journal(self.record(rb"MESSAGE=-- connected to ", receiver=self.journal))
        self.assertEqual(status["MQCHAT_TYPE"], b"status", self.journal.records)
        joined = parse_journal(self.record(rb"MESSAGE=\* Ana joined\n", receiver=self.journal))
        self.assertEqual(joined["MQCHAT_TYPE"], b"join", self.journal.records)
        # The plain socket got nothing: a record goes to one place only.
        self.assertEqual(self.receiver.drain(), [])
        self.finish(m)

    def test_journal_id_of_json_message(self):
        m = self.start_journal("Yes")  # any spelling of on, as every on/off key takes
        harness.publish(self.broker, json.dumps(
            {"v": 1, "id": "m-42", "nick": "bea", "ts": 1700000000000, "type": "message",
             "text": "hola en json"}))
        fields = parse_journal(self.record(rb"MQCHAT_ID=m-42\n", receiver=self.journal))
        self.assertEqual(fields["MQCHAT_NICK"], b"bea")
        self.assertEqual(fields["MESSAGE"], b"bea: hola en json")
        self.finish(m)

    def test_journal_auto_when_its_socket_exists(self):
        # `socket` left at /dev/log and journald's socket present: journal.
        journal = self.receiver_at("journal.sock")
        section = {"plugin": "syslog", "journal_socket": journal.path}
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"frontends": "stdin, log", "history": "off"}, log=section)
        m = self.mqchat(ini)
        m.send("al journal")
        fields = parse_journal(self.record(rb"MESSAGE=Ana: al journal\n", receiver=journal))
        self.assertEqual(fields["MQCHAT_NICK"], b"Ana")
        self.finish(m)

    def test_with_two_rooms_each_record_says_where(self):
        audit = self.receiver_at("audit.sock")
        m = self.start(extra={"audit": {"plugin": "syslog", "socket": audit.path,
                                        "format": "{room}| {nick}: {text}"}},
                       frontends="stdin, log, audit", mqtt={"rooms": "ops"})
        harness.publish(self.broker, "Bob: en ops", topic="ops")
        harness.publish(self.broker, "Bob: en la sala")
        self.assertEqual(parse(self.record(rb"Bob: en ops\Z"))["text"], b"[mqtt:ops] Bob: en ops")
        self.assertEqual(parse(self.record(rb"Bob: en la sala\Z"))["text"],
                         b"[mqtt:" + TOPIC + b"] Bob: en la sala")
        # Own messages too; and a format that shows the room gets no prefix.
        m.send("hola")
        self.assertEqual(parse(self.record(rb"Ana: hola\Z"))["text"],
                         b"[mqtt:" + TOPIC + b"] Ana: hola")
        self.assertEqual(parse(self.record(rb"Bob: en ops\Z", receiver=audit))["text"],
                         b"ops| Bob: en ops")
        self.finish(m)

    def test_several_instances(self):
        audit = self.receiver_at("audit.sock")
        m = self.start({"facility": "local0"},
                       extra={"audit": {"plugin": "syslog", "socket": audit.path,
                                        "facility": "local7", "priority": "debug",
                                        "format": "[{topic}] {nick} said {text}"}},
                       frontends="stdin, log, audit")
        harness.publish(self.broker, "Bob: a todos")
        self.assertEqual(int(parse(self.record(rb"Bob: a todos\Z"))["pri"]), 134)
        rec = parse(self.record(rb"Bob said a todos\Z", receiver=audit))
        self.assertEqual(int(rec["pri"]), 191)
        self.assertEqual(rec["text"], b"[" + TOPIC + b"] Bob said a todos")
        self.finish(m)


if __name__ == "__main__":
    harness.main()
