# SPDX-License-Identifier: MIT
"""A history file mqchat cannot write is reported as such, with its path
and what to do, not as "history is off" (issue 20, item 14): at start, to
/history on the terminal, and to --history."""
import os
import shutil
import subprocess

import harness
from history_helpers import SLOW, batch_ini, on_pty, wait_connected


class ReadOnlyHistoryTest(harness.TestCase):
    def setUp(self):
        super().setUp()
        self.ini = batch_ini(self, "Ana", core={"announce": "off"})
        self.env = harness.isolated_env(os.path.join(self.workdir, "Ana"))
        self.env["TERM"] = "xterm"
        self.db = os.path.join(self.env["XDG_STATE_HOME"], "mqchat", "history.db")
        m = self.mqchat(self.ini, name="Ana")  # makes the file
        wait_connected(m)
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def read_only(self, *argv):
        """`argv` run with the history file read-only: under root (whom
        permissions do not stop) through a read-only bind mount in a mount
        namespace of its own, else by its mode."""
        if os.geteuid() != 0:
            os.chmod(self.db, 0o400)
            return list(argv)
        if not shutil.which("unshare"):
            self.skipTest("needs unshare(1) as root")
        return ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
                self.db] + list(argv)

    def assert_explained(self, said):
        self.assertIn(self.db, said)
        self.assertRegex(said, r"Read-only file system|Permission denied")
        self.assertIn("history to another path", said)
        self.assertNotIn("history is off", said)

    def test_history_command_line(self):
        run = subprocess.run(self.read_only(harness.MQCHAT, "-c", self.ini, "--history", "5"),
                             env=self.env, capture_output=True, timeout=SLOW)
        self.assertNotEqual(run.returncode, 0)
        self.assert_explained(run.stderr.decode())

    def test_history_on_the_terminal(self):
        out = on_pty(self.read_only(harness.MQCHAT, "-c", self.ini), self.env,
                     [(b"-- connected", b"/history 3\r"),
                      (b"start mqchat again)", b"/quit\r")]).decode("utf-8", "replace")
        self.assertIn("going on without history", out)  # stderr, on the terminal
        said = out[out.index("history is unavailable"):]
        self.assert_explained(said)


if __name__ == "__main__":
    harness.main()
