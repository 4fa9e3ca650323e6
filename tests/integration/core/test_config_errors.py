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

    def test_core_has_no_plugin_key(self):
        self.assert_config_error("[core]\nnick = Ana\nplugin = mqtt\n", 3, "plugin", "[core]")

    def test_indented_lines_are_refused(self):
        # No continuation lines: neither glued to the value above nor read
        # as a key of their own; indented blank and comment lines are fine.
        for line in ("  topic = sala", "\tcontinued", "  [fifo]"):
            with self.subTest(line=line):
                self.assert_config_error(self.good_ini(line + "\n"), 7, "indented line")
        path = self.write(self.good_ini("   ; an indented comment\n  \n\t# another\n"))
        r = self.run_mqchat("-c", path, "--check-config")
        self.assertEqual(r.returncode, EX_OK, r.stderr)

    def test_configuration_that_is_not_a_regular_file(self):
        # Unfixed: a directory read as an empty file, /dev/zero spun
        # forever, a FIFO blocked (run_mqchat's timeout catches both).
        fifo = os.path.join(self.workdir, "config.fifo")
        os.mkfifo(fifo)
        for path, what in ((self.workdir, "a directory"), ("/dev/zero", "a character device"),
                           (fifo, "a named pipe")):
            for args in (("--check-config",), ()):
                with self.subTest(path=path, args=args):
                    r = self.run_mqchat("-c", path, *args)
                    err = r.stderr.decode("utf-8", "replace")
                    self.assertEqual(r.returncode, EX_CONFIG, err)
                    self.assertIn(f"{path}: cannot read the configuration: not a regular "
                                  f"file ({what})", err)
            with self.subTest(path=path, via="MQCHAT_CONFIG"):
                self.env["MQCHAT_CONFIG"] = path
                r = self.run_mqchat("--check-config")
                del self.env["MQCHAT_CONFIG"]
                self.assertEqual(r.returncode, EX_CONFIG, r.stderr)
                self.assertIn(path.encode(), r.stderr)

    # --- what --check-config accepts, a run accepts ----------------------

    def assert_check_and_run_refuse(self, path, *args, says):
        """--check-config and a run both exit 78 with the same message."""
        errors = []
        for check in (("--check-config",), ()):
            r = self.run_mqchat("-c", path, *check, *args)
            err = r.stderr.decode("utf-8", "replace")
            self.assertEqual(r.returncode, EX_CONFIG, f"{check}: {err}")
            self.assertIn(says, err)
            errors.append([l for l in err.splitlines() if "error:" in l])
        self.assertEqual(errors[0], errors[1], "check and run must say the same")

    def test_check_config_refuses_the_nicks_a_run_refuses(self):
        path = self.write(self.good_ini())
        self.assert_check_and_run_refuse(path, "-n", "a:b",
                                         says="-n a:b: [core] nick 'a:b': a nick cannot "
                                              "contain ':'")
        self.assert_check_and_run_refuse(path, "-n", "n" * 80, says="at most 64 bytes")
        text = self.good_ini().replace("nick = Ana", "nick = " + "ñ" * 40)  # 80 bytes
        self.assert_check_and_run_refuse(self.write(text), says=f"{path}:2: [core] nick")

    def test_sections_not_in_frontends_are_checked_by_their_plugin(self):
        # [fifo] by its name, [spare] by its plugin key: neither listed.
        for extra, line in (("[fifo]\nmode = 0999\n", 8), ("[spare]\nplugin = fifo\n"
                                                             "mode = 0999\n", 9)):
            with self.subTest(extra=extra):
                path = self.write(self.good_ini(extra))
                self.assert_check_and_run_refuse(path, says=f"{path}:{line}:")
                r = self.run_mqchat("-c", path, "--check-config")
                self.assertIn("mode", r.stderr.decode())
        path = self.write(self.good_ini("[spare]\nplugin = fifo\nmode = 0620\n"))
        r = self.run_mqchat("-c", path, "--check-config")
        self.assertEqual(r.returncode, EX_OK, r.stderr)

    def test_bad_values_are_quoted_one_way_in_every_plugin(self):
        # README's example: a word, a syslog name and a fifo mode, all
        # reported as FILE:LINE: [section] key: 'VALUE' is not ...
        path = self.write("[core]\nfrontends = stdin, log, fifo\n[log]\nplugin = syslog\n"
                          "facility = local9\n[stdin]\ncolor = sometimes\n[fifo]\nmode = 0999\n")
        err = self.run_mqchat("-c", path, "--check-config").stderr.decode()
        for line, key, value in ((5, "[log] facility", "local9"),
                                 (7, "[stdin] color", "sometimes"), (9, "[fifo] mode", "0999")):
            self.assertIn(f"{path}:{line}: {key}: '{value}' is not ", err)

    def test_check_config_shows_the_fifo_path_a_run_uses(self):
        # Without XDG_RUNTIME_DIR, the run uses /tmp/mqchat-<uid>/in.fifo
        # (tests/integration/fifo/test_fifo_paths.py): the check says so.
        path = self.write(self.good_ini().replace("history = off\n", "history = off\n"
                                                  "frontends = stdin, fifo\n"))
        for unset in ("", None):
            with self.subTest(XDG_RUNTIME_DIR=unset):
                if unset is None:
                    del self.env["XDG_RUNTIME_DIR"]
                else:
                    self.env["XDG_RUNTIME_DIR"] = unset
                r = self.run_mqchat("-c", path, "--check-config")
                self.assertEqual(r.returncode, EX_OK, r.stderr)
                self.assertRegex(r.stdout.decode(), rf"(?m)^path = /tmp/mqchat-{os.geteuid()}"
                                 r"/in\.fifo\s")

    # --- mistakes on the command line -----------------------------------

    def test_mosquitto_options_go_to_the_backend(self):
        path = self.write(self.good_ini())
        r = self.run_mqchat("-c", path, "--check-config", "-h", "broker.example.org",
                            "-p", "1884", "-t", "sala", "-u", "ana", "-q", "2")
        out = r.stdout.decode()
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        for key, value, origin in (("host", "broker.example.org", "-h broker.example.org"),
                                   ("port", "1884", "-p 1884"), ("topic", "sala", "-t sala"),
                                   ("username", "ana", "-u ana"), ("qos", "2", "-q 2")):
            self.assertRegex(out, rf"(?m)^{key} = {re.escape(value)}\s+; {re.escape(origin)}$")
        # The default network is core.backend, as -o leaves it.
        r = self.run_mqchat("-c", path, "--check-config", "-o", "core.backend=net",
                            "-o", "net.plugin=mqtt", "-p", "1885")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        self.assertIn("[net]", r.stdout.decode())
        self.assertRegex(r.stdout.decode(), r"(?m)^port = 1885\s+; -p 1885$")

    def test_url(self):
        path = self.write(self.good_ini())
        r = self.run_mqchat("-c", path, "--check-config", "mqtts://ana@[::1]:8884/a/b")
        out = r.stdout.decode()
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        for key, value in (("host", "::1"), ("port", "8884"), ("tls", "on"),
                           ("username", "ana"), ("topic", "a/b")):
            self.assertRegex(out, rf"(?m)^{key} = {re.escape(value)}\s+; mqtts://")
        # Options win over the URL; mqtts' default port is 8883.
        r = self.run_mqchat("-c", path, "--check-config", "-t", "c", "mqtts://h")
        out = r.stdout.decode()
        self.assertRegex(out, r"(?m)^port = 8883\s")
        self.assertRegex(out, r"(?m)^topic = c\s+; -t c$")

    def test_bad_command_line_values_exit_64_naming_the_argument(self):
        path = self.write(self.good_ini())
        for args, says in ((("-p", "0"), "-p '0'"), (("-p", "http"), "-p 'http'"),
                           (("-p", "65536"), "-p '65536'"), (("-q", "3"), "-q '3'"),
                           (("-h", ""), "-h ''"), (("-t", ""), "-t ''"),
                           (("http://host",), "URL"), (("mqtt://",), "URL 'mqtt://'"),
                           (("mqtt://host:99999",), "mqtt://host:99999"),
                           (("mqtt://a", "mqtt://b"), "mqtt://b")):
            with self.subTest(args=args):
                r = self.run_mqchat("-c", path, "--check-config", *args)
                self.assertEqual(r.returncode, EX_USAGE, r.stderr)
                self.assertIn(says, r.stderr.decode())

    def test_password_in_url_is_refused_and_not_echoed(self):
        r = self.run_mqchat("-c", self.write(self.good_ini()), "mqtt://ana:hunter2@host/x")
        err = r.stderr.decode()
        self.assertEqual(r.returncode, EX_USAGE, err)
        self.assertIn("password_file", err)
        self.assertIn("mqtt://ana:", err)
        self.assertNotIn("hunter2", err)


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
        single = [re.sub(r"^frontends = .*", "frontends = stdin, fifo, syslog, exec", l)
                  for l in single]
        several = ["[core]", "frontends = terminal, alerts, log"] + [
            l[1:] for l in lines[multi:] if l.startswith(";")]
        for name, text in (("single.ini", single), ("several.ini", several)):
            path = self.write("\n".join(text) + "\n", name)
            r = self.run_mqchat("-c", path, "--check-config")
            self.assertEqual(r.returncode, EX_OK, (name, r.stderr))
            out = r.stdout.decode("utf-8", "replace")
            for section in ("[fifo]", "[syslog]", "[exec]") if name == "single.ini" else (
                    "[terminal]", "[alerts]", "[log]"):
                self.assertIn(section, out)

    @staticmethod
    def keys_by_section(lines, commented=False):
        """{section: {key, ...}} of INI lines (with commented=True, of
        commented-out ones too)."""
        prefix = ";?" if commented else ""
        keys, section = {}, None
        for line in lines:
            m = re.match(rf"^{prefix}\[(\w+)\]$", line)
            if m:
                section = m.group(1)
                keys[section] = set()
            m = re.match(rf"^{prefix}(\w+) =", line)
            if m and section:
                keys[section].add(m.group(1))
        return keys

    def test_example_lists_every_key_the_code_accepts(self):
        # conf/mqchat.ini claims every key: the keys written there (set or
        # commented out) per section must be the keys --check-config shows.
        with open(EXAMPLE_INI) as f:
            lines = f.read().splitlines()
        lines = lines[:lines.index(";[terminal]")]
        written = self.keys_by_section(lines, commented=True)
        text = [re.sub(r"^;(?=[a-z\[])", "", l) for l in lines]
        text = [re.sub(r"^frontends = .*", "frontends = stdin, fifo, syslog, exec", l)
                for l in text]
        r = self.run_mqchat("-c", self.write("\n".join(text) + "\n"), "--check-config")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        shown = self.keys_by_section(r.stdout.decode("utf-8", "replace").splitlines())
        self.assertEqual(sorted(written), sorted(shown))
        for name in shown:
            self.assertEqual(written[name], shown[name], f"[{name}] in {EXAMPLE_INI}")

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
        # -h is the host, as with mosquitto_sub: alone it lacks its argument.
        self.assertEqual(self.run_mqchat("-h").returncode, EX_USAGE)

    def test_version(self):
        r = self.run_mqchat("--version")
        self.assertEqual(r.returncode, EX_OK, r.stderr)
        self.assertRegex(r.stdout.decode(), r"\d+\.\d+\.\d+")
        self.assertEqual(self.run_mqchat("-V").returncode, EX_OK)


if __name__ == "__main__":
    harness.main()
