# SPDX-License-Identifier: MIT
"""Where the FIFO lives: created safely when missing, refused (exit 78,
naming the config line, the file untouched) when the path is anything but a
FIFO of ours, and left in place at exit, so that a writer coming while
mqchat is down blocks until the next run reads its line."""
import os
import re
import signal
import stat
import subprocess

import harness
from fifo_helpers import fifo_ini, start_headless, subscriber, wait_payloads

EX_CONFIG = 78
NOBODY = 65534


def wchan(pid):
    """Where in the kernel the process sleeps ("" once it is gone)."""
    try:
        with open(f"/proc/{pid}/wchan") as f:
            return f.read()
    except OSError:
        return ""


def snapshot(path):
    st = os.lstat(path)
    content = None
    if stat.S_ISREG(st.st_mode):
        with open(path, "rb") as f:
            content = f.read()
    elif stat.S_ISLNK(st.st_mode):
        content = os.readlink(path)
    return (st.st_mode, st.st_uid, st.st_ino, st.st_size, st.st_mtime_ns, content)


class FifoPaths(harness.TestCase):

    def assertRefused(self, path, why):
        ini = fifo_ini(self, path)
        before = snapshot(path)
        m = self.mqchat(ini, stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(20), EX_CONFIG, m.err.text())
        # "FILE:LINE: [fifo] path: ..." -- the INI line that sets path.
        with open(ini) as f:
            line = 1 + f.read().split("\n").index(f"path = {path}")
        m.err.wait_for(re.escape(f"{ini}:{line}: [fifo] path: "))
        err = m.err.text()
        self.assertIn(path, err)
        self.assertRegex(err, why)
        self.assertEqual(snapshot(path), before, "the refused file was changed")

    def test_regular_file_is_refused(self):
        path = os.path.join(self.workdir, "notes.txt")
        with open(path, "w") as f:
            f.write("precious\n")
        self.assertRefused(path, r"regular file, not a FIFO")

    def test_symlink_to_a_fifo_is_refused(self):
        target = os.path.join(self.workdir, "real.fifo")
        os.mkfifo(target, 0o600)
        path = os.path.join(self.workdir, "link.fifo")
        os.symlink(target, path)
        self.assertRefused(path, r"symbolic link")
        self.assertTrue(stat.S_ISFIFO(os.lstat(target).st_mode))

    def test_another_users_fifo_is_refused(self):
        path = os.path.join(self.workdir, "theirs.fifo")
        os.mkfifo(path, 0o622)
        os.chown(path, NOBODY, NOBODY)
        self.assertRefused(path, r"owned by uid 65534")

    def test_bad_values_name_their_key(self):
        path = os.path.join(self.workdir, "in.fifo")
        for key, value in (("mode", "0999"), ("mode", "0444"),
                           ("max_line", "lots"), ("max_line", "0")):
            ini = fifo_ini(self, path, fifo={key: value})
            m = self.mqchat(ini, stdin=subprocess.DEVNULL)
            self.assertEqual(m.wait(20), EX_CONFIG, m.err.text())
            m.err.wait_for(rf"{re.escape(ini)}:\d+: \[fifo\] {key}: ")
            self.assertFalse(os.path.lexists(path))

    def test_created_fifo_is_private_and_kept_at_exit(self):
        path = os.path.join(self.workdir, "made", "for", "us.fifo")
        m = start_headless(self, fifo_ini(self, path))
        self.assertIn(f"reading lines from {path} (created)", m.err.text())
        st = os.lstat(path)
        self.assertTrue(stat.S_ISFIFO(st.st_mode))
        self.assertEqual(stat.S_IMODE(st.st_mode), 0o600)
        for d in (os.path.dirname(path), os.path.dirname(os.path.dirname(path))):
            self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700, d)
        m.signal(signal.SIGINT)
        self.assertEqual(m.wait(20), 0, m.err.text())
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode), "the FIFO was removed at exit")
        self.assertEqual(os.lstat(path).st_ino, st.st_ino)

    def test_writer_while_down_blocks_and_its_line_reaches_the_next_run(self):
        sub = subscriber(self)
        path = os.path.join(self.workdir, "run", "bot.fifo")
        ini = fifo_ini(self, path)
        m = start_headless(self, ini, name="first")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(20), 0, m.err.text())
        # A script writes while the bot is down: with the FIFO in place its
        # open() waits for a reader (with it gone, it would have made a
        # regular file, lost the line, and the next start would refuse it).
        writer = subprocess.Popen(["sh", "-c", 'printf "written while down\\n" > "$0"',
                                   path])
        self.cleanups.append(writer.kill)
        harness.wait_until(lambda: writer.poll() is not None or
                           wchan(writer.pid) == "wait_for_partner",
                           what="the writer to block opening the FIFO")
        self.assertTrue(stat.S_ISFIFO(os.lstat(path).st_mode),
                        "the writer made a regular file where the FIFO was")
        m = start_headless(self, ini, name="second")
        self.assertEqual(wait_payloads(sub, 1, timeout=30), [b"Ana: written while down"])
        self.assertEqual(writer.wait(30), 0)
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(20), 0, m.err.text())

    def test_existing_fifo_is_kept_at_exit_and_mode_applied(self):
        path = os.path.join(self.workdir, "ours.fifo")
        os.mkfifo(path, 0o600)
        ino = os.lstat(path).st_ino
        m = start_headless(self, fifo_ini(self, path, fifo={"mode": "0620"}))
        self.assertEqual(stat.S_IMODE(os.lstat(path).st_mode), 0o620)
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(20), 0, m.err.text())
        self.assertEqual(os.lstat(path).st_ino, ino, "a FIFO it did not create was removed")

    def test_default_path_is_in_the_runtime_dir(self):
        m = start_headless(self, fifo_ini(self))
        expected = os.path.join(m.env["XDG_RUNTIME_DIR"], "mqchat", "in.fifo")
        self.assertIn(f"reading lines from {expected}", m.err.text())
        self.assertTrue(stat.S_ISFIFO(os.lstat(expected).st_mode))
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(20), 0, m.err.text())

    def test_default_path_without_runtime_dir(self):
        expected = f"/tmp/mqchat-{os.geteuid()}/in.fifo"
        fresh_dir = not os.path.lexists(os.path.dirname(expected))
        m = start_headless(self, fifo_ini(self), env={"XDG_RUNTIME_DIR": ""})
        self.assertIn(f"reading lines from {expected}", m.err.text())
        if fresh_dir:
            self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(expected)).st_mode), 0o700)
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(20), 0, m.err.text())


if __name__ == "__main__":
    harness.main()
