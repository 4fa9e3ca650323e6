# SPDX-License-Identifier: MIT
"""/who on a terminal lists who is in an IRC channel: mqchat's own nick and
the others' from the names list (mode prefixes such as an operator's "@"
stripped), kept up to date by JOIN, PART, KICK, QUIT and NICK; the others'
comings and goings are shown as well."""
import re
import time

import harness
from irc_helpers import CHANNEL, SLOW, TestCase


class IrcWhoTest(TestCase):

    def who(self, term, room, expected):
        """Types `/who ROOM` until its listing is the set `expected` (the
        names list may still be on its way); returns the last listing."""
        deadline = time.monotonic() + SLOW
        while True:
            at = len(term.out.lines)
            term.type(f"/who {room}\r")
            i = term.out.wait_for(rf"in irc:{re.escape(room)}: |nobody is known to be in",
                                  timeout=SLOW, start=at)
            line = term.out.lines[i].decode("utf-8", "replace").rstrip()
            listed = line.split(f"in irc:{room}: ", 1)[-1]
            names = set(listed.split(", ")) if f"in irc:{room}: " in line else set()
            if names == expected or time.monotonic() > deadline:
                self.assertEqual(names, expected, line)
                return names
            time.sleep(0.2)

    def test_who_lists_the_channel(self):
        server = self.ngircd()
        bob = self.peer(server, "bob", channel="#ops")  # first in: bob is @bob there
        bob.join("#tubbies")
        term = self.terminal(server.port, rooms="#tubbies #ops")
        bob.wait("join", "Ana", target="#tubbies")
        bob.wait("join", "Ana", target="#ops")
        bob.wait_raw(r" 353 bob = #ops :@bob$", what="bob an operator of #ops")

        self.who(term, "#tubbies", {"Ana", "bob"})
        self.who(term, "#ops", {"Ana", "bob"})
        carl = self.peer(server, "carl")
        self.who(term, "#tubbies", {"Ana", "bob", "carl"})
        carl.join("#ops")
        self.who(term, "#ops", {"Ana", "bob", "carl"})
        bob.send(bob.conn.kick, "#ops", "carl", "fuera")
        self.who(term, "#ops", {"Ana", "bob"})
        carl.part()
        self.who(term, "#tubbies", {"Ana", "bob"})
        carl.join(CHANNEL)
        self.who(term, "#tubbies", {"Ana", "bob", "carl"})
        carl.quit()
        self.who(term, "#tubbies", {"Ana", "bob"})
        bob.send(bob.conn.nick, "bobby")
        self.who(term, "#tubbies", {"Ana", "bobby"})
        self.who(term, "#ops", {"Ana", "bobby"})
        # The others' comings and goings were shown too.
        shown = term.out.text()
        for event in ("carl joined", "carl left"):
            self.assertRegex(shown, rf"\* {event}", shown[-3000:])

    def test_who_from_the_command_line(self):
        """mqchat --who prints the channel's names once NAMES has ended, and
        exits 0; --json says each as an object."""
        import json
        server = self.ngircd()
        bob = self.peer(server, "bob")
        carl = self.peer(server, "carl")
        ini = self.irc_ini(server.port, name="who", nick="Zoe", fifo=False)
        m = self.mqchat(ini, name="who", args=["--who", "irc:#tubbies"])
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        self.assertEqual(set(m.out.text().split()), {"bob", "carl", "Zoe"}, m.out.text())
        m = self.mqchat(ini, name="who-json", args=["--who", "--json"])
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        rows = [json.loads(line) for line in m.out.text().splitlines()]
        self.assertEqual({r["nick"] for r in rows}, {"bob", "carl", "Zoe"}, rows)
        for r in rows:
            self.assertEqual((r["network"], r["room"], r["state"], r["verified"]),
                             ("irc", CHANNEL, "online", True), r)
        bob.stop()
        carl.stop()

    def test_away_is_said_to_the_server(self):
        """/away TEXT marks us away on the server (WHOIS shows it), /away
        alone brings us back."""
        server = self.ngircd()
        bob = self.peer(server, "bob")
        term = self.terminal(server.port)
        bob.wait("join", "Ana")
        term.type("/away lunch\r")
        term.out.wait_for(r"you are away \(irc\): lunch", timeout=SLOW)
        bob.send(bob.conn.whois, ["Ana"])
        away = bob.wait_raw(r" 301 bob Ana :lunch$", what="Ana away in WHOIS")
        first_end = bob.wait_raw(r" 318 bob Ana ", start=away, what="the WHOIS ended")
        term.type("/away\r")
        term.out.wait_for(r"you are back \(irc\)", timeout=SLOW)
        bob.send(bob.conn.whois, ["Ana"])
        end = bob.wait_raw(r" 318 bob Ana ", start=first_end + 1, what="the 2nd WHOIS ended")
        self.assertFalse([line for line in bob.raw[first_end + 1:end] if " 301 " in line],
                         bob.raw[first_end + 1:end])


if __name__ == "__main__":
    harness.main()
