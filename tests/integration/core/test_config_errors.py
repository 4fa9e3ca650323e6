# SPDX-License-Identifier: MIT
"""Every configuration mistake stops mqchat with EX_CONFIG (78) and a message
naming the file and line (or the -o option); command-line mistakes are
EX_USAGE (64); the informational options work.

No broker is needed: a configuration error must be found before anything
connects, so these point at a port where nothing listens."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import harness

EX_OK, EX_USAGE, EX_CONFIG = 0, 64, 78
SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
EXAMPLE_INI = os.path.join(SOURCE_ROOT, "conf", "mqchat.ini")
PLUGINS = {"mqtt": "backend", "stdin": "frontend", "fifo": "frontend", "syslog": "frontend"}


class ConfigErrorsTest(unittest.TestCase):
    def setUp(self):
        if not harness.MQCHAT or not os.access(harness.MQCHAT, os.X_OK):
            self.fail(f"MQCHAT_BIN is not an executable: {harness.MQCHAT!r}")
        self.workdir = tempfile.mkdtemp(prefix="mqchat-config-")
        self.env = harness.isolated_env(self.workdir)
        self.closed_port = harness.free_port()

    def tearDown(self):
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run_mqchat(self, *args, stdin=b""):
        return subprocess.run([harness.MQCHAT, *args], input=stdin, capture_output=True,
                              env=self.env, timeout=harness.DEFAULT_TIMEOUT)

    def write(self, text, name="mqchat.ini"):
        """An INI file whose lines are numbered as written in `text`."""
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def good_ini(self, extra=""):
        return ("[core]\n"
                "nick = Ana\n"
                "history = off\n"
                "[mqtt]\n"
                "host = 127.0.0.1\n"
                f"port = {self.closed_port}\n"
                + extra)

    def assert_config_error(self, text, line, *words):
        path = self.write(text)
        r = self.run_mqchat("-c", path)
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, EX_CONFIG, f"stderr: {err}")
        self.assertIn(f"{path}:{line}", err, "the message must name file and line")
        for w in words:
            self.assertIn(w, err)
        return err

    # --- mistakes in the file -------------------------------------------

    def test_unknown_section(self):
        self.assert_config_error(self.good_ini("[nosuch]\nfoo = bar\n"), 7, "nosuch")

    def test_unknown_core_key(self):
        self.assert_config_error("[core]\nnick = Ana\ncolour = on\n", 3, "colour")

    def test_unknown_mqtt_key(self):
        self.assert_config_error(self.good_ini("hots = example.org\n"), 7, "hots")

    def test_core_numbers_are_checked_by_check_config(self):
        for key in ("history_replay", "history_max_messages", "history_max_days",
                    "dedup_window", "outbox_max", "quit_timeout"):
            text = f"[core]\nnick = Ana\n{key} = lots\n"
            path = self.write(text)
            r = self.run_mqchat("-c", path, "--check-config")
            err = r.stderr.decode("utf-8", "replace")
            self.assertEqual(r.returncode, EX_CONFIG, f"{key}: {err}")
            self.assertIn(f"{path}:3: [core] {key}: 'lots' is not a number from 0 to", err)

    def test_password_in_the_ini_is_refused_with_the_way_out(self):
        self.assert_config_error(self.good_ini("password = hunter2\n"), 7, "password",
                                 "never written in the INI", "password_file")

    def test_config_writable_by_others_draws_a_warning(self):
        path = self.write(self.good_ini())
        os.chmod(path, 0o666)
        r = self.run_mqchat("-c", path, "--check-config")
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, EX_OK, err)
        self.assertIn(f"{path} is writable by others", err)
        os.chmod(path, 0o644)  # readable is fine: no secret is ever in it
        r = self.run_mqchat("-c", path, "--check-config")
        self.assertEqual(r.returncode, EX_OK)
        self.assertNotIn(b"writable", r.stderr)

    def test_bad_qos(self):
        self.assert_config_error(self.good_ini("qos = 7\n"), 7, "qos")

    def test_bad_port(self):
        text = self.good_ini().replace(f"port = {self.closed_port}", "port = x")
        self.assert_config_error(text, 6, "port")

    def test_missing_plugin(self):
        err = self.assert_config_error(
            self.good_ini("[x]\nplugin = nosuch\n").replace(
                "history = off\n", "history = off\nfrontends = x\n"),
            9, "nosuch.so")
        # The path tried is shown whole, so the user can check it.
        self.assertRegex(err, r"/\S*nosuch\.so")

    def test_duplicate_key(self):
        # inih hands a repeated key over twice; silently keeping one of the
        # two values would hide a mistake.
        self.assert_config_error(self.good_ini("port = 1884\n"), 7, "port")

    def test_line_too_long(self):
        self.assert_config_error(self.good_ini("topic = " + "t" * 250 + "\n"), 7)

    def test_missing_file(self):
        path = os.path.join(self.workdir, "absent.ini")
        r = self.run_mqchat("-c", path)
        self.assertEqual(r.returncode, EX_CONFIG, r.stderr)
        self.assertIn(path.encode(), r.stderr)

    # --- mistakes on the command line -----------------------------------

    def test_override_unknown_key(self):
        path = self.write(self.good_ini())
        r = self.run_mqchat("-c", path, "-o", "core.nosuch=1")
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, EX_CONFIG, err)
        self.assertIn("-o", err, "the message must name the -o option")
        self.assertIn("core.nosuch", err)

    def test_override_bad_value(self):
        path = self.write(self.good_ini())
        r = self.run_mqchat("-c", path, "-o", "mqtt.qos=9")
        err = r.stderr.decode("utf-8", "replace")
        self.assertEqual(r.returncode, EX_CONFIG, err)
        self.assertIn("-o", err)
        self.assertIn("qos", err)

    def test_malformed_override(self):
        path = self.write(self.good_ini())
        r = self.run_mqchat("-c", path, "-o", "foo")
        self.assertEqual(r.returncode, EX_USAGE, r.stderr)
        self.assertIn(b"foo", r.stderr)

    def test_unknown_flag(self):
        r = self.run_mqchat("--no-such-flag")
        self.assertEqual(r.returncode, EX_USAGE, r.stderr)
        self.assertIn(b"no-such-flag", r.stderr)

    def test_missing_option_argument(self):
        r = self.run_mqchat("-c")
        self.assertEqual(r.returncode, EX_USAGE, r.stderr)

    # --- informational options ------------------------------------------

    def test_check_config_prints_effective_config(self):
        secret = os.path.join(self.workdir, "secret")
        with open(secret, "w") as f:
            f.write("hunter2\n")
        path = self.write(self.good_ini("topic = sala\nusername = ana\n"
                                        f"password_file = {secret}\n"))
        r = self.run_mqchat("-c", path, "--check-config", "-o", "mqtt.qos=2")
        out = r.stdout.decode("utf-8", "replace")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        self.assertIn("[mqtt]", out)
        self.assertRegex(out, r"(?m)^\s*topic\s*=\s*sala\b")
        self.assertRegex(out, r"(?m)^\s*qos\s*=\s*2\b", "-o must win over the file")
        self.assertRegex(out, r"(?m)^\s*nick\s*=\s*Ana\b")
        # Effective: defaults of keys not written are shown too.
        self.assertRegex(out, r"(?m)^\s*keepalive\s*=\s*60\b")
        self.assertNotIn("hunter2", out + r.stderr.decode("utf-8", "replace"))

    def test_example_configuration_is_valid(self):
        # conf/mqchat.ini documents every key with its default: it must load.
        self.assertTrue(os.path.exists(EXAMPLE_INI), EXAMPLE_INI)
        r = self.run_mqchat("-c", EXAMPLE_INI, "--check-config")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        out = r.stdout.decode("utf-8", "replace")
        self.assertRegex(out, r"(?m)^\s*topic\s*=\s*conversacionTeletubbies\b")
        self.assertRegex(out, r"(?m)^\s*port\s*=\s*1883\b")

    def test_example_commented_sections_are_valid(self):
        # The commented-out sections document the other frontends' keys:
        # uncommented, they must load too.
        with open(EXAMPLE_INI) as f:
            lines = f.read().splitlines()
        multi = lines.index(";[terminal]")
        single = [re.sub(r"^;(?=[a-z\[])", "", l) for l in lines[:multi]]
        single = [re.sub(r"^frontends = .*", "frontends = stdin, fifo, syslog", l)
                  for l in single]
        several = ["[core]", "frontends = terminal, alerts, log"] + [
            l[1:] for l in lines[multi:] if l.startswith(";")]
        for name, text in (("single.ini", single), ("several.ini", several)):
            path = self.write("\n".join(text) + "\n", name)
            r = self.run_mqchat("-c", path, "--check-config")
            self.assertEqual(r.returncode, EX_OK, (name, r.stderr))
            out = r.stdout.decode("utf-8", "replace")
            for section in ("[fifo]", "[syslog]") if name == "single.ini" else (
                    "[terminal]", "[alerts]", "[log]"):
                self.assertIn(section, out)

    def test_list_plugins(self):
        r = self.run_mqchat("--list-plugins")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        lines = r.stdout.decode("utf-8", "replace").splitlines()
        for name, kind in PLUGINS.items():
            mine = [l for l in lines if re.search(rf"\b{name}\b", l)]
            self.assertTrue(mine, f"{name} not listed:\n" + "\n".join(lines))
            self.assertTrue(any(kind in l for l in mine), f"{name}: no kind {kind}: {mine}")
            self.assertTrue(any(re.search(r"\b1\.0\b", l) for l in mine),
                            f"{name}: no ABI version 1.0: {mine}")

    def test_help(self):
        r = self.run_mqchat("--help")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        self.assertRegex(r.stdout.decode(), r"(?i)usage")
        self.assertEqual(self.run_mqchat("-h").returncode, EX_OK)

    def test_version(self):
        r = self.run_mqchat("--version")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        self.assertRegex(r.stdout.decode(), r"\d+\.\d+\.\d+")
        self.assertEqual(self.run_mqchat("-V").returncode, EX_OK)


if __name__ == "__main__":
    harness.main()
