# SPDX-License-Identifier: MIT
"""What the broker refuses after accepting the connection, and what a
connection takes with it: a subscription its ACL forbids (a real mosquitto
with its dynamic security plugin) ends mqchat with 69 naming the topic, at
once with MQTT 5, which says "Not authorized", after asking again three
times with 3.1.1, whose one code also means "it failed"; allowed meanwhile
(an admin's dynamic security command), it lets mqchat in.  QoS 0 messages
libmosquitto still held when the connection dropped are reported lost (QoS 0
is at most once), and mqchat goes on."""
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import threading

import harness
import kernel_view
from fake_broker import FakeBroker
from mqtt_helpers import LINK_TIMEOUT, STDIN, wait_up

EX_UNAVAILABLE = 69


DYNSEC = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
ADMIN = ("admin", "s3cret-admin")


class SubackRefusalTest(harness.TestCase):
    def start_with_acl(self, protocol, retry):
        # mosquitto's acl_file lets every subscription through (it filters
        # what is delivered); its dynamic security plugin refuses them.
        # Anonymous clients may publish, not subscribe; ADMIN may change that.
        acl = os.path.join(self.workdir, "dynsec.json")
        subprocess.run(["mosquitto_ctrl", "dynsec", "init", acl, *ADMIN], check=True,
                       stdout=subprocess.DEVNULL, timeout=harness.DEFAULT_TIMEOUT)
        with open(acl) as f:
            config = json.load(f)
        config["defaultACLAccess"] = {"publishClientSend": True, "publishClientReceive": True,
                                      "subscribe": False, "unsubscribe": True}
        with open(acl, "w") as f:
            json.dump(config, f)
        self.broker.stop()
        self.broker = harness.Broker(
            self.workdir, f"user root\nplugin {DYNSEC}\nplugin_opt_config_file {acl}\n",
            port=self.broker.port).start()
        ini = harness.basic_ini(self.workdir, self.broker, stdin=STDIN,
                                mqtt={"protocol": protocol, "retry": retry})
        return self.mqchat(ini)

    def allow_subscriptions(self):
        """ADMIN's dynamic security command, by mosquitto_rr (mosquitto_ctrl
        2.0.11's setDefaultACLAccess left the access as it was)."""
        command = {"commands": [{"command": "setDefaultACLAccess",
                                 "acls": [{"acltype": "subscribe", "allow": True}]}]}
        topic = "$CONTROL/dynamic-security/v1"
        answer = subprocess.run(
            ["mosquitto_rr", "-h", "127.0.0.1", "-p", str(self.broker.port), "-u", ADMIN[0],
             "-P", ADMIN[1], "-t", topic, "-e", f"{topic}/response", "-W", "10",
             "-m", json.dumps(command)],
            check=True, capture_output=True, timeout=harness.DEFAULT_TIMEOUT)
        self.assertEqual(json.loads(answer.stdout), {"responses": [{"command":
                                                                   "setDefaultACLAccess"}]})

    def test_a_forbidden_subscription_exits_69_naming_the_topic(self):
        # retry = on does not make it try for ever.
        for protocol, reason, asked_again in (
                ("5", r"Not authorized", 0),
                ("3.1.1", r"return code 0x80 \(not allowed, or it failed\)", 3)):
            with self.subTest(protocol):
                m = self.start_with_acl(protocol, retry="on")
                self.assertEqual(m.wait(LINK_TIMEOUT + 10), EX_UNAVAILABLE, m.err.text())
                refused = (r"cannot connect to 127\.0\.0\.1:\d+: the broker refused the "
                           rf"subscription to {harness.TOPIC}: {reason}")
                self.assertRegex(m.err.text(), re.compile(refused + "$", re.M))
                self.assertEqual(len(re.findall(refused + r"; retrying in \d+ s$", m.err.text(),
                                                re.M)), asked_again, m.err.text())

    def test_a_subscription_allowed_while_asked_again_lets_mqchat_in(self):
        m = self.start_with_acl("3.1.1", retry="off")
        m.err.wait_for(rf"refused the subscription to {harness.TOPIC}: .*; retrying in",
                       timeout=LINK_TIMEOUT)
        # Stopped meanwhile, mqchat cannot ask a last time before the change;
        # it is stopped as soon as its first refusal shows, within the 5.25 s
        # at least before that last ask (asked again after 1, 2 and 4 s, each
        # less up to a quarter of jitter: mqtt_backoff_ms).
        m.signal(signal.SIGSTOP)
        try:
            self.allow_subscriptions()
        finally:
            m.signal(signal.SIGCONT)
        wait_up(m, self.broker.port)
        harness.publish(self.broker, "Eve: ya puedes leer")
        m.out.wait_for(r"^Eve: ya puedes leer$", timeout=LINK_TIMEOUT)
        m.close_stdin()
        self.assertEqual(m.wait(LINK_TIMEOUT), 0, m.err.text())


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
