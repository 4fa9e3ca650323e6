# SPDX-License-Identifier: MIT
"""The loader's refusals, as a user meets them: each bad plugin named in an
INI file makes mqchat exit with the right code and a message that names the
file, the INI line and what to do next."""
import os
import subprocess

import harness
import sdk_helpers

EX_UNAVAILABLE = 69
EX_CONFIG = 78


class Refusals(harness.TestCase):

    def run_mqchat(self, ini, *args):
        m = self.mqchat(ini, args=args, stdin=subprocess.DEVNULL)
        code = m.wait(harness.DEFAULT_TIMEOUT * 3)
        harness.wait_until(lambda: m.err.closed, what="mqchat's stderr to close")
        err = m.err.text()
        if os.environ.get("SDK_SHOW_STDERR"):
            print(f"\n--- exit {code}\n{err}", end="")
        return code, err

    def refused(self, plugin_path, *expected):
        """Runs with `plugin_path` as the only frontend; checks exit 78 and
        that stderr names the INI line, the plugin and each of `expected`."""
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, plugin_path)
        code, err = self.run_mqchat(ini)
        self.assertEqual(code, EX_CONFIG, err)
        self.assertIn(f"{ini}:", err)            # which file (and line) named it
        self.assertIn(f"{plugin_path}:", err)    # which plugin
        for text in expected:
            self.assertIn(text, err)
        return err

    def test_not_a_shared_object(self):
        path = os.path.join(self.workdir, "notes.so")
        with open(path, "w") as f:
            f.write("not a plugin, just text\n")
        self.refused(path, "cannot load the plugin", "ldd " + path)

    def test_missing_file(self):
        path = os.path.join(self.workdir, "nowhere.so")
        self.refused(path, "cannot find the plugin", "No such file or directory")

    def test_missing_entry_symbol(self):
        path = sdk_helpers.compile_fixture(self.workdir, "nosym", "FIXTURE_NO_SYMBOL")
        self.refused(path, "not an mqchat plugin", "mqchat_plugin_v1",
                     "MQC_PLUGIN_DEFINE")

    def test_wrong_major_symbol(self):
        # Built against a header of ABI 2: exports mqchat_plugin_v2.
        path = sdk_helpers.compile_fixture(self.workdir, "major2", "FIXTURE_SYMBOL_V2")
        self.refused(path, "built for plugin ABI 2", "this mqchat has ABI 1.", "rebuild")

    def test_wrong_major_in_descriptor(self):
        path = sdk_helpers.compile_fixture(self.workdir, "desc2", "FIXTURE_DESCRIPTOR_MAJOR")
        self.refused(path, "built for plugin ABI 2.0", "this mqchat has ABI 1.",
                     "rebuild the plugin")

    def test_newer_minor_refused(self):
        path = sdk_helpers.compile_fixture(self.workdir, "newer", "FIXTURE_NEWER_MINOR")
        self.refused(path, "built for plugin ABI 1.", "upgrade mqchat or rebuild the plugin")

    def test_descriptor_too_short(self):
        path = sdk_helpers.compile_fixture(self.workdir, "short", "FIXTURE_SHORT")
        self.refused(path, "too short", "rebuild the plugin")

    def test_missing_mandatory_method(self):
        path = sdk_helpers.compile_fixture(self.workdir, "nodeliver", "FIXTURE_NO_DELIVER")
        self.refused(path, "lacks the mandatory method 'deliver'")

    def test_same_minor_accepted(self):
        # The reference: the well-formed fixture loads and is listed.
        path = sdk_helpers.compile_fixture(self.workdir, "good")
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, path)
        code, err = self.run_mqchat(ini, "--check-config")
        self.assertEqual(code, 0, err)

    def test_open_fails_with_config_error(self):
        path = sdk_helpers.compile_fixture(self.workdir, "good")
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, path, fail="config")
        code, err = self.run_mqchat(ini)
        self.assertEqual(code, EX_CONFIG, err)
        # FILE:LINE: [section] key: message
        self.assertRegex(err, rf"{ini}:\d+: \[fx\] fail: the fixture was told to refuse")

    def test_open_fails_without_config_error(self):
        path = sdk_helpers.compile_fixture(self.workdir, "good")
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, path, fail="log")
        code, err = self.run_mqchat(ini)
        self.assertEqual(code, EX_UNAVAILABLE, err)
        self.assertIn("fx: error: cannot reach the fixture's device", err)
        self.assertIn(f"could not start (plugin {path})", err)

    def test_list_plugins_shows_refusals(self):
        plugdir = os.path.join(self.workdir, "plugins")
        os.mkdir(plugdir, 0o755)
        sdk_helpers.compile_fixture(plugdir, "good")
        sdk_helpers.compile_fixture(plugdir, "major2", "FIXTURE_SYMBOL_V2")
        m = self.mqchat(None, args=["-o", f"core.plugin_dir={plugdir}", "--list-plugins"],
                        stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(), 0, m.err.text())
        m.out.wait_for(rf"^fixture\s+frontend\s+0\.1\s+1\.\d+\s+{plugdir}/good\.so")
        m.out.wait_for(rf"^major2\.so .*{plugdir}/major2\.so")
        m.out.wait_for(r"refused: .*built for plugin ABI 2")


if __name__ == "__main__":
    harness.main()
