# SPDX-License-Identifier: MIT
"""Hostile bytes from the broker never reach standard output: terminal escape
sequences and control characters are removed, invalid UTF-8 becomes U+FFFD,
and a NUL inside the payload does not cut the text short."""
import json

import harness

ESC = 0x1b

# Each piece: a visible word, then something hostile.
HOSTILE_TEXT = (
    b"start "
    b"csi\x1b[31mRED\x1b[0m "
    b"osc\x1b]0;title\x07 "
    b"dcs\x1bP1;2|data\x1b\\ "
    b"c1\xc2\x9b31m "
    b"bel\x07 "
    b"bs\x08 "
    b"ff\xff\xfe "
    b"over\xc0\xaf "
    b"trunc\xe2\x82 "
    b"nul\x00after "
    b"end"
)


class SanitizeTest(harness.TestCase):
    def start_mqchat(self):
        sub = self.subscriber()
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"history": "off", "announce": "on"},
            stdin={"format": "{nick}: {text}", "color": "never"})
        m = self.mqchat(ini)
        sub.out.wait_for(r"^Ana ha entrado al chat$")
        return m

    def assert_clean(self, raw):
        self.assertTrue(raw.endswith(b"\n"))
        body = raw[:-1]
        self.assertNotIn(ESC, body, f"ESC reached the terminal: {raw!r}")
        controls = [b for b in body if b < 0x20 or b == 0x7f]
        self.assertEqual(controls, [], f"control bytes reached the terminal: {raw!r}")
        try:
            text = body.decode("utf-8", "strict")
        except UnicodeDecodeError as e:
            self.fail(f"output is not valid UTF-8 ({e}): {raw!r}")
        c1 = [c for c in text if 0x80 <= ord(c) <= 0x9f]
        self.assertEqual(c1, [], f"C1 controls reached the terminal: {raw!r}")
        return text

    def test_hostile_payload(self):
        m = self.start_mqchat()
        harness.publish(self.broker, b"Eve: " + HOSTILE_TEXT)
        i = m.out.wait_for(rb"^Eve: start ")
        raw = m.out.lines[i]
        text = self.assert_clean(raw)

        # The visible words survive, in order.
        words = ["start", "csi", "RED", "osc", "dcs", "c1", "bel", "bs",
                 "ff", "over", "trunc", "nul", "after", "end"]
        pos = 0
        for w in words:
            found = text.find(w, pos)
            self.assertGreaterEqual(found, 0, f"{w!r} lost (after {pos}) in {text!r}")
            pos = found + len(w)

        # Invalid bytes are replaced where they were, not dropped.
        self.assertIn("ff\ufffd", text)
        self.assertIn("over\ufffd", text)
        self.assertIn("trunc\ufffd", text)
        # The NUL is sanitised away, not taken for the end of the string.
        self.assertRegex(text, r"nul\W*after end$")
        # Whole escape sequences go, not only their ESC: no "[31m" left over.
        self.assertNotIn("[31m", text)
        self.assertNotIn("[0m", text)

        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_hostile_nick_and_unknown_sender(self):
        m = self.start_mqchat()
        # Escapes in the nick part are as dangerous as in the text.
        harness.publish(self.broker, b"M\x1b[2Jal\xff: hi\x1b[5m there")
        i = m.out.wait_for(rb"hi")
        self.assert_clean(m.out.lines[i])
        # No nick at all: the hostile text is shown with the topic.
        harness.publish(self.broker, b"\x1b]2;pwned\x07anon\r\nline\x00two")
        i = m.out.wait_for(rb"anon")
        text = self.assert_clean(m.out.lines[i])
        self.assertIn("two", text)
        self.assertTrue(text.startswith(harness.TOPIC), text)

        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_json_nicks_obey_the_plain_nick_rule(self):
        """A json nick is held to the rule plain nicks and our own follow
        (1..64 bytes once cleaned, no colon); one that breaks it leaves the
        sender unknown (the topic is shown), and the message is kept."""
        m = self.start_mqchat()

        def publish(n, nick, text):
            harness.publish(self.broker, json.dumps(
                {"v": 1, "id": f"e2e-{n}", "nick": nick, "ts": 1732570000000,
                 "type": "message", "text": text}))

        # ': ' and a line separator: two speakers on one line.
        publish(1, "Ana: hi\u2028Bob", "forged")
        i = m.out.wait_for(rb"forged$")
        self.assertEqual(self.assert_clean(m.out.lines[i]), f"{harness.TOPIC}: forged")
        # Invisible characters cannot make a nick look like another one.
        publish(2, "A\u200bn\u200ea\u061c\u2060\ufeff\U000e0041", "zw")
        i = m.out.wait_for(rb"zw$")
        self.assertEqual(self.assert_clean(m.out.lines[i]), "Ana: zw")
        # A 10 kB nick is not printed.
        publish(3, "N" * 10000, "long nick")
        i = m.out.wait_for(rb"long nick$")
        self.assertEqual(m.out.lines[i], f"{harness.TOPIC}: long nick\n".encode())
        # 64 bytes is a nick, 65 is not.
        publish(4, "é" * 32, "sixty-four")
        i = m.out.wait_for(rb"sixty-four$")
        self.assertEqual(self.assert_clean(m.out.lines[i]), "é" * 32 + ": sixty-four")
        publish(5, "é" * 32 + "x", "sixty-five")
        i = m.out.wait_for(rb"sixty-five$")
        self.assertEqual(self.assert_clean(m.out.lines[i]), f"{harness.TOPIC}: sixty-five")
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_json_member_out_of_range_is_ignored(self):
        """A number beyond a double's range costs its member, not the
        message: jansson alone would refuse the whole document."""
        m = self.start_mqchat()
        harness.publish(self.broker, b'{"v":1e400,"id":"big-ts","nick":"Bea","ts":1e400,'
                                     b'"type":"message","text":"late","x":-1e999}')
        i = m.out.wait_for(rb"late")
        self.assertEqual(m.out.lines[i], b"Bea: late\n")
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_oversized_payload_refused_loudly(self):
        m = self.start_mqchat()
        harness.publish(self.broker, b"Eve: " + b"x" * (2 * 1024 * 1024))
        m.err.wait_for(rb"a payload of 2097157 bytes on conversacionTeletubbies was not "
                       rb"shown: longer than 1048576")
        harness.publish(self.broker, b"Eve: still here")
        m.out.wait_for(rb"^Eve: still here$")
        self.assertFalse(any(len(l) > 1024 * 1024 for l in m.out.lines))
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
