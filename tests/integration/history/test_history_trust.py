# SPDX-License-Identifier: MIT
"""A database file another local user can change is never used: history
and outbox files (and the -wal/-shm SQLite keeps beside them) owned by
someone else or writable by others, or in a directory others may change,
are refused with a message naming the file, its owner or mode and what to
do, and left untouched.  A history path set in the configuration that is
refused stops mqchat (exit 78); our own private file works.

Playing a second user (uid 65534) needs root, as CI runs: without it these
tests fail, saying so, rather than skip."""
import os
import re
import subprocess

import harness
from history_helpers import SLOW, batch_ini

EX_CONFIG = 78
NOBODY = 65534
NOGROUP = 65534  # a group others share: root's own group would be trusted


def group_for(owner, mode):
    """The group a test file gets: a shared one when it is group-writable."""
    return NOGROUP if mode & 0o020 else owner


def snapshot(path):
    st = os.lstat(path)
    with open(path, "rb") as f:
        return (st.st_mode, st.st_uid, st.st_size, st.st_mtime_ns, f.read())


class HistoryTrustTest(harness.TestCase):

    def setUp(self):
        super().setUp()
        if os.geteuid() != 0:
            self.fail("playing another local user (uid 65534) needs root: run these "
                      "tests as root, as CI does")

    def history_file(self, directory=None, owner=0, mode=0o600):
        """A real history database (written by mqchat itself), then given
        to `owner` with `mode`, as another user would leave it."""
        path = os.path.join(directory or self.workdir, "history.db")
        self.say(path, "written while it was ours")
        os.chown(path, owner, group_for(owner, mode))
        os.chmod(path, mode)
        return path

    def say(self, db, text):
        ini = batch_ini(self, "Ana", core={"announce": "off", "history": db})
        m = self.mqchat(ini, name="Ana")
        m.send(text)
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def assertRefused(self, db, *expected):
        """Both a chat and `--history` stop with 78, naming the INI line,
        the file and each of `expected`; the file is left as it was."""
        before = snapshot(db)
        ini = batch_ini(self, "Ana", core={"announce": "off", "history": db})
        with open(ini) as f:
            line = 1 + f.read().split("\n").index(f"history = {db}")
        for args in ([], ["--history", "10"]):
            m = self.mqchat(ini, args=args, stdin=subprocess.DEVNULL, name="Ana")
            self.assertEqual(m.wait(SLOW), EX_CONFIG, m.err.text())
            err = m.err.text()
            self.assertIn(f"{ini}:{line}: [core] history: history {db}: refusing the file: ",
                          err)
            for text in expected:
                self.assertIn(text, err)
            self.assertNotIn("written while it was ours", m.out.text())
        self.assertEqual(snapshot(db), before, "the refused file was changed")

    def test_another_users_file_is_refused(self):
        db = self.history_file(owner=NOBODY, mode=0o666)
        self.assertRefused(db, f"owned by another user (uid {NOBODY}, mode 0666)",
                           "use a file of your own")

    def test_own_file_others_may_write_is_refused(self):
        for mode in (0o666, 0o620):
            db = self.history_file(mode=mode)
            self.assertRefused(db, f"others may write it (mode {mode:04o}): chmod go-w {db}")
            os.unlink(db)

    def test_directory_others_may_write_is_refused(self):
        shared = os.path.join(self.workdir, "shared")
        os.mkdir(shared)
        db = self.history_file(shared)
        os.chmod(shared, 0o777)
        self.assertRefused(db, f"{shared}, a directory on its path, may be written by "
                               f"others (mode 0777)", f"chmod go-w {shared}")

    def test_directory_of_another_user_is_refused(self):
        theirs = os.path.join(self.workdir, "theirs")
        os.mkdir(theirs, 0o755)
        db = self.history_file(theirs)
        os.chown(theirs, NOBODY, NOBODY)
        self.assertRefused(db, f"{theirs}, a directory on its path, belongs to another "
                               f"user (uid {NOBODY})")

    def test_another_users_companion_file_is_refused(self):
        db = self.history_file()
        for suffix in ("-wal", "-shm"):
            companion = db + suffix
            with open(companion, "wb"):
                pass
            os.chown(companion, NOBODY, NOBODY)
            self.assertRefused(db, f"its companion {companion}: owned by another user "
                                   f"(uid {NOBODY}")
            os.unlink(companion)

    def test_another_users_link_to_the_file_is_refused(self):
        db = self.history_file()
        shared = os.path.join(self.workdir, "shared")
        os.mkdir(shared, 0o1777)
        os.chmod(shared, 0o1777)
        link = os.path.join(shared, "history.db")
        os.symlink(db, link)
        os.chown(link, NOBODY, NOBODY, follow_symlinks=False)
        self.assertRefused(link, f"{link} is a symbolic link owned by another user")

    def test_own_private_file_works(self):
        db = self.history_file()  # 0600, ours, in our 0700 directory
        self.say(db, "and still ours")
        m = self.mqchat(batch_ini(self, "Ana", core={"history": db}),
                        args=["--history", "10"], name="reader")
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        for text in ("written while it was ours", "and still ours"):
            self.assertIn(f"Ana: {text}", m.out.text())

    def test_another_users_outbox_is_refused_and_chat_goes_on(self):
        # Without history the outbox has its own file in the state directory.
        ini = batch_ini(self, "Ana", core={"announce": "off", "history": "off"})
        home = os.path.join(self.workdir, "Ana")
        state = os.path.join(home, "state", "mqchat")
        os.makedirs(state, 0o700)
        outbox = os.path.join(state, "outbox.db")
        with open(outbox, "wb"):
            pass
        os.chown(outbox, NOBODY, NOBODY)
        sub = self.subscriber()
        m = self.mqchat(ini, name="Ana")
        m.send("sent all the same")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        sub.out.wait_for(r"^Ana: sent all the same$")
        self.assertRegex(m.err.text(), re.escape(f"outbox {outbox}: refusing the file: ")
                         + rf"owned by another user \(uid {NOBODY}, .*going on without "
                         + "an outbox")
        self.assertEqual(os.path.getsize(outbox), 0)


if __name__ == "__main__":
    harness.main()
