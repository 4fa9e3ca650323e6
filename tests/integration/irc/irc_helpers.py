# SPDX-License-Identifier: MIT
"""Pieces shared by the irc backend's integration tests: a TestCase that
starts real IRC servers and third-party clients, INI files for an mqchat
on IRC (stdin for what it shows, a FIFO for what it says), and a FIFO
writer."""
import fcntl
import os
import re
import struct
import sys
import termios

HERE = os.path.dirname(os.path.abspath(__file__))
for area in ("rooms", "mqtt"):
    sys.path.insert(0, os.path.join(HERE, "..", area))

import harness  # noqa: E402
import rooms_helpers  # noqa: E402
from test_mqtt_session import PtyMqchat  # noqa: E402
from ircd import CHANNEL, SLOW, Inspircd, Ngircd  # noqa: E402
from ircpeer import Irssi, Peer  # noqa: E402

__all__ = ["CHANNEL", "LINE_MAX", "SLOW", "TestCase", "irc_section", "shown"]

# The relayed line's budget: 512 bytes with CR LF (RFC 1459 2.3).
LINE_MAX = 512

# What mqchat says in the basic exchange, after which it says "fin".
ANA_SAYS = ["hola bob", "¿qué tal? ñandú, 日本語, 🐢"]


def irc_section(port, **keys):
    """An [irc] section: plain IRC to 127.0.0.1:`port`, in #tubbies."""
    section = {"plugin": "irc", "host": "127.0.0.1", "port": port, "tls": "off",
               "rooms": CHANNEL}
    section.update(keys)
    return section


def shown(m):
    """What mqchat `m` printed on standard output, one str a line."""
    return [l.decode("utf-8", "replace").rstrip("\n") for l in list(m.out.lines)]


class TestCase(rooms_helpers.TestCase):
    """Servers, peers and mqchats of one test, all stopped with it (the
    broker of harness.TestCase is there too: the bridge uses it)."""

    def ngircd(self, **kw):
        server = Ngircd(self.workdir, **kw)
        self.cleanups.append(server.stop)
        return server.start()

    def inspircd(self):
        server = Inspircd(self.workdir)
        self.cleanups.append(server.stop)
        return server.start()

    def peer(self, server, nick, **kw):
        return Peer(self, server.port, nick, **kw)

    def irssi(self, server, nick):
        return Irssi(self, server.port, nick)

    def irc_ini(self, port, name="mqchat", nick="Ana", irc=None, core=None, fifo=True,
                **sections):
        """mqchat as Ana on IRC only: standard output shows the channel
        ("{nick}: {text}"), the FIFO self.fifo(name) (unless not `fifo`)
        says things in it."""
        s = {"core": {"nick": nick, "frontends": "stdin, fifo" if fifo else "stdin",
                      "backends": "irc", "announce": "off"},
             "stdin": {"format": "{nick}: {text}", "color": "never"}}
        if fifo:
            s["fifo"] = {"path": self.fifo(name)}
        s["irc"] = irc_section(port, **(irc or {}))
        s["core"].update(core or {})
        s.update(sections)
        return harness.write_ini(os.path.join(self.workdir, f"{name}.ini"), s)

    def terminal(self, port, **irc):
        """mqchat on a pseudo-terminal (commands such as /msg run there),
        wide enough that no line is wrapped; what it wrote there must hold
        no sanitizer's report once it has stopped."""
        started = []
        # Cleanups run last first: this one after the terminal's stop().
        self.cleanups.append(lambda: [rooms_helpers.assert_no_sanitizer_report(
            t.out.text(), "mqchat tty") for t in started])
        term = PtyMqchat(self, self.irc_ini(port, name="tty", fifo=False, irc=irc))
        started.append(term)
        fcntl.ioctl(term.master, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 300, 0, 0))
        return term

    def password_file(self, password, name="irc.password"):
        """A file holding `password`, readable by its owner only."""
        path = os.path.join(self.workdir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        return path

    def fifo(self, name="mqchat"):
        return os.path.join(self.workdir, f"{name}.fifo")

    def start(self, ini, name="mqchat", **kw):
        """mqchat with standard input a pipe left open, once its FIFO is
        read."""
        m = self.mqchat(ini, name=name, **kw)
        m.err.wait_for(r"reading lines from ", timeout=SLOW)
        return m

    def start_in_channel(self, watcher, port, nick="Ana", name="mqchat", joins_as=None,
                         **ini):
        """mqchat on IRC at `port`, once `watcher` (a Peer in #tubbies) has
        seen it join (as `joins_as`, by default its nick)."""
        m = self.start(self.irc_ini(port, name=name, nick=nick, **ini), name=name)
        watcher.wait("join", joins_as or nick)
        return m

    def write(self, text, name="mqchat"):
        """One line into mqchat's FIFO (`text` str or bytes, newline added)."""
        if isinstance(text, str):
            text = text.encode()
        with open(self.fifo(name), "wb") as f:
            f.write(text + b"\n")

    def wait_shown(self, m, line, start=0, timeout=SLOW):
        """Index of the first line mqchat `m` printed that is exactly `line`."""
        return m.out.wait_for(rb"^" + re.escape(line.encode()) + rb"\n?$", timeout=timeout,
                              start=start)

    def basic_exchange(self, m, bob):
        """Text, /me and UTF-8 from mqchat `m` to `bob` in #tubbies and back
        (bob's colour codes stripped), each way fenced by a last line;
        returns the index of that line in what mqchat showed."""
        m.send(ANA_SAYS[0])
        bob.wait("pubmsg", "Ana", ANA_SAYS[0])
        self.write("/me waves")
        bob.wait("action", "Ana", "waves")
        m.send(ANA_SAYS[1])
        m.send("fin")
        bob.wait("pubmsg", "Ana", "fin")
        self.assertEqual(bob.texts("pubmsg", "Ana", CHANNEL), ANA_SAYS + ["fin"])
        self.assertEqual(bob.texts("action", "Ana", CHANNEL), ["waves"])

        bob.say("hi Ana")
        self.wait_shown(m, "bob: hi Ana")
        bob.act("dances")
        self.wait_shown(m, "* bob dances")
        bob.say("\x0304ünï\x03 ✓ Ελληνικά")
        self.wait_shown(m, "bob: ünï ✓ Ελληνικά")
        bob.say("fin bob")
        at = self.wait_shown(m, "bob: fin bob")
        # Shown: what it received, and nothing of its own (not even as a
        # server with echo-message sends it back).
        self.assertEqual(shown(m)[:at + 1], ["bob: hi Ana", "* bob dances",
                                             "bob: ünï ✓ Ελληνικά", "bob: fin bob"])
        return at

    def assert_exits(self, m, code, timeout=SLOW):
        self.assertEqual(m.wait(timeout), code, m.err.text())
        rooms_helpers.assert_no_sanitizer_report(m.err.text(), m.name)

    def assert_never_quit(self, peer, nick="Ana"):
        """`peer` never saw `nick` quit or leave."""
        gone = [s for s in peer.events() if s.kind in ("quit", "part") and s.nick == nick]
        self.assertEqual(gone, [], f"{nick} left")
