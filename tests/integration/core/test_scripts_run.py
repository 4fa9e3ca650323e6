# SPDX-License-Identifier: MIT
"""scripts/run, as a newcomer uses it: typed into an interactive bash on a
real pseudo-terminal, on a port where no broker answers.

Its private mosquitto must belong to no one's terminal: Ctrl-Z in one
user's terminal stops that user's mqchat and nothing else, one user's /quit
leaves the room to the others, and the broker stops when the last mqchat
started through scripts/run on that port has ended.  And mqchat must be the
terminal's job itself (scripts/run ends by exec'ing it), so that Ctrl-Z and
fg reach it alone.  scripts/run runs the already built mqchat
(MQCHAT_BUILD_DIR): it never builds here.
"""
import fcntl
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import types

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sdk"))
import harness  # noqa: E402
from sdk_helpers import file_text  # noqa: E402
from kernel_view import state as process_state  # noqa: E402
from test_terminal_suspend import PROMPT, SLOW, Screen  # noqa: E402

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "..", ".."))
RUN = os.path.join(ROOT, "scripts", "run")
SHELL_PROMPT = b"shell$ "

# Makes the pty the controlling terminal of a fresh session (its leader
# opens it first), then becomes the program: an interactive bash there has
# job control, as in a terminal window.
LAUNCH = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
for std in (0, 1, 2):
    os.dup2(fd, std)
os.close(fd)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def alive(pid):
    """True while `pid` exists and is not a zombie."""
    try:
        return process_state(pid) != "Z"
    except OSError:
        return False


def group_members(pgrp):
    """The pids of every process of process group `pgrp`."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgrp:
                pids.append(int(entry))
    return pids


class Terminal:
    """An interactive bash on an 80x24 pty of its own."""

    def __init__(self, tc, env):
        self.master, self.slave = os.openpty()
        fcntl.ioctl(self.slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        tc.cleanups.append(lambda: os.close(self.master))
        tc.cleanups.append(lambda: os.close(self.slave))
        self.screen = Screen(self.master)
        tc.cleanups.append(self.screen.stop)
        env = dict(env, PS1=SHELL_PROMPT.decode(), TERM="xterm")
        self.shell = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, os.ttyname(self.slave),
             "bash", "--norc", "--noprofile", "-i"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        tc.cleanups.append(self.kill)
        self.screen.wait_for(re.escape(SHELL_PROMPT))

    def type(self, text):
        os.write(self.master, text.encode())

    def job(self):
        """The pids of the terminal's foreground process group."""
        return group_members(os.tcgetpgrp(self.master))

    def kill(self):
        """Ends what still runs on the terminal, stopped jobs too."""
        for pid in group_members(os.getsid(self.shell.pid)) if alive(self.shell.pid) else ():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.shell.kill()
        self.shell.wait(SLOW)


class ScriptsRun(harness.TestCase):

    def setUp(self):
        super().setUp()
        # A port no broker answers on: scripts/run starts its own there.
        self.port = harness.free_port()
        self.room = types.SimpleNamespace(port=self.port)
        self.runtime = os.path.join(self.workdir, "runtime")

    def env(self, name):
        """`name`'s own state and configuration, the user's runtime dir."""
        env = harness.isolated_env(os.path.join(self.workdir, name))
        env.update(XDG_RUNTIME_DIR=self.runtime,
                   MQCHAT_BUILD_DIR=os.path.dirname(harness.MQCHAT))
        return env

    def ini(self, nick):
        return harness.write_ini(os.path.join(self.workdir, f"{nick}.ini"), {
            "core": {"nick": nick, "frontends": "stdin", "backend": "mqtt",
                     "history": "off"},
            "stdin": {"format": "{nick}: {text}", "color": "never",
                      "history_file": "off"},
            "mqtt": {"host": "localhost", "port": self.port},
        })

    def start_in_terminal(self, nick):
        """scripts/run typed into a fresh terminal; returns it and the
        broker's pid, as scripts/run says it."""
        term = Terminal(self, self.env(nick))
        term.type(f"{RUN} -c {self.ini(nick)}\r")
        term.screen.wait_for(re.escape(PROMPT))
        said = re.search(rb"started a private mosquitto on 127\.0\.0\.1:%d "
                         rb"\(pid (\d+)" % self.port, term.screen.data)
        self.assertIsNotNone(said, term.screen.data)
        broker = int(said.group(1))
        self.cleanups.append(lambda: self.stop_broker(broker))
        return term, broker

    def run_piped(self, nick):
        """scripts/run with pipes, no terminal: the process, its stdout and
        stderr readers."""
        run = subprocess.Popen([RUN, "-c", self.ini(nick)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=self.env(nick))
        self.cleanups.append(lambda: run.poll() is None and run.kill())
        return (run, harness.LineReader(run.stdout, f"{nick} stdout"),
                harness.LineReader(run.stderr, f"{nick} stderr"))

    def stop_broker(self, pid):
        """Only if a test failed: the broker outlived every mqchat."""
        try:
            harness.wait_until(lambda: not alive(pid), SLOW, "the broker to stop")
        except AssertionError:
            os.kill(pid, signal.SIGKILL)
            raise

    def mqchat_of(self, term, alone=True):
        """The mqchat of the terminal's job, which must be nothing else."""
        job = term.job()
        mqchat = [pid for pid in job if os.path.realpath(f"/proc/{pid}/exe")
                  == os.path.realpath(harness.MQCHAT)]
        self.assertEqual(len(mqchat), 1, f"no one mqchat in the terminal's job {job}")
        if alone:
            self.assertEqual(job, mqchat, "the terminal's job is more than mqchat")
        return mqchat[0]

    def suspend(self, term, pid):
        """Ctrl-Z, typed."""
        mark = term.screen.mark()
        term.type("\x1a")
        harness.wait_until(lambda: process_state(pid) == "T", SLOW, "mqchat to stop")
        term.screen.wait_for(rb"Stopped.*" + re.escape(SHELL_PROMPT), start=mark)

    def resume(self, term, pid):
        """fg, typed; returns once mqchat has the terminal again."""
        mark = term.screen.mark()
        term.type("fg\r")
        term.screen.wait_for(re.escape(PROMPT), start=mark)
        harness.wait_until(lambda: not termios.tcgetattr(term.slave)[3] & termios.ICANON,
                           SLOW, "mqchat's keystroke mode after fg")
        self.assertNotEqual(process_state(pid), "T")

    def test_ctrl_z_and_fg_reach_mqchat_alone(self):
        term, broker = self.start_in_terminal("Ana")
        mqchat = self.mqchat_of(term)
        # The broker is in no terminal's session.
        self.assertNotEqual(os.getsid(broker), os.getsid(term.shell.pid))
        sub = harness.Subscriber(self.room)
        self.cleanups.append(sub.stop)
        for n in range(1, 4):
            self.suspend(term, mqchat)
            self.resume(term, mqchat)
            term.type(f"line {n} after fg\r")
            sub.out.wait_for(rb"^Ana: line %d after fg$" % n, timeout=SLOW)
        mark = term.screen.mark()
        term.type("/quit\r")
        term.screen.wait_for(re.escape(SHELL_PROMPT), start=mark)
        harness.wait_until(lambda: not alive(broker), SLOW,
                           "the broker to stop once its only mqchat ended")

    def test_a_run_arriving_while_the_broker_stops_starts_a_new_one(self):
        ana, _, ana_err = self.run_piped("Ana")
        ana_err.wait_for(r"connected to localhost", timeout=SLOW)
        first = int(re.search(r"started a private mosquitto on 127\.0\.0\.1:\d+ \(pid (\d+)",
                              ana_err.text()).group(1))
        self.cleanups.append(lambda: self.stop_broker(first))
        broker_dir = os.path.join(self.runtime, "mqchat", f"broker-{self.port}")
        # The test holds the lock as one more run would, so that Ana's end
        # is not the last...
        lock = open(os.path.join(broker_dir, "users.lock"), "a")
        self.cleanups.append(lock.close)
        fcntl.flock(lock, fcntl.LOCK_SH)
        ana.stdin.close()
        self.assertEqual(ana.wait(SLOW), 0, ana_err.text())
        # ...then lets go of it with the broker held stopped: the watcher
        # takes the lock and stays in the middle of stopping it.
        os.kill(first, signal.SIGSTOP)
        self.cleanups.append(lambda: alive(first) and os.kill(first, signal.SIGCONT))
        lock.close()
        log = os.path.join(broker_dir, "mosquitto.log")
        harness.wait_until(lambda: "stopping mosquitto (pid %d)" % first
                           in file_text(log), SLOW, "the watcher to start stopping it")

        # Bea arrives now: she waits until it is gone, then starts another.
        bea, _, bea_err = self.run_piped("Bea")
        bea_err.wait_for(r"waiting for the private mosquitto on 127\.0\.0\.1:%d to stop"
                         % self.port, timeout=SLOW)
        os.kill(first, signal.SIGCONT)
        bea_err.wait_for(r"connected to localhost", timeout=SLOW)
        self.assertFalse(alive(first))
        second = int(re.search(r"started a private mosquitto on 127\.0\.0\.1:\d+ \(pid (\d+)",
                               bea_err.text()).group(1))
        self.cleanups.append(lambda: self.stop_broker(second))
        sub = harness.Subscriber(self.room)
        self.cleanups.append(sub.stop)
        bea.stdin.write(b"hola de nuevo\n")
        bea.stdin.close()
        sub.out.wait_for(rb"^Bea: hola de nuevo$", timeout=SLOW)
        self.assertEqual(bea.wait(SLOW), 0, bea_err.text())
        harness.wait_until(lambda: not alive(second), SLOW,
                           "the new broker to stop once Bea ended")

    def test_port_from_the_command_line(self):
        # mqchat's -p and URL win over the file: the broker goes there.
        ini = self.ini("Ana")
        for args in (["-p", "{port}"], ["mqtt://localhost:{port}/sala"],
                     ["-o", "mqtt.port=1", "mqtt://Ana@localhost:1", "-p{port}"]):
            port = harness.free_port()
            args = [a.format(port=port) for a in args]
            run = subprocess.run([RUN, "-c", ini, *args], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env=self.env("Ana"), timeout=SLOW)
            err = run.stderr.decode()
            self.assertEqual(run.returncode, 0, err)
            said = re.search(r"started a private mosquitto on 127\.0\.0\.1:%d \(pid (\d+)"
                             % port, err)
            self.assertIsNotNone(said, f"{args}: {err}")
            harness.wait_until(lambda: not alive(int(said.group(1))), SLOW,
                               "the broker to stop")

    def test_the_room_outlives_its_first_user(self):
        ana, broker = self.start_in_terminal("Ana")
        ana_pid = self.mqchat_of(ana, alone=False)  # the other test's business

        bea = subprocess.Popen([RUN, "-c", self.ini("Bea")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=self.env("Bea"))
        self.cleanups.append(lambda: bea.poll() is None and bea.kill())
        bea_out = harness.LineReader(bea.stdout, "Bea stdout")
        bea_err = harness.LineReader(bea.stderr, "Bea stderr")
        bea_err.wait_for(r"connected to localhost", timeout=SLOW)
        sub = harness.Subscriber(self.room)
        self.cleanups.append(sub.stop)

        # Ana's Ctrl-Z stops her mqchat, not the room.
        self.suspend(ana, ana_pid)
        self.assertNotEqual(process_state(broker), "T", "Ana's Ctrl-Z stopped the broker")
        harness.publish(self.room, "Pepe: hola Bea")
        bea_out.wait_for(r"^Pepe: hola Bea$", timeout=SLOW)

        # Ana leaves; Bea goes on chatting on the same broker.
        self.resume(ana, ana_pid)
        mark = ana.screen.mark()
        ana.type("/quit\r")
        ana.screen.wait_for(re.escape(SHELL_PROMPT), start=mark)
        harness.wait_until(lambda: not alive(ana_pid), SLOW, "Ana's mqchat to end")
        sub.out.wait_for(rb"^Ana ha salido del chat$", timeout=SLOW)
        bea.stdin.write("sigo aquí\n".encode())
        bea.stdin.flush()
        sub.out.wait_for("^Bea: sigo aquí$".encode(), timeout=SLOW)
        self.assertTrue(alive(broker), "the broker stopped while Bea was there")
        self.assertEqual(sub.payloads().count(b"Ana ha salido del chat"), 1, sub.payloads())
        self.assertNotIn(b"Bea ha salido del chat", sub.payloads())

        # The last one out stops it.
        bea.stdin.close()
        self.assertEqual(bea.wait(SLOW), 0, bea_err.text())
        harness.wait_until(lambda: not alive(broker), SLOW,
                           "the broker to stop once the last mqchat ended")
        self.assertRegex(bea_err.text(), r"joining the private mosquitto on "
                         r"127\.0\.0\.1:%d \(pid %d\)" % (self.port, broker))
        for unwanted in ("same client id", "no longer had our session"):
            self.assertNotIn(unwanted, bea_err.text())


if __name__ == "__main__":
    harness.main()
