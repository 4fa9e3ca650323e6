# SPDX-License-Identifier: MIT
"""share = GROUP on NATS, which accepts `$share/GROUP/...` subscriptions and
delivers nothing through them: a logger in batch mode on node 2 finds that
out with its probe, says so in one error line, and subscribes to the room
itself instead, so it shows what the classroom (on node 1) says there:
not deaf, only no longer sharing the room with a pool."""
import re

import harness
from nats_helpers import SLOW, NatsTestCase, until_heard

DEAF = "does not deliver through shared subscriptions"


class ShareTest(NatsTestCase):

    def test_share_falls_back_to_the_room(self):
        port = self.cluster.mqtt_port(2)
        logger = self.mqchat(self.ini("logger", "Registro",
                                      mqtt={"port": port, "share": "loggers",
                                            "presence": "off"}), name="logger")
        self.connected_to(logger, port)
        # The probe waits 10 s past its PUBACK before it gives up.
        logger.err.wait_for(re.escape(DEAF), timeout=SLOW + 10)
        classroom = self.classroom(1)
        # From the error line on the room is subscribed (its SUBACK may
        # still be on its way).
        until_heard(classroom, logger, "hola")
        classroom.say("adiós")
        logger.out.wait_for(r"^Clase: adiós$", timeout=SLOW)
        self.assertEqual(logger.err.text().count(DEAF), 1, logger.err.text())
        # Each line once: the room alone, not the room and a share too.
        shown = logger.out.text().splitlines()
        self.assertEqual(len(shown), len(set(shown)), shown)


if __name__ == "__main__":
    harness.main()
