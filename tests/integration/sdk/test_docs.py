# SPDX-License-Identifier: MIT
"""The manual pages stay true: every key a plugin or the core declares is in
mqchat.ini(5) (and nothing that does not exist), every option of --help is in
mqchat(1), and the exit codes of PRODUCT's table are there."""
import os
import re
import subprocess

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
    """{section: {key, ...}} from --check-config with every frontend."""
    ini = harness.write_ini(os.path.join(workdir, "all.ini"), {
        "core": {"frontends": "stdin fifo syslog exec"},
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


class Docs(harness.TestCase):

    def test_every_key_documented(self):
        documented = man_keys(os.path.join(DOCS, "mqchat.ini.5"))
        declared = declared_keys(self.workdir)
        self.assertEqual(set(declared), {"core", "stdin", "fifo", "syslog", "exec", "mqtt"})
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
