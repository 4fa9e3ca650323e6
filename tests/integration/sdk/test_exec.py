# SPDX-License-Identifier: MIT
"""The exec plugin, end to end: a real broker, the real mqchat, a real
program run per message.  The program (exec_recorder.c) writes down the
arguments, environment, parent, signal state and descriptors it got."""
import glob
import os
import re
import signal
import subprocess

import harness
import sdk_helpers

RECORDER_SOURCE = os.path.join(sdk_helpers.HERE, "exec_recorder.c")
# What a shell would change if it ever saw these.  Nicks are at most 64
# bytes, so the nick's commands are harmless ones whose expansion would show
# in the value received; the text's would create files in the trap.
NASTY_NICK = "Eve `id -u`$(echo x);uname"
NASTY_TEXT = "hi $(touch {d}/t1) `touch {d}/t2`; touch {d}/t3 | touch {d}/t4 && x"


def parse_record(path):
    rec = {"arg": [], "env": {}, "fd": []}
    for line in sdk_helpers.file_text(path).splitlines():
        what, _, value = line.partition("=")
        if what == "arg":
            rec["arg"].append(value)
        elif what == "env":
            name, _, v = value.partition("=")
            rec["env"][name] = v
        elif what == "fd":
            rec["fd"].append(int(value))
        else:
            rec[what] = value
    return rec


class Exec(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.recorder = os.path.join(self.workdir, "recorder")
        sdk_helpers.run(["cc", "-std=c17", "-D_GNU_SOURCE", RECORDER_SOURCE, "-o",
                         self.recorder])
        self.rec_dir = os.path.join(self.workdir, "records")
        self.trap = os.path.join(self.workdir, "trap")
        os.mkdir(self.rec_dir)
        os.mkdir(self.trap)

    def records(self):
        return [parse_record(p) for p in sorted(glob.glob(os.path.join(self.rec_dir, "*.rec")))]

    def wait_records(self, n):
        return harness.wait_until(lambda: len(self.records()) >= n and self.records(),
                                  what=f"{n} run(s) of the recorder")

    def start(self, hook=None, nick="Ana", extra=()):
        keys = {"plugin": "exec", "program": self.recorder, "args": "{text} {nick} fixed",
                "pass_env": "PATH REC_DIR"}
        keys.update(hook or {})
        ini = harness.basic_ini(self.workdir, self.broker, nick=nick,
                                core={"frontends": "stdin, hook", "history": "off"},
                                hook=keys)
        m = self.mqchat(ini, args=list(extra), env={"REC_DIR": self.rec_dir,
                                                    "SECRET_TOKEN": "do-not-leak"})
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        return m

    def assert_no_shell_ran(self):
        self.assertEqual(os.listdir(self.trap), [], "a shell interpreted the message")

    def test_received_message_reaches_no_shell(self):
        m = self.start()
        nick, text = NASTY_NICK, NASTY_TEXT.format(d=self.trap)
        harness.publish(self.broker, f"{nick}: {text}")
        (rec,) = self.wait_records(1)
        self.assertEqual(rec["arg"], [self.recorder, text, nick, "fixed"])
        env = rec["env"]
        self.assertEqual(env["MQCHAT_NICK"], nick)
        self.assertEqual(env["MQCHAT_TEXT"], text)
        self.assertEqual(env["MQCHAT_TYPE"], "message")
        self.assertEqual(env["MQCHAT_TOPIC"], harness.TOPIC)
        self.assertEqual(env["MQCHAT_OWN"], "0")
        self.assertEqual(env["MQCHAT_NETWORK"], "mqtt")
        self.assertEqual(env["MQCHAT_ROOM"], harness.TOPIC)
        self.assertEqual(env["MQCHAT_TO"], "")
        self.assertRegex(env["MQCHAT_TIME"], r"^\d{10}$")
        self.assertEqual(env["REC_DIR"], self.rec_dir)
        self.assertEqual(set(env) - {"REC_DIR"}, {
            "MQCHAT_NICK", "MQCHAT_TEXT", "MQCHAT_TYPE", "MQCHAT_TOPIC", "MQCHAT_ID",
            "MQCHAT_SENDER_ID", "MQCHAT_TIME", "MQCHAT_TIME_MS", "MQCHAT_OWN",
            "MQCHAT_NETWORK", "MQCHAT_ROOM", "MQCHAT_TO"})
        # Started by mqchat itself (no shell in between), as a normal process:
        # no signal blocked or ignored, only stdin/stdout/stderr open.
        self.assertEqual(rec["parent"], "mqchat")
        self.assertEqual(int(rec["sigblk"], 16), 0)
        # Signals 1-31 (SIGPIPE among them, which mqchat ignores).  glibc's
        # posix_spawn leaves its own internal real-time signals (32, 33)
        # ignored in every child it starts; they are not for programs.
        self.assertEqual(int(rec["sigign"], 16) & 0x7FFFFFFF, 0)
        self.assertEqual(sorted(rec["fd"]), [0, 1, 2])
        self.assert_no_shell_ran()
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_own_nick_with_shell_syntax(self):
        nick = NASTY_NICK
        m = self.start(hook={"own": "on"}, nick=nick)
        text = NASTY_TEXT.format(d=self.trap)
        m.send(text)
        (rec,) = self.wait_records(1)
        self.assertEqual(rec["env"]["MQCHAT_NICK"], nick)
        self.assertEqual(rec["env"]["MQCHAT_TEXT"], text)
        self.assertEqual(rec["env"]["MQCHAT_OWN"], "1")
        self.assertEqual(rec["env"]["MQCHAT_NETWORK"], "mqtt")
        self.assertEqual(rec["env"]["MQCHAT_ROOM"], harness.TOPIC)
        self.assertEqual(rec["arg"][1:], [text, nick, "fixed"])
        self.assert_no_shell_ran()
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_leading_dash_is_never_an_option(self):
        """A remote nick or text starting with '-' reaches the program as
        text: an argument gets a space before it, unless its word in `args`
        starts with '-' itself or comes after a "--"."""
        m = self.start(hook={"args": "{text} {nick} -t{nick} x{text} -- {text} {nick}"})
        nick = "-f/home/victim/.ssh/id_rsa"
        harness.publish(self.broker, f"{nick}: -n 5")
        (rec,) = self.wait_records(1)
        self.assertEqual(rec["arg"][1:], [" -n 5", " " + nick, "-t" + nick, "x-n 5", "--",
                                          "-n 5", nick])
        self.assertEqual(rec["env"]["MQCHAT_NICK"], nick)
        self.assertEqual(rec["env"]["MQCHAT_TEXT"], "-n 5")
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_long_values_are_cut_at_a_character_boundary(self):
        """Linux takes at most 128 KiB per argument or variable: a longer
        text is cut there, never inside a UTF-8 character."""
        m = self.start(hook={"args": "{text}", "max_running": "1"})
        harness.publish(self.broker, "Bob: " + "é" * 70000)
        (rec,) = self.wait_records(1)
        # "MQCHAT_TEXT=" + value + NUL within 131072 bytes: 131058 of 131059.
        self.assertEqual(rec["env"]["MQCHAT_TEXT"], "é" * 65529)
        self.assertEqual(rec["arg"][1:], ["é" * 65535])
        # The space put before a leading '-' still fits: " -" + 131068 bytes.
        harness.publish(self.broker, "Bob: -" + "é" * 70000)
        recs = self.wait_records(2)
        (dashed,) = [r for r in recs if r["arg"][1:] != rec["arg"][1:]]
        self.assertEqual(dashed["arg"][1:], [" -" + "é" * 65534])
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_match_types_and_own(self):
        m = self.start(hook={"match": r"(^|[^[:alnum:]])ana([^[:alnum:]]|$)",
                             "ignore_case": "on"})
        m.send("ana, this is my own line")            # own: off
        harness.publish(self.broker, "Bob: banana bread")        # no word 'ana'
        harness.publish(self.broker, "Carl ha entrado al chat")  # a join
        harness.publish(self.broker, "Bob: hola ANA!")           # runs
        m.out.wait_for(r"hola ANA!")
        (rec,) = self.wait_records(1)
        self.assertEqual(rec["env"]["MQCHAT_TEXT"], "hola ANA!")
        # Messages are handled in order on one thread: nothing else ran.
        harness.publish(self.broker, "Dan: * waves at ana")
        recs = self.wait_records(2)
        self.assertEqual([r["env"]["MQCHAT_TEXT"] for r in recs].count("hola ANA!"), 1)
        self.assertEqual(len(recs), 2, recs)
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_timeout_and_bounded_runs(self):
        m = self.start(hook={"timeout": "1", "max_running": "1", "max_queued": "0",
                             "args": "{text}"})
        harness.publish(self.broker, "Bob: sleep")
        harness.publish(self.broker, "Bob: dropped, no slot")
        m.err.wait_for(r"hook: warning: 1 runs of .* going and 0 queued: dropping messages")
        m.err.wait_for(r"hook: warning: .*recorder \(pid \d+\) still running after 1 s: "
                       r"terminating it", timeout=harness.DEFAULT_TIMEOUT * 2)
        m.err.wait_for(r"recorder \(pid \d+\) was killed by signal 15")
        m.err.wait_for(r"1 message was dropped")
        harness.publish(self.broker, "Bob: after the slot freed")
        (rec,) = self.wait_records(1)
        self.assertEqual(rec["arg"][1:], ["after the slot freed"])
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())

    def config_refused(self, hook, pattern):
        keys = {"plugin": "exec"}
        keys.update(hook)
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"frontends": "hook", "history": "off"}, hook=keys)
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(), 78, m.err.text())
        harness.wait_until(lambda: m.err.closed)
        self.assertRegex(m.err.text(), rf"{re.escape(ini)}:\d+: \[hook\] {pattern}")

    def test_configuration_errors(self):
        self.config_refused({"program": self.recorder, "match": "(unclosed"},
                            r"match: '\(unclosed' is not a POSIX extended regex")
        self.config_refused({"program": "no-such-program-anywhere"},
                            r"program: 'no-such-program-anywhere' is not an executable "
                            r"file found in \$PATH")
        self.config_refused({"program": self.recorder, "types": "message shout"},
                            r"types: unknown type 'shout'")
        self.config_refused({"program": self.recorder, "max_running": "0"},
                            r"max_running: '0' is not a number from 1 to 64")

    def test_program_is_required(self):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"frontends": "hook", "history": "off"},
                                hook={"plugin": "exec"})
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(), 78, m.err.text())
        harness.wait_until(lambda: m.err.closed)
        # No line to name: the value is the built-in default.
        self.assertIn("built-in default: [hook] program: required", m.err.text())


if __name__ == "__main__":
    harness.main()
