# SPDX-License-Identifier: MIT
"""The stdin frontend on a real terminal.

mqchat runs inside a private tmux server (a real terminal emulator): keys are
typed with send-keys and the screen is read with capture-pane, so what is
checked is what a person would see.
"""
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402

SLOW = 3 * harness.DEFAULT_TIMEOUT  # two cores shared by several test runs
WIDTH, HEIGHT = 70, 20


class Terminal:
    """One tmux session running mqchat through a small shell script that
    records the terminal settings before and after, and the exit code.
    Standard error stays on the terminal too, as for a person: mqchat then
    counts as interactive (asks for a nick, shows connection events inline)."""

    def __init__(self, workdir, ini, name="term", width=WIDTH, env=None):
        self.width = width
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.env = harness.isolated_env(self.dir)
        self.env.update(env or {})
        self.sock = os.path.join(self.dir, "tmux.sock")
        script = os.path.join(self.dir, "run.sh")
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in self.env.items()
                          if k.isidentifier())
        with open(script, "w") as f:
            f.write("#!/bin/sh\n" + exports +
                    f"cd {shlex.quote(self.dir)}\n"
                    "stty -g > stty.before\n"
                    f"{shlex.quote(harness.MQCHAT)} -c {shlex.quote(ini)}\n"
                    "echo $? > exit.tmp && mv exit.tmp exit.code\n"
                    "stty -g > stty.tmp && mv stty.tmp stty.after\n"
                    "exec sleep 600\n")
        os.chmod(script, 0o755)
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", str(width), "-y", str(HEIGHT),
                  script)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), check=True,
                              capture_output=True, timeout=harness.DEFAULT_TIMEOUT,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                   "TERM": "xterm"}).stdout.decode("utf-8", "replace")

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def type(self, text):
        self.tmux("send-keys", "-l", text)

    def screen(self):
        """The visible rows, trailing blanks removed."""
        return [row.rstrip() for row in self.tmux("capture-pane", "-p").split("\n")][:HEIGHT]

    def all_rows(self):
        """The rows scrolled off the top as well, and the visible ones."""
        return [row.rstrip() for row in self.tmux("capture-pane", "-p", "-S", "-").split("\n")]

    def cursor(self):
        x, y = self.tmux("display-message", "-p", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_screen(self, predicate, what, timeout=SLOW):
        """Polls the screen (tmux has no event to wait on) until predicate(rows)
        is true; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            rows = self.screen()
            value = predicate(rows)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; screen:\n" +
                                     "\n".join(rows))
            time.sleep(0.05)

    def wait_row(self, text, timeout=SLOW):
        """Index of the first row equal to `text`."""
        return self.wait_screen(lambda rows: text in rows and rows.index(text) + 1,
                                f"a row {text!r}", timeout) - 1

    def mqchat_pid(self):
        shell = int(self.tmux("display-message", "-p", "#{pane_pid}").strip())
        with open(f"/proc/{shell}/task/{shell}/children") as f:
            children = f.read().split()
        return int(children[0]) if children else None

    def exit_code(self, timeout=SLOW):
        path = os.path.join(self.dir, "exit.code")
        harness.wait_until(lambda: os.path.exists(path), timeout, "mqchat to exit")
        with open(path) as f:
            return int(f.read())

    def tty_settings(self):
        """`stty -g` before mqchat started and after it exited."""
        after = os.path.join(self.dir, "stty.after")
        harness.wait_until(lambda: os.path.exists(after), harness.DEFAULT_TIMEOUT,
                           "stty after exit")
        with open(os.path.join(self.dir, "stty.before")) as f, open(after) as g:
            return f.read(), g.read()

    def stderr(self):
        """Standard error went to the screen: show that."""
        try:
            return "screen:\n" + "\n".join(self.screen())
        except Exception as e:  # the session may be gone
            return f"(no screen: {e})"

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True,
                       timeout=harness.DEFAULT_TIMEOUT)


class TerminalTestCase(harness.TestCase):
    """A broker, a mosquitto_sub watching the room, and mqchat on a terminal."""

    def subscriber(self, **kw):
        s = harness.LineSubscriber(self.broker, **kw)
        self.cleanups.append(s.stop)
        return s

    def terminal(self, nick="Ana", width=WIDTH, core=None, mqtt=None, sections=None,
                 name="term", env=None, **stdin_keys):
        keys = {"format": "{nick}: {text}", "color": "never"}
        keys.update(stdin_keys)
        ini = harness.basic_ini(self.workdir, self.broker, nick=nick, core=core, mqtt=mqtt,
                                stdin=keys, **(sections or {}))
        t = Terminal(self.workdir, ini, name=name, width=width, env=env)
        self.cleanups.append(t.close)
        return t


class TerminalTest(TerminalTestCase):

    def test_conversation(self):
        sub = self.subscriber()
        t = self.terminal()
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        t.wait_screen(lambda rows: any(r.startswith("-- connected") for r in rows),
                      "the connection status line")
        t.wait_row(">")  # the prompt "> " (trailing blank trimmed)
        with open(f"/proc/{t.mqchat_pid()}/maps") as f:
            self.assertIn("/libedit.so", f.read(), "a terminal's line editor")

        # A typed line is sent; on screen the raw input line is replaced by
        # its formatted echo.
        t.type("hello")
        t.keys("Enter")
        sub.out.wait_for(rb"^Ana: hello$", timeout=SLOW)
        t.wait_row("Ana: hello")
        self.assertNotIn("> hello", t.screen())

        # A message arriving while a line is half typed is printed above the
        # prompt; the typed text and the cursor stay as they were.
        t.type("half typ")
        t.wait_row("> half typ")
        harness.publish(self.broker, "Bob: interrupting")
        bob = t.wait_row("Bob: interrupting")
        rows = t.screen()
        self.assertEqual(rows[bob + 1], "> half typ", "\n".join(rows))
        self.assertEqual(rows.count("> half typ"), 1, "\n".join(rows))
        self.assertEqual(t.cursor(), (len("> half typ"), bob + 1))
        t.type("ed")
        t.keys("Enter")
        sub.out.wait_for(rb"^Ana: half typed$", timeout=SLOW)
        t.wait_row("Ana: half typed")

        # The cursor in the middle of a line wrapped over two rows.
        long_line = "w" * (WIDTH + 10)
        t.type(long_line)
        t.keys("Left", "Left", "Left")
        t.wait_screen(lambda rows: t.cursor() == ((2 + len(long_line) - 3) % WIDTH,
                                                  rows.index("w" * 12) if "w" * 12 in rows
                                                  else -1), "the cursor on the wrapped row")
        harness.publish(self.broker, "Bob: again")
        bob = t.wait_row("Bob: again")
        rows = t.screen()
        self.assertEqual(rows[bob + 1:bob + 3], ["> " + "w" * (WIDTH - 2), "w" * 12],
                         "\n".join(rows))
        self.assertEqual(t.cursor(), (9, bob + 2))
        t.keys("C-e", "Enter")
        sub.out.wait_for(("^Ana: " + long_line + "$").encode(), timeout=SLOW)
        # Its echo replaces exactly the two rows the input took; its second
        # row is indented (only a line's start is at the left edge).
        echo = t.wait_row("Ana: " + long_line[:WIDTH - 5])
        rows = t.screen()
        self.assertEqual(rows[echo - 1:echo + 3],
                         ["Bob: again", "Ana: " + long_line[:WIDTH - 5],
                          "    " + long_line[WIDTH - 5:], ">"], "\n".join(rows))

        # Commands: an action, a new nick for the lines after it (the room
        # is told), /help.
        t.type("/me waves")
        t.keys("Enter")
        sub.out.wait_for(rb"^\* Ana waves$", timeout=SLOW)
        t.wait_row("* Ana waves")
        t.type("/nick Bea")
        t.keys("Enter")
        t.type("now as Bea")
        t.keys("Enter")
        sub.out.wait_for(rb"^Bea: now as Bea$", timeout=SLOW)
        t.wait_row("Bea: now as Bea")
        t.type("/help")
        t.keys("Enter")
        t.wait_screen(lambda rows: any(r.startswith("--   /nick NAME") for r in rows),
                      "the /help rows")

        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())
        self.assertEqual(*t.tty_settings(), "terminal settings not restored after /quit")
        said = [p for p in sub.payloads() if p.startswith((b"Ana:", b"Bea:", b"* "))]
        self.assertEqual(said, [b"Ana: hello", b"Ana: half typed",
                                ("Ana: " + long_line).encode(), b"* Ana waves",
                                b"* Ana ahora es Bea", b"Bea: now as Bea"])

        # The recall history was kept for the next session.
        history = os.path.join(t.env["XDG_STATE_HOME"], "mqchat", "input_history")
        with open(history, "rb") as f:
            content = f.read()
        self.assertIn(b"hello", content)
        self.assertEqual(os.stat(history).st_mode & 0o777, 0o600)

    def test_nick_asked_then_ctrl_d_exits_0(self):
        sub = self.subscriber()
        t = self.terminal(nick="")
        t.wait_screen(lambda rows: any(r.startswith("Nick:") for r in rows), "Nick: prompt")
        t.type("Cy")
        t.keys("Enter")
        sub.out.wait_for(rb"^Cy ha entrado al chat$", timeout=SLOW)
        t.wait_row(">")
        t.type("from Cy")
        t.keys("Enter")
        sub.out.wait_for(rb"^Cy: from Cy$", timeout=SLOW)
        t.keys("C-d")
        self.assertEqual(t.exit_code(), 0, t.stderr())
        self.assertEqual(*t.tty_settings(), "terminal settings not restored after Ctrl-D")

    def test_terminal_restored_after_sigterm(self):
        sub = self.subscriber()
        t = self.terminal()
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        t.type("never finished")
        t.wait_row("> never finished")
        os.kill(t.mqchat_pid(), 15)
        self.assertEqual(t.exit_code(), 0, t.stderr())
        self.assertEqual(*t.tty_settings(), "terminal settings not restored after SIGTERM")
        self.assertFalse([p for p in sub.payloads() if b"never finished" in p])

    def test_hung_up_terminal_ends_mqchat_instead_of_spinning(self):
        # A terminal that goes away (ssh dropped, window closed) leaves
        # stdin reporting POLLHUP for ever: mqchat must leave, not spin.
        sub = self.subscriber()
        ini = harness.basic_ini(self.workdir, self.broker, core={"announce": "on",
                                                                 "history": "off"})
        master, slave = os.openpty()
        env = harness.isolated_env(os.path.join(self.workdir, "hup"))
        proc = subprocess.Popen([harness.MQCHAT, "-c", ini], stdin=slave, stdout=slave,
                                stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.cleanups.append(lambda: self.assertIsNone(harness.terminate(proc)))
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        os.close(master)
        try:
            code = proc.wait(SLOW)
        except subprocess.TimeoutExpired:
            cpu = sum(int(f) for f in open(f"/proc/{proc.pid}/stat").read()
                      .rsplit(")", 1)[1].split()[11:13])
            self.fail(f"mqchat still running after its terminal hung up ({cpu} ticks of CPU)")
        self.assertIn(code, (0, 75))
        sub.out.wait_for(rb"^Ana ha salido del chat$", timeout=SLOW)

    def test_without_a_line_editor_plain_lines_still_chat(self):
        # libedit is opened when a terminal asks for it.  A library of that
        # name without its readline interface (a broken install) is named
        # in a warning, and the terminal is read as plain lines: sent as
        # typed, commands included, the room and the history replay shown,
        # the terminal's settings left as they were.
        libdir = os.path.join(self.workdir, "lib")
        os.makedirs(libdir)
        source = os.path.join(libdir, "not_libedit.c")
        with open(source, "w") as f:
            f.write("int not_libedit;\n")
        subprocess.run(["cc", "-shared", "-fPIC", source, "-o",
                        os.path.join(libdir, "libedit.so.2")], check=True)
        sub = self.subscriber()
        first = self.terminal(name="first")  # stores "Bob: earlier" for the replay
        joined = sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW)
        harness.publish(self.broker, "Bob: earlier")
        first.wait_row("Bob: earlier")
        first.type("/quit")
        first.keys("Enter")
        self.assertEqual(first.exit_code(), 0, first.stderr())

        t = self.terminal(name="plain", width=160, env={"LD_LIBRARY_PATH": libdir,
                                             "XDG_STATE_HOME": first.env["XDG_STATE_HOME"]})
        t.wait_screen(lambda rows: any("cannot load the line editor: libedit.so.2: "
                                       "no rl_initialize; reading plain lines" in r
                                       for r in rows), "the warning")
        sub.out.wait_for(rb"^Ana ha entrado al chat$", timeout=SLOW, start=joined + 1)
        t.wait_row("Bob: earlier")  # the replay
        t.type("plain hello")
        t.keys("Enter")
        sub.out.wait_for(rb"^Ana: plain hello$", timeout=SLOW)
        harness.publish(self.broker, "Bob: heard you")
        t.wait_row("Bob: heard you")
        t.type("/me waves")
        t.keys("Enter")
        sub.out.wait_for(rb"^\* Ana waves$", timeout=SLOW)
        t.type("/quit")
        t.keys("Enter")
        self.assertEqual(t.exit_code(), 0, t.stderr())
        self.assertEqual(*t.tty_settings(), "terminal settings changed")
        rows = t.all_rows()
        self.assertEqual(rows.count("plain hello"), 1, "\n".join(rows))  # the echo alone
        self.assertNotIn("Ana: plain hello", rows)
        said = [p for p in sub.payloads() if p.startswith((b"Ana:", b"* "))]
        self.assertEqual(said, [b"Ana: plain hello", b"* Ana waves"])


if __name__ == "__main__":
    harness.main()
