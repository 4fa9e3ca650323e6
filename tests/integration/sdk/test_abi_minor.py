# SPDX-License-Identifier: MIT
"""ABI minors, simulated honestly.

This test makes the next minor, 1.(N+1), from today's 1.N: a copy of
<mqchat/plugin.h> where MQC_ABI_MINOR is one more and a member is appended
to struct mqc_plugin and to struct mqc_host, exactly as the ABI rules
allow.  The core is compiled against that header, and then:
  - plugins built against the real 1.N header (the fixture, and the built
    mqtt backend) load into it, and a message goes through a real broker;
  - a plugin built against the 1.(N+1) header is refused by the real 1.N
    mqchat, asking for an upgrade.
"""
import glob
import json
import os
import re
import shutil
import subprocess

import harness
import sdk_helpers


def next_minor_header(dest_root):
    """Writes <dest_root>/mqchat/plugin.h: ABI 1.(N+1), one member appended to
    each growing struct, and beside it the other headers as they are (inline
    helpers: no ABI of their own).  Returns the new minor."""
    with open(os.path.join(sdk_helpers.INCLUDE_DIR, "mqchat", "plugin.h")) as f:
        text = f.read()
    m = re.search(r"#define MQC_ABI_MINOR (\d+)", text)
    assert m, "plugin.h: no MQC_ABI_MINOR"
    minor = int(m.group(1)) + 1
    text = text.replace(m.group(0), f"#define MQC_ABI_MINOR {minor}")
    for struct, member in [("struct mqc_plugin {", "\tvoid (*appended_in_test)(void *self);\n"),
                           ("struct mqc_host {",
                            "\tvoid (*appended_in_test)(struct mqc_instance *inst);\n")]:
        start = text.index(struct)
        end = text.index("\n};", start)
        text = text[:end + 1] + member + text[end + 1:]
    os.makedirs(os.path.join(dest_root, "mqchat"))
    with open(os.path.join(dest_root, "mqchat", "plugin.h"), "w") as f:
        f.write(text)
    for helper in glob.glob(os.path.join(sdk_helpers.INCLUDE_DIR, "mqchat", "*.h")):
        if os.path.basename(helper) != "plugin.h":
            shutil.copy(helper, os.path.join(dest_root, "mqchat"))
    return minor


def pkg_libs(*names):
    flags = []
    for name in names:
        p = subprocess.run(["pkg-config", "--cflags", "--libs", name],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if p.returncode == 0:
            flags += p.stdout.split()
    return flags


def sanitizer_flags():
    """The build's own -fsanitize flags: sanitized plugins load only into a
    sanitized executable."""
    info = os.path.join(harness.BUILD_DIR, "meson-info", "intro-buildoptions.json")
    with open(info) as f:
        options = {o["name"]: o["value"] for o in json.load(f)}
    wanted = [s for s in options.get("b_sanitize", "none").split(",") if s != "none"]
    return ["-fsanitize=" + ",".join(wanted)] if wanted else []


def build_core(workdir, include_root, plugin_dir):
    """The core and main.c, with the helpers of common/, compiled against
    `include_root` as the only public headers."""
    common = os.path.join(sdk_helpers.SOURCE_ROOT, "common")
    sources = sorted(glob.glob(os.path.join(sdk_helpers.SOURCE_ROOT, "core", "*.c")) +
                     glob.glob(os.path.join(common, "*.c")))
    exe = os.path.join(workdir, "mqchat-next-minor")
    sdk_helpers.run(["cc", "-std=c17", "-O0", "-w", "-D_GNU_SOURCE", *sanitizer_flags(),
                     '-DMQC_VERSION="next-minor-test"', f'-DMQC_PLUGINDIR="{plugin_dir}"',
                     "-I" + include_root, "-I" + common, *sources, "-o", exe,
                     *pkg_libs("inih", "sqlite3", "jansson"), "-ldl", "-lm"])
    return exe


class AbiMinor(harness.TestCase):

    def setUp(self):
        super().setUp()
        self.next_include = os.path.join(self.workdir, "include-next")
        self.minor = next_minor_header(self.next_include)

    def test_older_minor_plugins_load_in_a_newer_core(self):
        built_plugins = os.path.join(harness.BUILD_DIR, "plugins")
        core = build_core(self.workdir, self.next_include, built_plugins)
        version = sdk_helpers.run([core, "--version"])
        self.assertIn(f"plugin ABI 1.{self.minor}", version)

        # Built against the real header: ABI 1.(minor-1), a shorter descriptor.
        fixture = sdk_helpers.compile_fixture(self.workdir, "older")
        received = os.path.join(self.workdir, "received.txt")
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, fixture, file=received)

        listing = sdk_helpers.run([core, "-o", f"core.plugin_dir={built_plugins}",
                                   "--list-plugins"], env=harness.isolated_env(self.workdir))
        self.assertRegex(listing, rf"mqtt\s+backend\s+\S+\s+1\.{self.minor - 1}\s")

        m = NextCore(self.workdir, ini, core)
        self.cleanups.append(m.stop)
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        harness.publish(self.broker, "Bob: hola from an older plugin's world")
        harness.wait_until(lambda: "Bob: hola from an older plugin's world"
                           in sdk_helpers.file_text(received),
                           what="the older fixture to receive the message")
        m.signal(15)
        self.assertEqual(m.wait(), 0, m.err.text())

    def test_keys_of_a_1_1_plugin_keep_their_place(self):
        # Built as against ABI 1.1: struct mqc_key had four members then,
        # so its key array has a shorter stride than today's.  Its third
        # key is found only if the core reads the array with that stride.
        old = sdk_helpers.compile_fixture(self.workdir, "abi11", "FIXTURE_ABI_1_1")
        received = os.path.join(self.workdir, "received.txt")
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, old, file=received,
                                      tag="tagged:")
        shown = sdk_helpers.run([harness.MQCHAT, "-c", ini, "--check-config"],
                                env=harness.isolated_env(self.workdir))
        self.assertRegex(shown, r"\nfail = none +; built-in default\n")
        self.assertRegex(shown, rf"\ntag = tagged: +; {re.escape(ini)}:\d+\n")

        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        m.err.wait_for(r"connected to 127\.0\.0\.1")
        harness.publish(self.broker, "Bob: hola from ABI 1.1")
        harness.wait_until(lambda: "Bob: hola from ABI 1.1" in sdk_helpers.file_text(received),
                           what="the 1.1 fixture to receive the message")
        m.signal(15)
        self.assertEqual(m.wait(), 0, m.err.text())
        # Its open() wrote the tag first: host->config() found the third key.
        self.assertTrue(sdk_helpers.file_text(received).startswith("tagged:"))

        # A key it does not declare is refused, naming the ones it does.
        bad = sdk_helpers.fixture_ini(self.workdir, self.broker, old, colour="on")
        p = subprocess.run([harness.MQCHAT, "-c", bad, "--check-config"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=harness.isolated_env(self.workdir))
        self.assertEqual(p.returncode, 78, p.stderr)
        self.assertIn("unknown key 'colour' in [fx] (known keys: file, fail, tag)", p.stderr)

    def test_newer_minor_plugin_refused_by_this_core(self):
        newer = sdk_helpers.compile_fixture(self.workdir, "newer", include_dir=self.next_include)
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, newer)
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(), 78, m.err.text())
        harness.wait_until(lambda: m.err.closed)
        self.assertIn(f"{newer}: built for plugin ABI 1.{self.minor}, this mqchat has "
                      f"ABI 1.{self.minor - 1}: upgrade mqchat or rebuild the plugin",
                      m.err.text())


class NextCore(harness.Mqchat):
    """harness.Mqchat, running another binary."""

    def __init__(self, workdir, ini, binary):
        saved = harness.MQCHAT
        harness.MQCHAT = binary
        try:
            super().__init__(workdir, ini, stdin=subprocess.DEVNULL, name="next-core")
        finally:
            harness.MQCHAT = saved


if __name__ == "__main__":
    harness.main()
