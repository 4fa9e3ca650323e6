# SPDX-License-Identifier: MIT
"""The outbox remembers where each line was going: what a run left
unacknowledged for one broker and room is never published anywhere else;
a run for another destination says it waits, and the next run for its own
sends it there."""
import subprocess

import harness
from delivery_helpers import start_receiver, wait_for_texts

EX_TEMPFAIL = 75
LINES = ["para la sala privada 1", "para la sala privada 2"]


class OutboxDestinationTest(harness.TestCase):
    def sender_ini(self, broker, topic):
        return harness.basic_ini(
            self.workdir, broker, name="sender",
            core={"announce": "off", "quit_timeout": 1},
            mqtt={"wire": "json", "retry": "on", "reconnect_max": 1, "topic": topic})

    def test_lines_go_only_where_they_were_said(self):
        private_port = self.broker.port
        self.broker.stop()
        first = self.mqchat(self.sender_ini(self.broker, "privada"), name="sender")
        for line in LINES:
            first.send(line)
        first.close_stdin()
        self.assertEqual(first.wait(30), EX_TEMPFAIL, first.err.text())

        # Another broker, another room: nothing of it is published there.
        other = harness.Broker(self.workdir).start()
        self.cleanups.append(other.stop)
        # Everything published there but the room's own presence and
        # history topics (publica/presence/..., publica/history/...).
        watcher = harness.Subscriber(other, topic="#", extra=("-T", "publica/+/#"))
        self.cleanups.append(watcher.stop)
        second = self.mqchat(self.sender_ini(other, "publica"), name="sender")
        second.send("dicho en la publica")
        second.close_stdin()
        self.assertEqual(second.wait(30), 0, second.err.text())
        self.assertRegex(second.err.text(),
                         r"the outbox keeps messages for other destinations, to be sent only "
                         rf"there: 2 for mqtt \(127\.0\.0\.1:{private_port}, room privada\)")
        self.assertNotIn("sending again", second.err.text())
        harness.publish(other, "Bob: marker", topic="publica")
        watcher.out.wait_for(r"^Bob: marker$")
        payloads = watcher.payloads()
        self.assertEqual(len(payloads), 2, payloads)
        self.assertIn(b"dicho en la publica", payloads[0])

        # Its own broker and room again: sent there.
        self.broker.start()
        receiver = start_receiver(self, mqtt={"topic": "privada"})
        third = self.mqchat(self.sender_ini(self.broker, "privada"), stdin=subprocess.DEVNULL,
                            name="sender")
        self.assertEqual(third.wait(30), 0, third.err.text())
        self.assertRegex(third.err.text(), r"sending again 2 messages an earlier run left")
        wait_for_texts(self, receiver, LINES, timeout=30)


if __name__ == "__main__":
    harness.main()
