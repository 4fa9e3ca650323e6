# SPDX-License-Identifier: MIT
"""What the broker refuses after accepting the connection, and what a
connection takes with it: a subscription its ACL forbids (a real mosquitto
with an acl_file) ends mqchat with 69 naming the topic; QoS 0 messages
libmosquitto still held when the connection dropped are reported lost (QoS 0
is at most once), and mqchat goes on."""
import fcntl
import json
import os
import socket
import threading

import harness
import kernel_view
from fake_broker import FakeBroker
from mqtt_helpers import LINK_TIMEOUT, STDIN

EX_UNAVAILABLE = 69


DYNSEC = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"


class SubackRefusalTest(harness.TestCase):
    def start_with_acl(self, protocol):
        # mosquitto's acl_file lets every subscription through (it filters
        # what is delivered); its dynamic security plugin refuses them.
        # Anonymous clients may publish, not subscribe.
        acl = os.path.join(self.workdir, "dynsec.json")
        with open(acl, "w") as f:
            json.dump({"defaultACLAccess": {"publishClientSend": True,
                                            "publishClientReceive": True,
                                            "subscribe": False, "unsubscribe": True},
                       "clients": [], "groups": [], "roles": []}, f)
        self.broker.stop()
        self.broker = harness.Broker(
            self.workdir, f"user root\nplugin {DYNSEC}\nplugin_opt_config_file {acl}\n",
            port=self.broker.port).start()
        ini = harness.basic_ini(self.workdir, self.broker, stdin=STDIN,
                                mqtt={"protocol": protocol, "retry": "on"})
        return self.mqchat(ini)

    def test_a_forbidden_subscription_exits_69_naming_the_topic(self):
        for protocol, reason in (("5", r"Not authorized"), ("3.1.1", r"return code 0x80")):
            with self.subTest(protocol):
                m = self.start_with_acl(protocol)
                self.assertEqual(m.wait(LINK_TIMEOUT), EX_UNAVAILABLE, m.err.text())
                self.assertRegex(m.err.text(), r"cannot connect to 127\.0\.0\.1:\d+: the broker "
                                 rf"refused the subscription to {harness.TOPIC}: {reason}")
                self.assertNotIn("retrying", m.err.text())


class Qos0LostTest(harness.TestCase):
    def test_qos0_messages_unsent_when_the_link_drops_are_reported_lost(self):
        stalled = []

        def stall(conn):
            # Reads nothing after the SUBACK: mqchat's messages pile up in
            # the kernel, then in libmosquitto.  Then a reset.
            conn.accept_session()
            stalled.append(conn)
            conn.sock.settimeout(None)
            stalled_done.wait()
            conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                 b"\x01\x00\x00\x00\x00\x00\x00\x00")

        def accept(conn):
            conn.accept_session()
            conn.drain()

        stalled_done = threading.Event()
        fake = FakeBroker([stall, accept])
        self.cleanups.append(fake.close)
        fake.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        ini = harness.basic_ini(self.workdir, fake, stdin=STDIN,
                                core={"announce": "off", "history": "off"},
                                mqtt={"qos": 0, "reconnect_max": 1})
        m = self.mqchat(ini)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{fake.port}", timeout=LINK_TIMEOUT)
        # Fill everything up to mqchat's own queue: once its standard input
        # takes no more, its send window (QoS 0: written out = done) is full.
        fd = m.proc.stdin.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        line = b"x" * 4000 + b"\n"

        def stopped_taking_input():
            # The pipe full, mqchat asleep in poll() and the pipe still
            # full: it no longer polls its standard input.
            return (not self.write_some(fd, line) and kernel_view.waiting_in_poll(m.proc.pid)
                    and not self.write_some(fd, line))

        harness.wait_until(stopped_taking_input, timeout=120, what="mqchat to stop taking input")
        stalled_done.set()
        m.err.wait_for(r"\d+ message\(s\) at qos 0 lost with the connection",
                       timeout=LINK_TIMEOUT)
        m.err.wait_for(r"connection to .* lost: .*; retrying in 1 s", timeout=LINK_TIMEOUT)
        self.assertIsNone(m.proc.poll(), m.err.text())

    @staticmethod
    def write_some(fd, line):
        """Writes lines until the pipe is full; True if any went in."""
        wrote = False
        try:
            for _ in range(64):
                os.write(fd, line)
                wrote = True
        except BlockingIOError:
            pass
        return wrote


if __name__ == "__main__":
    harness.main()
