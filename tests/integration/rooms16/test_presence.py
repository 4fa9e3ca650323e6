# SPDX-License-Identifier: MIT
"""Presence on a real mosquitto with conf/mosquitto-acl.conf (MQTT 5):
an mqchat that joins is shown joining and listed by --who; a clean quit
is shown as a leave and drops it from --who; a kill -9 (the socket closed
by the kernel) and a stopped mqchat (the socket open, silent: the broker
notices after 1.5 keepalives of 5 s) are shown as "connection lost" once
the will delay (1 s) has passed, and drop it from --who too."""
import json
import re
import signal

import harness
from rooms16_helpers import KEEPALIVE, ROOM, SLOW, WILL_DELAY, AclTestCase, kill9, password

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

    def test_announcing_mqchat_is_shown_once(self):
        """An mqchat that announces its joins and leaves in the room
        (announce = on) is shown joining and leaving once, not once from
        its announcement and again from its presence."""
        cata = self.start_watcher()
        bob = self.chat("bob", "Bob", "bob", core={"announce": "on"})
        cata.out.wait_for(r"\bBob\b.*(joined|ha entrado)", timeout=SLOW)
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
        cata.out.wait_for(r"\bBob\b.*(left|ha salido)", timeout=SLOW)
        self.wait_who(["Cata"])
        # A fence: a join after Bob's leave.
        self.chat("ana", "Ana", "ana")
        cata.out.wait_for(r"\bAna\b.*\bjoined\b", timeout=SLOW)
        shown = cata.out.text()
        self.assertEqual(len(re.findall(r"\bBob\b.*(joined|ha entrado)", shown)), 1, shown)
        self.assertEqual(len(re.findall(r"\bBob\b.*(left|ha salido)", shown)), 1, shown)

    def test_presence_leaves_before_the_join(self):
        """An announcing mqchat publishes its presence before its join, so
        whoever saw the join has it listed: killed right after it (a kill
        can reset the connection before the broker read what followed the
        join), its Last Will's leave is still shown and relayed."""
        sub = harness.Subscriber(self.broker, f"{ROOM}/#", ["-v"])
        self.cleanups.append(sub.stop)
        for verify in ("off", "on"):
            at = len(sub.out.lines)
            bob = self.chat(f"bob-{verify}", "Bob", "bob", core={"announce": "on"},
                            mqtt={"verify": verify})
            sub.out.wait_for(rb"(ha entrado|joined)", timeout=SLOW, start=at)
            bob.close_stdin()
            self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
            sub.out.wait_for(rb"(ha salido|left)", timeout=SLOW, start=at)
            # -v: "topic payload", beside -d's lines
            topics = [l.split(b" ", 1)[0].decode() for l in sub.out.lines[at:]
                      if l.startswith(ROOM.encode())]
            mine = [t for t in topics if t.startswith(f"{ROOM}/presence/bob/")
                    or t in (ROOM, f"{ROOM}/u/bob")]
            self.assertTrue(mine and mine[0].startswith(f"{ROOM}/presence/bob/"),
                            f"verify = {verify}: {topics}")

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

    def test_on_the_wire(self):
        """What any client reading ROOM/presence/+/+ sees: Bob's retained
        presence under his username, online; deleted (empty) at a clean
        quit; after a kill -9, the will: offline, lost."""
        watch = harness.Subscriber(self.broker, topic=f"{ROOM}/presence/+/+",
                                   extra=["-v", "-u", "cata", "-P", password("cata")])
        self.cleanups.append(watch.stop)
        rx = re.compile(rf"^{ROOM}/presence/bob/(\S+)(?: (.*))?$")

        def entries():
            found = []
            for line in watch.payloads():
                m = rx.match(line.decode("utf-8", "replace"))
                if m:  # mosquitto_sub -v writes an empty payload as (null)
                    empty = m.group(2) in (None, "", "(null)")
                    found.append((m.group(1), None if empty else json.loads(m.group(2))))
            return found

        def wait_entries(n):
            return harness.wait_until(lambda: len(entries()) >= n and entries(), timeout=SLOW,
                                      what=f"{n} presence messages of bob; got {entries()}")

        bob = self.chat("bob", "Bob", "bob")
        cid, online = wait_entries(1)[0]
        self.assertEqual((online["v"], online["nick"], online["state"]), (1, "Bob", "online"),
                         online)
        bob.close_stdin()
        self.assertEqual(bob.wait(timeout=SLOW), 0, bob.err.text())
        self.assertEqual(wait_entries(2)[1], (cid, None), "a clean quit deletes it")

        bob = self.chat("bob", "Bob", "bob")
        wait_entries(3)
        kill9(bob)
        harness.wait_until(lambda: any(e and e["state"] == "offline" for _, e in entries()[2:]),
                           timeout=SLOW, what=f"the will; got {entries()}")
        after = [e for _, e in entries()[2:]]
        will = next(e for e in after if e and e["state"] == "offline")
        self.assertEqual((will["nick"], will.get("lost")), ("Bob", True), after)
        self.assertNotIn(None, after, "a kill -9 is no clean quit")


if __name__ == "__main__":
    harness.main()
