# SPDX-License-Identifier: MIT
"""Two networks, one of them never reachable (nothing listens on its port,
retry = on): the working one chats both ways as if alone; the dead one is
reported by name and tried again and again, and joins in once its broker
is there; mqchat keeps running, and quits normally.  With retry off, only the failed network is given up."""
import harness
from rooms_helpers import SLOW, TestCase, network, networks_ini, wait_connected, wait_count

EX_UNAVAILABLE = 69


class NetworkDeadTest(TestCase):

    def ini(self, dead_port, retry="on"):
        return networks_ini(
            self, "two-nets",
            {"one": network(self.broker.port, "room1"),
             "two": network(dead_port, "room2", retry=retry, reconnect_max=1)},
            core={"history": "off"}, stdin={"format": "{nick}: {text}"})

    def wait_reports(self, m, port, n):
        """Waits until network two's failure to connect has been reported
        `n` times, by name."""
        def reports():
            return [l for l in m.err.text().splitlines()
                    if "[two]" in l and f"cannot connect to 127.0.0.1:{port}" in l]
        try:
            harness.wait_until(lambda: len(reports()) >= n, timeout=SLOW,
                               what=f"{n} reports of network two's failed attempts")
        except AssertionError as e:
            self.fail(f"{e}; stderr:\n{m.err.text()}")

    def test_working_network_chats_while_the_other_is_retried(self):
        dead_port = harness.free_port()
        sub = self.subscriber(topic="room1")
        m = self.mqchat(self.ini(dead_port))
        wait_connected(m, self.broker)

        harness.publish(self.broker, "Bob: hola", topic="room1")
        # Two rooms joined (one each network): each message says where.
        m.out.wait_for(r"^\[one:room1\] Bob: hola$", timeout=SLOW)
        m.send("hola Bob")
        wait_count(sub, "Ana: hola Bob")

        # Reported by name, and tried again (reconnect_max = 1: about a
        # second apart): three reports, each an attempt.
        self.wait_reports(m, dead_port, 3)
        self.assertIsNone(m.proc.poll(), "mqchat ended while one network works")
        harness.publish(self.broker, "Bob: sigues ahí", topic="room1")
        m.out.wait_for(r"^\[one:room1\] Bob: sigues ahí$", timeout=SLOW)
        self.assertNotIn(f"127.0.0.1:{self.broker.port}: ", "\n".join(
            l for l in m.err.text().splitlines() if "cannot connect" in l))

        # End of input: everything said on `one` is acknowledged; `two` had
        # nothing to send.
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_a_network_that_comes_up_late_joins_in(self):
        late = harness.Broker(self.workdir, port=harness.free_port())
        m = self.mqchat(self.ini(late.port))
        wait_connected(m, self.broker)
        self.wait_reports(m, late.port, 2)
        self.cleanups.append(late.stop)
        late.start()
        wait_connected(m, late)
        harness.publish(late, "Eva: por fin", topic="room2")
        m.out.wait_for(r"^\[two:room2\] Eva: por fin$", timeout=SLOW)
        harness.publish(self.broker, "Bob: bienvenida", topic="room1")
        m.out.wait_for(r"^\[one:room1\] Bob: bienvenida$", timeout=SLOW)
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_without_retry_only_the_dead_network_fails(self):
        dead_port = harness.free_port()
        sub = self.subscriber(topic="room1")
        m = self.mqchat(self.ini(dead_port, retry="off"))
        wait_connected(m, self.broker)
        self.wait_reports(m, dead_port, 1)
        m.send("sigo aquí")
        wait_count(sub, "Ana: sigo aquí")
        self.assertIsNone(m.proc.poll(), "mqchat ended while one network works")
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def test_every_network_dead_exits_69(self):
        ini = networks_ini(
            self, "all-dead",
            {name: network(harness.free_port(), name) for name in ("one", "two")},
            core={"history": "off"})
        m = self.mqchat(ini)
        self.assertEqual(m.wait(SLOW), EX_UNAVAILABLE, m.err.text())
        for name in ("one", "two"):
            self.assertRegex(m.err.text(), rf"\[{name}\].*cannot connect to 127\.0\.0\.1:")


if __name__ == "__main__":
    harness.main()
