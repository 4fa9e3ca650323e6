# SPDX-License-Identifier: MIT
"""/who on a terminal lists who is in an IRC channel: mqchat's own nick and
the others' from the names list (mode prefixes such as an operator's "@"
stripped), kept up to date by JOIN and PART."""
import re
import time

import harness
from irc_helpers import SLOW, TestCase


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
        carl.part()
        self.who(term, "#tubbies", {"Ana", "bob"})
        self.who(term, "#ops", {"Ana", "bob"})


if __name__ == "__main__":
    harness.main()
