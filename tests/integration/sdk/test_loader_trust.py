# SPDX-License-Identifier: MIT
"""The loader runs only code nobody else can change, and loads exactly the
file it checked.  Another local user (uid 65534 here) owns a symbolic link,
a plugin or a directory on the way: mqchat refuses, naming what and what to
do, before any of that code runs (the marker plugin's constructor would
leave a file).  Swapping a link between the check and the load never wins.

Playing a second user needs root (CI runs as root): without it these tests
fail, saying so, rather than skip."""
import os
import subprocess

import harness
import sdk_helpers

EX_CONFIG = 78
NOBODY = 65534
NOGROUP = 65534  # a group others share: root's own group would be trusted


def group_for(owner, mode):
    """The group a test file gets: a shared one when it is group-writable."""
    return NOGROUP if mode & 0o020 else owner
STARTS = 200  # the loader before the fix ran the attacker's code within 5-146 (7 tries)
MARKER_SOURCE = os.path.join(sdk_helpers.HERE, "marker_plugin.c")
SWAPPER_SOURCE = os.path.join(sdk_helpers.HERE, "link_swapper.c")


class LoaderTrust(harness.TestCase):

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.fail("playing another local user (uid 65534) needs root: run these "
                      "tests as root, as CI does")
        os.chmod(self.workdir, 0o711)  # the other user may pass through, not list
        self.marker = os.path.join(self.workdir, "marker")

    def marker_plugin(self, directory, name="marker", owner=0, mode=0o755):
        """A .so whose constructor leaves self.marker."""
        out = os.path.join(directory, name + ".so")
        sdk_helpers.compile_plugin([MARKER_SOURCE], out, [f'-DMARKER="{self.marker}"'])
        os.chown(out, owner, group_for(owner, mode))
        os.chmod(out, mode)
        return out

    def directory(self, name, owner=0, mode=0o755):
        path = os.path.join(self.workdir, name)
        os.mkdir(path)
        os.chown(path, owner, group_for(owner, mode))
        os.chmod(path, mode)  # after chown, which clears no bits of a directory
        return path

    def run_mqchat(self, ini, *args):
        m = self.mqchat(ini, args=args, stdin=subprocess.DEVNULL)
        code = m.wait(harness.DEFAULT_TIMEOUT * 3)
        return code, m.out.text(), m.err.text()

    def check_config(self, plugin_path):
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, plugin_path)
        return self.run_mqchat(ini, "--check-config")

    def assertRefused(self, plugin_path, *expected):
        code, _, err = self.check_config(plugin_path)
        self.assertFalse(os.path.exists(self.marker), "the refused plugin's code ran")
        self.assertEqual(code, EX_CONFIG, err)
        self.assertIn(f"{plugin_path}: refusing the plugin: ", err)
        for text in expected:
            self.assertIn(text, err)

    def assertAccepted(self, plugin_path):
        code, _, err = self.check_config(plugin_path)
        self.assertEqual(code, 0, err)

    # --- the race ------------------------------------------------------------

    def test_swapped_symlink_never_wins(self):
        good = sdk_helpers.compile_fixture(self.workdir, "good")  # root's, a real plugin
        theirs = self.directory("theirs", owner=NOBODY)
        evil = self.marker_plugin(theirs, "evil", owner=NOBODY)
        shared = self.directory("shared", mode=0o1777)  # like /tmp
        link = os.path.join(shared, "plugin.so")
        spare = os.path.join(shared, "plugin.spare")
        for path, target in ((link, good), (spare, evil)):
            os.symlink(target, path)
            os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        swapper = os.path.join(theirs, "link_swapper")
        sdk_helpers.run(["cc", "-std=c17", "-O2", "-Wall", "-Werror", SWAPPER_SOURCE,
                         "-o", swapper])
        flipper = subprocess.Popen([swapper, link, spare], user=NOBODY, group=NOBODY,
                                   extra_groups=[], stdin=subprocess.DEVNULL)
        self.cleanups.append(lambda: (flipper.kill(), flipper.wait()))
        ini = sdk_helpers.fixture_ini(self.workdir, self.broker, link)
        why = f"{link} is a symbolic link owned by another user (uid {NOBODY})"
        outcomes = []
        for start in range(STARTS):
            if start % 2:
                code, out, err = self.run_mqchat(None, "-o", f"core.plugin_dir={shared}",
                                                 "--list-plugins")
                outcomes.append((code == 0 and "refused: " in out and why in out, out + err))
            else:
                code, out, err = self.run_mqchat(ini, "--check-config")
                outcomes.append((code == EX_CONFIG and why in err, err))
            self.assertFalse(os.path.exists(self.marker),
                             f"the other user's code ran at start {start + 1}")
        self.assertIsNone(flipper.poll(), "the attacker stopped swapping")
        for ok, text in outcomes:
            self.assertTrue(ok, f"not refused as the other user's link:\n{text}")

    # --- what is refused before any plugin code runs ---------------------------

    def test_another_users_symlink_is_refused(self):
        ours = self.marker_plugin(self.workdir)  # would load, but for the link
        shared = self.directory("shared", mode=0o1777)
        link = os.path.join(shared, "plugin.so")
        os.symlink(ours, link)
        os.chown(link, NOBODY, NOBODY, follow_symlinks=False)
        self.assertRefused(link, f"{link} is a symbolic link owned by another user "
                                 f"(uid {NOBODY})", "name the file itself")

    def test_another_users_link_to_a_directory_is_refused(self):
        plugins = self.directory("plugins")
        self.marker_plugin(plugins)
        shared = self.directory("shared", mode=0o1777)
        link = os.path.join(shared, "dir")
        os.symlink(plugins, link)
        os.chown(link, NOBODY, NOBODY, follow_symlinks=False)
        self.assertRefused(os.path.join(link, "marker.so"),
                           f"{link} is a symbolic link owned by another user")

    def test_own_symlink_is_followed(self):
        good = sdk_helpers.compile_fixture(self.workdir, "good")
        shared = self.directory("shared", mode=0o1777)
        link = os.path.join(shared, "plugin.so")
        os.symlink(good, link)
        self.assertAccepted(link)

    def test_another_users_plugin_is_refused(self):
        path = self.marker_plugin(self.workdir, owner=NOBODY)
        self.assertRefused(path, f"owned by another user (uid {NOBODY}, mode 0755)")

    def test_plugin_others_may_write_is_refused(self):
        for mode in (0o775, 0o757):
            path = self.marker_plugin(self.workdir, f"m{mode:o}", mode=mode)
            self.assertRefused(path, f"others may write it (mode {mode:04o}): "
                                     f"chmod go-w {path}")

    def test_directory_of_another_user_is_refused(self):
        theirs = self.directory("theirs", owner=NOBODY)
        path = self.marker_plugin(theirs)
        self.assertRefused(path, f"{theirs}, a directory on its path, belongs to another "
                                 f"user (uid {NOBODY})")

    def test_directory_others_may_write_is_refused_unless_sticky(self):
        for mode in (0o777, 0o775):
            open_dir = self.directory(f"d{mode:o}", mode=mode)
            path = self.marker_plugin(open_dir)
            self.assertRefused(path, f"{open_dir}, a directory on its path, may be written "
                                     f"by others (mode {mode:04o})", f"chmod go-w {open_dir}")
        sticky = self.directory("sticky", mode=0o1777)
        self.assertAccepted(sdk_helpers.compile_fixture(sticky, "good"))

    def test_umask_002_in_a_group_of_ones_own_is_trusted(self):
        # Debian's user private groups: a build made with umask 002 leaves
        # root:root 0775, and root's group has no other member.
        own = self.directory("own-group", mode=0o775)
        os.chown(own, 0, 0)
        os.chmod(own, 0o775)
        plugin = sdk_helpers.compile_fixture(own, "good")
        os.chown(plugin, 0, 0)
        os.chmod(plugin, 0o775)
        self.assertAccepted(plugin)

    def test_not_a_regular_file_is_refused(self):
        plugdir = self.directory("plugin.so")
        self.assertRefused(plugdir, "not a regular file (a directory)")

    def test_each_plugin_is_its_own_file(self):
        # Loaded as /proc/self/fd/N: a descriptor number used again must
        # never hand a later file the object loaded before it.
        plugdir = self.directory("plugins")
        sdk_helpers.compile_fixture(plugdir, "a_good")
        sdk_helpers.compile_fixture(plugdir, "b_nosym", "FIXTURE_NO_SYMBOL")
        sdk_helpers.compile_fixture(plugdir, "c_major2", "FIXTURE_SYMBOL_V2")
        sdk_helpers.compile_fixture(plugdir, "d_good")
        code, out, err = self.run_mqchat(None, "-o", f"core.plugin_dir={plugdir}",
                                         "--list-plugins")
        self.assertEqual(code, 0, err)
        for name in ("a_good", "d_good"):
            self.assertRegex(out, rf"(?m)^fixture\s+frontend\s.*{plugdir}/{name}\.so$")
        for name, why in (("b_nosym", "not an mqchat plugin"),
                          ("c_major2", "built for plugin ABI 2")):
            self.assertRegex(out, rf"(?m)^{name}\.so .*{plugdir}/{name}\.so\n\s+refused: .*{why}")


if __name__ == "__main__":
    harness.main()
