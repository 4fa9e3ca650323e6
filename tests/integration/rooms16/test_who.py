# SPDX-License-Identifier: MIT
"""`mqchat --who [[NET:]ROOM] [--json]` on a real mosquitto with
conf/mosquitto-acl.conf and verify = on: it prints who is present and exits
0; a nick the broker proved (the presence topic's username is the nick) is
listed as is, one claimed by another user with `~`; --json says the same
with "verified"; --who itself leaves no trace (no presence of its own)."""
import os
import subprocess

import harness
from rooms16_helpers import ROOM, SLOW, AclTestCase

VERIFY = {"verify": "on"}


class WhoTest(AclTestCase):

    def start_room(self):
        self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        # Eve logged in as eve, calling herself Bea: present, not proved.
        self.chat("eve", "Bea", "eve", mqtt=VERIFY)

    def test_who_lists_proved_and_claimed_nicks(self):
        self.start_room()
        listing = self.wait_who(["Ana", "Bob", "~Bea"])
        self.assertEqual(len(listing), 3, listing)

    def test_who_json(self):
        self.start_room()
        self.wait_who(["Ana", "Bob", "~Bea"])
        rows = self.who_json()
        got = sorted((r["network"], r["room"], r["nick"], r["state"], r["verified"])
                     for r in rows)
        self.assertEqual(got, [("mqtt", ROOM, "Ana", "online", True),
                               ("mqtt", ROOM, "Bea", "online", False),
                               ("mqtt", ROOM, "Bob", "online", True)], rows)

    def test_who_names_the_room(self):
        self.start_room()
        self.wait_who(["Ana", "Bob", "~Bea"], room=f"mqtt:{ROOM}")
        self.wait_who(["Ana", "Bob", "~Bea"], room=ROOM)

    def test_impostor_is_listed_beside_the_real_one(self):
        """Eve calling herself Ana neither hides the real Ana nor passes
        for her: both are listed, hers marked."""
        self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        self.wait_who(["Ana"])
        self.chat("eve", "Ana", "eve", mqtt=VERIFY)
        self.wait_who(["Ana", "~Ana"])
        rows = self.who_json()
        self.assertEqual(sorted((r["nick"], r["verified"]) for r in rows),
                         [("Ana", False), ("Ana", True)], rows)

    def test_who_leaves_no_trace(self):
        """--who publishes no presence: neither a later --who nor a member
        of the room sees the one that asked."""
        cata = self.chat("cata", "Cata", "cata", mqtt=VERIFY)
        self.wait_who(["Cata"], user="mallory", nick="Olga")
        self.wait_who(["Cata"], user="bob", nick="Bob")
        # A fence for Cata: a join after the --who runs.
        self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        cata.out.wait_for(r"\bAna\b.*\bjoined\b", timeout=SLOW)
        text = cata.out.text()
        self.assertNotRegex(text, r"\b(Olga|Bob)\b", text)

    def test_who_leaves_the_users_session_alone(self):
        """--who run with Bob's own configuration and files (his client id,
        his persistent session) neither takes nor ends that session: what
        the room said while Bob was away still reaches him when he comes
        back, after a --who in between."""
        bob = self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        bob.close_stdin()
        self.assertEqual(bob.wait(SLOW), 0, bob.err.text())
        harness.publish(self.broker, "Pepe: mientras tanto", topic=ROOM)
        home = os.path.join(self.workdir, "bob")
        p = subprocess.run([harness.MQCHAT, "-c", bob.ini, "--who"], capture_output=True,
                           timeout=60, env=harness.isolated_env(home))
        self.assertEqual(p.returncode, 0, p.stderr)
        again = self.chat("bob", "Bob", "bob", mqtt=VERIFY)
        again.out.wait_for(r"Pepe: mientras tanto", timeout=SLOW)

    def test_away_is_listed(self):
        """/away TEXT: listed "(away)", state away in --json; /away alone:
        back."""
        self.chat("ana", "Ana", "ana", mqtt=VERIFY)
        bob = self.tty("bob", "Bob", "bob", mqtt=VERIFY)
        self.wait_who(["Ana", "Bob"])
        bob.line("/away comiendo")
        bob.out.wait_for(r"you are away \(mqtt\): comiendo", timeout=SLOW)
        self.wait_who(["Ana", "Bob (away)"])
        rows = self.who_json()
        self.assertEqual(sorted((r["nick"], r["state"]) for r in rows),
                         [("Ana", "online"), ("Bob", "away")], rows)
        bob.line("/away")
        bob.out.wait_for(r"you are back \(mqtt\)", timeout=SLOW)
        self.wait_who(["Ana", "Bob"])

    def test_who_on_an_empty_room(self):
        rc, lines, err = self.who()
        self.assertEqual((rc, lines), (0, []), err)


if __name__ == "__main__":
    harness.main()
