# SPDX-License-Identifier: MIT
"""The manual pages stay true: every key a plugin or the core declares is in
mqchat.ini(5) (and nothing that does not exist), every option of --help is in
mqchat(1), and the exit codes of PRODUCT's table are there.  The plugins the
docs print (the tutorial's in docs/plugins.md, README's hello) are built
exactly as printed and do what they say for a real session: joins, leaves,
/me, status lines and the history replayed at a restart."""
import os
import re
import signal
import subprocess

EX_CONFIG = 78
README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                      "README.md")

import harness
import sdk_helpers

DOCS = os.path.join(sdk_helpers.SOURCE_ROOT, "docs")


def man_keys(path):
    """{section: {key, ...}} from `.SH [section]` headings and `.TP` entries
    whose next line is `.B "key = default"`."""
    keys, section = {}, None
    lines = sdk_helpers.file_text(path).splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\.SH \[(\w+)\]", line)
        if m:
            section = m.group(1)
            keys[section] = set()
        elif line.startswith(".SH"):
            section = None
        elif line == ".TP" and section and i + 1 < len(lines):
            m = re.match(r'\.B "(\w+) = ', lines[i + 1])
            if m:
                keys[section].add(m.group(1))
    return keys


def declared_keys(workdir):
    """{section: {key, ...}} from --check-config with every frontend and
    backend."""
    ini = harness.write_ini(os.path.join(workdir, "all.ini"), {
        "core": {"frontends": "stdin fifo syslog exec", "backends": "mqtt irc"},
        "exec": {"program": "/bin/true"},
    })
    out = sdk_helpers.run([harness.MQCHAT, "-c", ini, "--check-config"],
                          env=harness.isolated_env(workdir))
    keys, section = {}, None
    for line in out.splitlines():
        m = re.match(r"\[(\w+)\]$", line)
        if m:
            section = m.group(1)
            keys[section] = set()
        m = re.match(r"(\w+) = ", line)
        if m and section:
            keys[section].add(m.group(1))
    return keys


def readme_hello_code():
    """README's complete frontend: the ```c block that defines "hello"."""
    for block in re.findall(r"```c\n(.*?)```", sdk_helpers.file_text(README), re.S):
        if "MQC_PLUGIN_DEFINE(" in block and '.name = "hello"' in block:
            return block
    raise AssertionError("README.md: no hello plugin in a ```c block")


def build_printed(workdir, name, code):
    """Compiles `code`, as printed, the way plugin authors are told to."""
    src = os.path.join(workdir, name + ".c")
    with open(src, "w") as f:
        f.write(code)
    return sdk_helpers.compile_plugin([src], os.path.join(workdir, name + ".so"),
                                      ["-I" + sdk_helpers.INCLUDE_DIR])


class Docs(harness.TestCase):

    def wait_log(self, path, line):
        harness.wait_until(lambda: line + "\n" in sdk_helpers.file_text(path),
                           what=f"{line!r} in the tutorial plugin's log")

    def test_tutorial_plugin_logs_a_session_with_a_restart(self):
        plugin = build_printed(self.workdir, "logfile", sdk_helpers.tutorial_code())
        chat_log = os.path.join(self.workdir, "chat.log")
        fifo = os.path.join(self.workdir, "ana.fifo")
        # Ana speaks through a FIFO, so mqchat runs as it does for a
        # person (no batch mode); history is on (the default), so the
        # restart replays what was said.
        ini = harness.basic_ini(self.workdir, self.broker, name="ana",
                                core={"frontends": "fifo, log"}, fifo={"path": fifo},
                                log={"plugin": plugin, "file": chat_log})

        def say(line):
            fd = os.open(fifo, os.O_WRONLY)
            os.write(fd, line.encode() + b"\n")
            os.close(fd)

        m = self.mqchat(ini, name="ana", stdin=subprocess.DEVNULL)
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        say("hola")
        self.wait_log(chat_log, "Ana: hola")
        say("/me waves")
        self.wait_log(chat_log, "* Ana waves")
        harness.publish(self.broker, "Bea ha entrado al chat")
        self.wait_log(chat_log, "* Bea joined")
        harness.publish(self.broker, "Bea: hola Ana")
        self.wait_log(chat_log, "Bea: hola Ana")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(), 0, m.err.text())

        m = self.mqchat(ini, name="ana", stdin=subprocess.DEVNULL)
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        harness.publish(self.broker, "Bea: otra vez")
        self.wait_log(chat_log, "Bea: otra vez")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(), 0, m.err.text())
        self.assertEqual(sdk_helpers.file_text(chat_log),
                         "* Ana joined\nAna: hola\n* Ana waves\n* Bea joined\n"
                         "Bea: hola Ana\n* Ana left\n"
                         "* Ana joined\nBea: otra vez\n* Ana left\n")

    def test_tutorial_plugin_check_refuses_a_bad_file(self):
        plugin = build_printed(self.workdir, "logfile", sdk_helpers.tutorial_code())
        bad = "/nonexistent/dir/chat.log"
        ini = harness.basic_ini(self.workdir, self.broker, name="ana",
                                core={"frontends": "log"},
                                log={"plugin": plugin, "file": bad})
        m = self.mqchat(ini, args=["--check-config"], stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(), EX_CONFIG, m.err.text())
        m.err.wait_for(re.escape(f"[log] file: cannot append to {bad}: "
                                 "No such file or directory"))
        self.assertFalse(os.path.lexists("/nonexistent"))

    def test_readme_hello_prints_the_room_only(self):
        plugin = build_printed(self.workdir, "hello", readme_hello_code())
        ini = harness.basic_ini(self.workdir, self.broker, name="ana",
                                core={"frontends": "stdin, hello", "history": "off"},
                                stdin={"format": "stdin| {nick}: {text}"},
                                hello={"plugin": plugin})
        m = self.mqchat(ini, name="ana")
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        harness.publish(self.broker, "Bea ha entrado al chat")
        harness.publish(self.broker, "Bea: hola")
        harness.publish(self.broker, "* Bea saluda")
        m.out.wait_for(r"Bea saluda")  # the stdin frontend's own line
        m.close_stdin()
        self.assertEqual(m.wait(), 0, m.err.text())
        # hello's lines (flushed at exit), without the stdin frontend's:
        # no status line ("connected to ..."), joins and leaves as such.
        printed = [line for line in m.out.text().splitlines()
                   if not line.startswith("stdin| ")]
        self.assertEqual(printed, ["Ana joined", "Bea joined", "Bea says hola",
                                   "* Bea saluda", "Ana left"])

    def test_every_key_documented(self):
        documented = man_keys(os.path.join(DOCS, "mqchat.ini.5"))
        declared = declared_keys(self.workdir)
        self.assertEqual(set(declared), {"core", "stdin", "fifo", "syslog", "exec", "mqtt",
                                         "irc"})
        for section, keys in declared.items():
            self.assertIn(section, documented, f"mqchat.ini(5) has no .SH [{section}]")
            self.assertEqual(documented[section], keys,
                             f"[{section}]: documented keys differ from declared ones")

    def test_every_option_documented(self):
        help_text = sdk_helpers.run([harness.MQCHAT, "--help"])
        page = sdk_helpers.file_text(os.path.join(DOCS, "mqchat.1")).replace("\\-", "-")
        for option in set(re.findall(r"--[a-z-]+", help_text)):
            self.assertIn(option, page, f"mqchat(1) does not document {option}")
        for code in ("64", "69", "75", "78"):
            self.assertRegex(page, rf"\.B {code}\n", f"mqchat(1) lacks exit status {code}")

    def test_pages_render_cleanly(self):
        for page in ("mqchat.1", "mqchat.ini.5", "mqchat-plugin.7"):
            p = subprocess.run(["man", "--warnings", "-l", "-E", "UTF-8",
                                os.path.join(DOCS, page)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={"MANWIDTH": "80", "PATH": os.environ["PATH"]},
                               timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(p.stderr.strip(), "", f"{page}: {p.stderr}")
            self.assertIn("SEE ALSO", p.stdout)


if __name__ == "__main__":
    harness.main()
