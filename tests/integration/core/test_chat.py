# SPDX-License-Identifier: MIT
"""Two mqchat instances in batch mode chat with each other through a real
mosquitto: each one's lines appear on the other's standard output."""
import harness


class ChatTest(harness.TestCase):
    def ini(self, nick):
        return harness.basic_ini(
            self.workdir, self.broker, name=nick.lower(), nick=nick,
            core={"history": "off", "announce": "on"},
            stdin={"format": "{nick}: {text}", "color": "never"})

    def start_and_wait_joined(self, nick, watcher):
        """Start `nick` and wait until its announcement reaches `watcher`.

        The announcement is sent once the link is up, i.e. connected AND
        subscribed, so from then on nothing sent to the room is missed."""
        m = self.mqchat(self.ini(nick), name=nick.lower())
        watcher.out.wait_for(rf"^{nick} ha entrado al chat$")
        return m

    def test_two_instances_chat_both_ways(self):
        watcher = self.subscriber()
        ana = self.start_and_wait_joined("Ana", watcher)
        bea = self.start_and_wait_joined("Bea", watcher)

        ana.send("hola Bea, ¿qué tal?")
        bea.out.wait_for(r"^Ana: hola Bea, ¿qué tal\?$")

        bea.send("muy bien, Ana")
        ana.out.wait_for(r"^Bea: muy bien, Ana$")

        # A second exchange: the conversation keeps flowing, in order.
        ana.send("me alegro")
        ana.send("hasta luego")
        first = bea.out.wait_for(r"^Ana: me alegro$")
        bea.out.wait_for(r"^Ana: hasta luego$", start=first + 1)

        # Both have seen what they expect: end of input ends each cleanly.
        ana.close_stdin()
        bea.close_stdin()
        self.assertEqual(ana.wait(), 0, ana.err.text())
        self.assertEqual(bea.wait(), 0, bea.err.text())

        # Batch mode prints what is received, never one's own lines.
        ana_out, bea_out = ana.out.text(), bea.out.text()
        self.assertNotIn("Ana: hola Bea", ana_out)
        self.assertNotIn("Bea: muy bien", bea_out)

        # Everything each one said reached the room exactly once.
        watcher.out.wait_for(r"^Ana: hasta luego$")
        payloads = watcher.payloads()
        for said in (b"Ana: hola Bea, \xc2\xbfqu\xc3\xa9 tal?", b"Bea: muy bien, Ana",
                     b"Ana: me alegro", b"Ana: hasta luego"):
            self.assertEqual(payloads.count(said), 1, payloads)


if __name__ == "__main__":
    harness.main()
