# SPDX-License-Identifier: MIT
"""A private message (/msg NICK TEXT) on a real mosquitto with a
password_file and conf/mosquitto-acl.conf: it reaches its recipient's
screens (each of his running mqchats) and nobody else's: not a third
mqchat in the room, not `mosquitto_sub -t '#'` logged in as an
unprivileged user, not the classroom's topic.  To a nick that is not
there: refused, said so."""
import re

import harness
from rooms16_helpers import ROOM, SLOW, AclTestCase, Classroom, lines_of, password

SECRET = "el secreto de Ana para Bob"


class PrivateTest(AclTestCase):

    def everyone_but_the_recipient(self):
        """Mallory's mosquitto_sub on '#' and the classroom on the room."""
        mallory = harness.Subscriber(self.broker, topic="#",
                                     extra=["-v", "-u", "mallory", "-P", password("mallory")])
        self.cleanups.append(mallory.stop)
        return mallory, Classroom(self, self.broker, ROOM, "Clase")

    def test_private_message_reaches_only_its_recipient(self):
        mallory, classroom = self.everyone_but_the_recipient()
        bob = self.chat("bob", "Bob", "bob")
        # Bob's second mqchat (same user, its own client id) gets it too.
        bob_too = self.chat("bob-too", "Bob", "bob")
        cata = self.chat("cata", "Cata", "cata")
        ana = self.tty("ana", "Ana", "ana")
        # Ana knows Bob is here (his presence) before writing to him.
        ana.wait_present("Bob")

        ana.line(f"/msg Bob {SECRET}")
        bob.out.wait_for(re.escape(SECRET), timeout=SLOW)
        bob_too.out.wait_for(re.escape(SECRET), timeout=SLOW)
        # A fence: Ana's next message, in the room, reaches the others
        # after the private one would have.
        ana.line("ahora en la sala")
        for reader in (cata.out, mallory.out, classroom.out):
            reader.wait_for(r"ahora en la sala", timeout=SLOW)
        for name, reader in (("cata", cata.out), ("mallory", mallory.out),
                             ("classroom", classroom.out)):
            self.assertNotIn(SECRET, reader.text(), f"{name} saw the private message")
        # Mallory's '#' is a real subscription: it got the room's message
        # (and the topic it came on).
        self.assertIn(f"{ROOM} Ana: ahora en la sala", lines_of(mallory.out))
        # Each of Bob's got it once.
        for m in (bob, bob_too):
            self.assertEqual(m.out.text().count(SECRET), 1, m.out.text())

    def test_private_message_to_nobody_is_refused(self):
        self.chat("bob", "Bob", "bob")
        ana = self.tty("ana", "Ana", "ana")
        ana.wait_present("Bob")
        ana.line("/msg Nadie hola")
        ana.out.wait_for(r"Nadie is not here", timeout=SLOW)


if __name__ == "__main__":
    harness.main()
