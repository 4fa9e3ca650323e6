# SPDX-License-Identifier: MIT
"""Other people in the channel, as third-party IRC clients: Debian's
python3-irc library (Peer) and irssi on a tmux terminal (Irssi).  Neither
shares any code with mqchat."""
import os
import re
import shlex
import subprocess
import threading
import time
from dataclasses import dataclass

import irc.buffer
import irc.client

import harness
from ircd import CHANNEL, SLOW

# Debian's python3-irc (8.5) names the reactor IRC; later releases Reactor.
Reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC

# What a Peer records: what people say and do, where, and who comes and goes.
KINDS = ("pubmsg", "privmsg", "action", "pubnotice", "privnotice", "join", "part", "quit",
         "nick", "kick", "ctcp", "ctcpreply", "error", "disconnect")


@dataclass(frozen=True)
class Seen:
    kind: str    # one of KINDS
    nick: str    # who did it ("" for the server)
    target: str  # the channel or nick it was addressed to ("" for quit, ...)
    text: str    # what was said, the quit reason, the new nick, ...


class Buffer(irc.buffer.DecodingLineBuffer):
    """Lines decoded as UTF-8, anything else shown rather than fatal."""
    errors = "replace"


class Peer:
    """A python3-irc client on its own reactor thread: registers as `nick`,
    joins `channel`, records every Seen in order and every raw line."""

    def __init__(self, tc, port, nick, channel=CHANNEL, join=True, password=None):
        self.nick = nick
        self.channel = channel
        self.seen = []
        self.raw = []
        self.lock = threading.Lock()
        self.reactor = Reactor()
        self.reactor.add_global_handler("all_events", self._record, -20)
        self.conn = self.reactor.server()
        self.conn.buffer_class = Buffer
        self.stopping = threading.Event()
        self.conn.connect("127.0.0.1", port, nick, password=password)
        # The library drops its socket unclosed when the server hangs up
        # first: closed here in stop().
        self.sock = self.conn.socket
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        tc.cleanups.append(self.stop)
        self.wait_raw(rf"^:\S+ 001 {re.escape(nick)} ", what="the welcome")
        if join:
            self.join(channel)

    def _run(self):
        while not self.stopping.is_set():
            self.reactor.process_once(0.1)

    def _record(self, conn, event):
        with self.lock:
            if event.type == "all_raw_messages":
                self.raw.append(event.arguments[0])
            elif event.type in KINDS:
                source = str(event.source or "")
                nick = source.split("!")[0] if "!" in source else ""
                text = " ".join(event.arguments[1:] if event.type == "ctcp"
                                else event.arguments or [])
                if event.type == "ctcp":
                    text = f"{event.arguments[0]} {text}".strip()
                self.seen.append(Seen(event.type, nick, event.target or "", text))

    def send(self, fn, *args):
        with self.reactor.mutex:
            fn(*args)

    def join(self, channel):
        """Joins and waits for the end of the names list."""
        at = len(self.raw)
        self.send(self.conn.join, channel)
        self.wait_raw(rf"^:\S+ 366 {re.escape(self.nick)} {re.escape(channel)} ", start=at,
                      what=f"the names of {channel}")

    def part(self, channel=None):
        self.send(self.conn.part, channel or self.channel)

    def say(self, text, target=None):
        self.send(self.conn.privmsg, target or self.channel, text)

    def act(self, text, target=None):
        self.send(self.conn.action, target or self.channel, text)

    def notice(self, text, target=None):
        self.send(self.conn.notice, target or self.channel, text)

    def ctcp(self, kind, target, text=""):
        self.send(self.conn.ctcp, kind, target, text)

    def quit(self, reason="bye"):
        self.send(self.conn.quit, reason)

    def events(self, kind=None, nick=None, target=None):
        with self.lock:
            return [s for s in self.seen
                    if (kind is None or s.kind == kind) and (nick is None or s.nick == nick)
                    and (target is None or s.target == target)]

    def texts(self, kind="pubmsg", nick=None, target=None):
        return [s.text for s in self.events(kind, nick, target)]

    def wait(self, kind, nick=None, text=None, target=None, timeout=SLOW):
        """The first Seen of `kind` (by `nick`, to `target`) whose text is
        `text` (a str) or matches `text` (a compiled regex)."""
        def match():
            for s in self.events(kind, nick, target):
                if text is None or (s.text == text if isinstance(text, str)
                                    else text.search(s.text)):
                    return s
            return None
        return harness.wait_until(match, timeout,
                                  f"{self.nick} to see {kind} {text!r} from {nick}; "
                                  f"saw {self.seen[-15:]}")

    def wait_raw(self, pattern, start=0, timeout=SLOW, what=None):
        """Index of the first raw line from `start` matching regex `pattern`."""
        rx = re.compile(pattern)

        def match():
            with self.lock:
                for i in range(start, len(self.raw)):
                    if rx.search(self.raw[i]):
                        return i + 1
            return 0
        return harness.wait_until(match, timeout,
                                  f"{self.nick}: {what or pattern}; raw {self.raw[-15:]}") - 1

    def stop(self):
        if self.stopping.is_set():
            return
        try:
            self.quit()
        except irc.client.ServerNotConnectedError:
            pass
        self.stopping.set()
        self.thread.join(harness.DEFAULT_TIMEOUT)
        with self.reactor.mutex:
            self.conn.disconnect()
        self.sock.close()


class Irssi:
    """irssi on a private tmux server (a real terminal): connects to the
    server as `nick`; commands are typed, the screen is read with
    capture-pane."""

    WIDTH, HEIGHT = 200, 50

    def __init__(self, tc, port, nick):
        self.nick = nick
        self.dir = os.path.join(tc.workdir, f"irssi-{nick}")
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, "tmux.sock")
        cmd = ["irssi", f"--home={self.dir}", "-c", "127.0.0.1", "-p", str(port), "-n", nick]
        self.tmux("-f", "/dev/null", "new-session", "-d", "-x", str(self.WIDTH),
                  "-y", str(self.HEIGHT), f"HOME={shlex.quote(self.dir)} exec "
                  + " ".join(shlex.quote(c) for c in cmd))
        tc.cleanups.append(self.close)

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock] + list(args), check=True,
                              capture_output=True, timeout=harness.DEFAULT_TIMEOUT,
                              env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                   "TERM": "xterm", "LC_ALL": "C.UTF-8"}
                              ).stdout.decode("utf-8", "replace")

    def type(self, line):
        """Types `line` and Enter."""
        self.tmux("send-keys", "-l", line)
        self.tmux("send-keys", "Enter")

    def screen(self):
        return [row.rstrip() for row in self.tmux("capture-pane", "-p").split("\n")]

    def wait_screen(self, pattern, timeout=SLOW):
        """Polls the screen (tmux has no event to wait on) until a row
        matches regex `pattern`; returns that row."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            rows = self.screen()
            for row in rows:
                if rx.search(row):
                    return row
            if time.monotonic() > deadline:
                raise AssertionError(f"irssi: no row matching {pattern!r}; screen:\n"
                                     + "\n".join(rows))
            time.sleep(0.1)

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True,
                       timeout=harness.DEFAULT_TIMEOUT)
