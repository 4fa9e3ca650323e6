# SPDX-License-Identifier: MIT
"""Presence on a real mosquitto with conf/mosquitto-acl.conf (MQTT 5):
an mqchat that joins is shown joining and listed by --who; a clean quit
is shown as a leave and drops it from --who; a kill -9 (the socket closed
by the kernel) and a stopped mqchat (the socket open, silent: the broker
notices after 1.5 keepalives of 5 s) are shown as "connection lost" once
the will delay (1 s) has passed, and drop it from --who too."""
import re
import signal

import harness
from rooms16_helpers import KEEPALIVE, SLOW, WILL_DELAY, AclTestCase, kill9

# How long a dead connection may go unnoticed: 1.5 keepalives, then the
# will delay; plus the machine's slowness.  A bound, not a measurement.
LOST_BOUND = 1.5 * KEEPALIVE + WILL_DELAY + SLOW


class PresenceTest(AclTestCase):

    def start_watcher(self):
        """Cata, in the room before the others: shows their joins and leaves."""
        return self.chat("cata", "Cata", "cata")

    def test_join_and_clean_quit(self):
        cata = self.start_watcher()
        bob = self.chat("bob", "Bob", "bob")
        cata.out.wait_for(r"\bBob\b.*\bjoined\b", timeout=SLOW)
        self.wait_who(["Bob", "Cata"])

        # A clean quit: end of input, then exit 0 once acknowledged.
        at = len(cata.out.lines)
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
        cata.out.wait_for(r"\bBob\b.*\bleft\b", timeout=SLOW, start=at)
        self.wait_who(["Cata"])
        # A clean quit is not a lost connection.
        self.assertNotRegex(cata.out.text(), r"connection lost")

    def test_kill9_is_connection_lost(self):
        cata = self.start_watcher()
        bob = self.chat("bob", "Bob", "bob")
        cata.out.wait_for(r"\bBob\b.*\bjoined\b", timeout=SLOW)
        self.wait_who(["Bob", "Cata"])

        at = len(cata.out.lines)
        kill9(bob)
        cata.out.wait_for(r"\bBob\b.*\bconnection lost\b", timeout=LOST_BOUND, start=at)
        self.wait_who(["Cata"])

    def test_silent_is_connection_lost(self):
        cata = self.start_watcher()
        bob = self.chat("bob", "Bob", "bob")
        cata.out.wait_for(r"\bBob\b.*\bjoined\b", timeout=SLOW)
        at = len(cata.out.lines)
        bob.signal(signal.SIGSTOP)  # the harness's stop sends SIGCONT
        cata.out.wait_for(r"\bBob\b.*\bconnection lost\b", timeout=LOST_BOUND, start=at)
        self.wait_who(["Cata"])

    def test_already_there_is_listed_not_shown_joining(self):
        """Presence retained before we came is who is there, not a join."""
        self.chat("bob", "Bob", "bob")
        self.wait_who(["Bob"])
        cata = self.start_watcher()
        # A fence: Ana's join comes after the retained presence Cata got
        # with its subscription.
        self.chat("ana", "Ana", "ana")
        cata.out.wait_for(r"\bAna\b.*\bjoined\b", timeout=SLOW)
        self.assertFalse(re.search(r"\bBob\b.*\bjoined\b", cata.out.text()),
                         cata.out.text())
        self.wait_who(["Ana", "Bob", "Cata"])


if __name__ == "__main__":
    harness.main()
