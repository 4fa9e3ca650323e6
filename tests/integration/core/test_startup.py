# SPDX-License-Identifier: MIT
"""What a run meets before it chats, against a real broker: standard
descriptors closed by the caller, a state filesystem that is full, a
state directory that cannot be made or an identity file that holds none
(exit 73), the mosquitto-style command line (-h -p -t, a URL), and a plugin path relative
to the configuration file."""
import os
import shutil
import subprocess

import harness

SLOW = 3 * harness.DEFAULT_TIMEOUT  # two cores shared by several test runs
JOIN, LEAVE = b"Ana ha entrado al chat", b"Ana ha salido del chat"


class StartupTest(harness.TestCase):

    def run_batch(self, argv, stdin=b"", env=None, shell_redirect=""):
        """mqchat in batch mode, started by sh with `shell_redirect` (e.g.
        "<&-") applied; returns the finished process."""
        env = env or harness.isolated_env(os.path.join(self.workdir, "home"))
        cmd = ["sh", "-c", f'exec "$0" "$@" {shell_redirect}', harness.MQCHAT, *argv]
        try:
            return subprocess.run(cmd, input=stdin, capture_output=True, env=env,
                                  timeout=SLOW)
        except subprocess.TimeoutExpired as e:
            self.fail(f"mqchat did not end within {SLOW}s (stderr: {e.stderr!r})")

    def sync(self, sub):
        """Everything published before now has reached `sub`."""
        harness.publish(self.broker, "sync: marker")
        sub.out.wait_for(rb"^sync: marker$", timeout=SLOW)
        return [p for p in sub.payloads() if p != b"sync: marker"]

    def said(self, sub):
        """What reached `sub`, but for the join and leave announcements."""
        return [p for p in self.sync(sub) if p not in (JOIN, LEAVE)]

    # --- descriptors 0, 1 and 2 closed ----------------------------------

    def test_closed_stdin_ends_batch_mode_and_sends_nothing(self):
        # Unfixed, the signal descriptor became fd 0 and was read as input:
        # the run never ended.
        sub = self.subscriber()
        ini = harness.basic_ini(self.workdir, self.broker, core={"history": "off"})
        r = self.run_batch(["-c", ini], shell_redirect="<&-")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        # Joining and leaving may be skipped when it quits before the link
        # is up; nothing else may be sent.
        self.assertEqual(self.said(sub), [])

    def test_closed_stdout_or_stderr_sends_only_what_was_said(self):
        for fd in (1, 2):
            with self.subTest(closed=fd):
                sub = self.subscriber()
                ini = harness.basic_ini(self.workdir, self.broker, core={"history": "off"})
                r = self.run_batch(["-c", ini], stdin=b"hola\n", shell_redirect=f"{fd}>&-")
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                self.assertEqual(self.said(sub), [b"Ana: hola"])
                sub.stop()

    # --- a full state filesystem ----------------------------------------

    def test_full_state_filesystem_degrades_to_an_identity_for_this_run(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a private tmpfs")
        home = os.path.join(self.workdir, "home")
        env = harness.isolated_env(home)
        state = env["XDG_STATE_HOME"]
        os.makedirs(state)
        # A tiny tmpfs over the state directory, filled to the last byte,
        # in a mount namespace of mqchat's own.
        script = r'''
set -e
state=$1; shift
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$state"
mkdir "$state/mqchat"
dd if=/dev/zero of="$state/filler" bs=4k 2>/dev/null || true
exec "$@"
'''
        sub = self.subscriber()
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"history": "off", "outbox_max": "0"})
        r = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
             "sh", state, harness.MQCHAT, "-c", ini],
            input=b"hola\n", capture_output=True, env=env, timeout=SLOW)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 0, err)
        self.assertIn("cannot write the identity", err)
        self.assertIn("for this run only", err)
        self.assertEqual(err.count("for this run only"), 1, "said once: " + err)
        self.assertEqual(self.said(sub), [b"Ana: hola"])

    # --- mosquitto's habits ---------------------------------------------

    def test_host_port_topic_options_reach_the_broker(self):
        sub = self.subscriber(topic="sala/uno")
        # The file names a port where nothing listens: the options win.
        ini = harness.basic_ini(self.workdir, self.broker, core={"history": "off"},
                                mqtt={"port": harness.free_port()})
        r = self.run_batch(["-c", ini, "-h", "127.0.0.1", "-p", str(self.broker.port),
                            "-t", "sala/uno", "-q", "2"], stdin=b"por opciones\n")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"Ana: por opciones", self.sync_topic(sub, "sala/uno"))

    def test_url_names_broker_and_room(self):
        sub = self.subscriber(topic="sala/dos")
        ini = harness.basic_ini(self.workdir, self.broker, core={"history": "off"},
                                mqtt={"port": harness.free_port()})
        url = f"mqtt://127.0.0.1:{self.broker.port}/sala/dos"
        r = self.run_batch(["-c", ini, url], stdin=b"por URL\n")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"Ana: por URL", self.sync_topic(sub, "sala/dos"))

    def sync_topic(self, sub, topic):
        harness.publish(self.broker, "sync: marker", topic=topic)
        sub.out.wait_for(rb"^sync: marker$", timeout=SLOW)
        return sub.payloads()

    # --- exit 73 (EX_CANTCREAT) -------------------------------------------

    def test_a_state_directory_that_cannot_be_made_exits_73(self):
        home = os.path.join(self.workdir, "home")
        env = harness.isolated_env(home)
        # A regular file where the state directory's parent should be:
        # mkdir fails for root too (ENOTDIR).
        with open(os.path.join(home, "state"), "w") as f:
            f.write("not a directory\n")
        sub = self.subscriber()
        r = self.run_batch(["-h", "127.0.0.1", "-p", str(self.broker.port)],
                           stdin=b"never sent\n", env=env)
        self.assertEqual(r.returncode, 73, r.stderr.decode())
        state = os.path.join(home, "state", "mqchat")
        self.assertIn(f"{state}: cannot create the state directory".encode(), r.stderr)
        self.assertEqual([p for p in self.sync(sub) if b"never sent" in p], [])

    def test_an_identity_file_without_an_identity_exits_73(self):
        home = os.path.join(self.workdir, "home")
        env = harness.isolated_env(home)
        state = os.path.join(home, "state", "mqchat")
        os.makedirs(state, mode=0o700)
        identity = os.path.join(state, "identity")
        with open(identity, "w") as f:
            f.write("\x1b]0;pwned\x07 not hex\n")
        sub = self.subscriber()
        r = self.run_batch(["-h", "127.0.0.1", "-p", str(self.broker.port)],
                           stdin=b"never sent\n", env=env)
        self.assertEqual(r.returncode, 73, r.stderr.decode())
        self.assertIn(f"{identity}: not an mqchat identity".encode(), r.stderr)
        self.assertNotIn(b"\x1b", r.stderr)
        self.assertEqual([p for p in self.sync(sub) if b"never sent" in p], [])
        with open(identity) as f:
            self.assertIn("not hex", f.read())  # left for the user to move away

    # --- a plugin path relative to the configuration file -----------------

    def test_relative_plugin_path_is_the_configuration_files(self):
        conf = os.path.join(self.workdir, "conf")
        os.makedirs(os.path.join(conf, "plugins"))
        built = os.path.join(os.path.dirname(harness.MQCHAT), "plugins", "stdin.so")
        shutil.copy(built, os.path.join(conf, "plugins", "terminal.so"))
        ini = harness.write_ini(os.path.join(conf, "mqchat.ini"), {
            "core": {"nick": "Ana", "history": "off", "frontends": "term"},
            "term": {"plugin": "plugins/terminal.so"},
            "mqtt": {"host": "127.0.0.1", "port": self.broker.port}})
        sub = self.subscriber()
        elsewhere = os.path.join(self.workdir, "elsewhere")
        os.mkdir(elsewhere)
        r = subprocess.run([harness.MQCHAT, "-c", ini], input=b"relativo\n",
                           capture_output=True, cwd=elsewhere, timeout=SLOW,
                           env=harness.isolated_env(os.path.join(self.workdir, "home")))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"Ana: relativo", self.sync(sub))


if __name__ == "__main__":
    harness.main()
