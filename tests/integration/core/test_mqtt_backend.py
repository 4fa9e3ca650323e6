# SPDX-License-Identifier: MIT
"""The mqtt backend against a real mosquitto: failing to connect, retrying,
surviving a broker restart, a host that never answers, MQTT 3.1.1, default
client ids, keepalive, bad values.  TLS, credentials, sessions, the Last
Will and many descriptors: tests/integration/mqtt/."""
import os
import re
import socket
import subprocess

import harness
from harness import Broker, TestCase, basic_ini, free_port, publish

# Batch mode prints what others say through this template.
STDIN = {"format": "{nick}: {text}"}
# Connection state changes reach stderr; generous but finite.
LINK_TIMEOUT = 20


def connected_rx(port):
    return rf"connected to 127\.0\.0\.1:{port}\b"


class MqttBackendTest(TestCase):
    broker_conf = "log_type all\n"

    def start(self, ini, name="mqchat", **kw):
        m = self.mqchat(ini, name=name, **kw)
        return m

    def subscriber(self, broker=None):
        # LineSubscriber: plain Subscriber misses its SUBACK on a pipe.
        s = harness.LineSubscriber(broker or self.broker)
        self.cleanups.append(s.stop)
        return s

    def broker_log(self):
        with open(self.broker.log_path, errors="replace") as f:
            return f.read()

    def wait_up(self, m, port, start=0):
        return m.err.wait_for(connected_rx(port), timeout=LINK_TIMEOUT, start=start)

    def test_unreachable_broker_exits_69_naming_host_and_port(self):
        port = free_port()  # nobody listens there
        ini = basic_ini(self.workdir, self.broker, mqtt={"port": port}, stdin=STDIN)
        m = self.start(ini)  # stdin stays open: only the link can end it
        rc = m.wait(timeout=LINK_TIMEOUT)
        self.assertEqual(rc, 69, m.err.text())
        self.assertRegex(m.err.text(), rf"127\.0\.0\.1:{port}")
        self.assertRegex(m.err.text(), r"(?i)refused")

    def silent_port(self):
        """A port whose listen queue is full: connect() there hangs, as to a
        host that drops packets."""
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            c.connect_ex(("127.0.0.1", port))
            fillers.append(c)
        self.cleanups.append(lambda: [s.close() for s in fillers + [server]])
        return port

    def check_gives_up_after_connect_timeout(self, protocol):
        port = self.silent_port()
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"port": port, "protocol": protocol, "connect_timeout": "2"})
        m = self.start(ini)
        # The kernel would go on trying to connect for about two minutes:
        # only mqchat's own timer ends it within LINK_TIMEOUT, and says so.
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 69, m.err.text())
        self.assertRegex(m.err.text(), rf"cannot connect to 127\.0\.0\.1:{port}: "
                                       r"no answer within 2 s \(connect_timeout\)")

    def test_silent_host_mqtt5_persistent_gives_up_after_connect_timeout(self):
        # The one case that connects with a blocking call (see mqtt_connect.c).
        self.check_gives_up_after_connect_timeout("5")

    def test_silent_host_mqtt311_gives_up_after_connect_timeout(self):
        self.check_gives_up_after_connect_timeout("3.1.1")

    def test_retry_on_connects_once_a_broker_appears(self):
        port = free_port()
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"port": port, "retry": "on"})
        m = self.start(ini)
        m.err.wait_for(r"retrying in", timeout=LINK_TIMEOUT)
        self.assertIsNone(m.proc.poll(), "mqchat gave up although retry = on")
        m.send("sent while the broker was away")

        late = Broker(self.workdir, port=port).start()
        self.cleanups.append(late.stop)
        sub = self.subscriber(late)
        self.wait_up(m, port)
        sub.out.wait_for(r"^Ana: sent while the broker was away$", timeout=LINK_TIMEOUT)
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def test_broker_restart_mid_session(self):
        port = self.broker.port
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN)
        m = self.start(ini)
        self.wait_up(m, port)
        sub = self.subscriber()
        m.send("before")
        sub.out.wait_for(r"^Ana: before$")
        publish(self.broker, "Bob: first")
        m.out.wait_for(r"^Bob: first$")
        sub.stop()

        mark = len(m.err.lines)
        self.broker.restart()
        lost = m.err.wait_for(r"(?i)lost|closed|retrying", timeout=LINK_TIMEOUT, start=mark)
        self.wait_up(m, port, start=lost + 1)
        self.assertIsNone(m.proc.poll())

        sub2 = self.subscriber()
        m.send("after")
        sub2.out.wait_for(r"^Ana: after$", timeout=LINK_TIMEOUT)
        publish(self.broker, "Bob: second")
        m.out.wait_for(r"^Bob: second$", timeout=LINK_TIMEOUT)
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def check_own_message_shown_once(self, protocol):
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"protocol": protocol})
        m = self.start(ini)
        self.wait_up(m, self.broker.port)
        sub = self.subscriber()
        m.send("hello")
        sub.out.wait_for(r"^Ana: hello$")
        # The broker delivers to mqchat in order: once the marker is out,
        # any echo of "hello" would have been printed before it.
        publish(self.broker, "Bob: marker")
        m.out.wait_for(r"^Bob: marker$")
        self.assertNotIn("Ana: hello", m.out.text(), "own message came back")
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())
        return m

    def test_protocol_311_works_and_own_messages_are_not_shown_twice(self):
        self.check_own_message_shown_once("3.1.1")
        # mosquitto logs its own protocol numbers: p2 is MQTT 3.1.1.
        self.assertRegex(self.broker_log(), r"as mqchat-[0-9a-f]{8}-\d+ \(p2,")

    def test_protocol_5_own_messages_are_not_shown_twice(self):
        self.check_own_message_shown_once("5")
        self.assertRegex(self.broker_log(), r"as mqchat-[0-9a-f]{8}-\d+ \(p5,")

    def client_id_of(self, m):
        line = m.err.lines[self.wait_up(m, self.broker.port)].decode()
        found = re.search(r" as (\S+)", line)
        self.assertIsNotNone(found, line)
        return found.group(1)

    def test_default_client_ids_distinct_concurrently_stable_across_restarts(self):
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN)
        # One name: the same home, identity and runtime directory.
        a = self.start(ini, name="same")
        id_a = self.client_id_of(a)
        b = self.start(ini, name="same")
        id_b = self.client_id_of(b)
        self.assertRegex(id_a, r"^mqchat-[0-9a-f]{8}-\d+$")
        self.assertNotEqual(id_a, id_b)
        self.assertIn(f"as {id_a} ", self.broker_log())
        self.assertIn(f"as {id_b} ", self.broker_log())

        a.close_stdin()
        self.assertEqual(a.wait(timeout=LINK_TIMEOUT), 0, a.err.text())
        again = self.start(ini, name="same")
        self.assertEqual(self.client_id_of(again), id_a)
        # b was never knocked off by a client with its id.
        self.assertIsNone(b.proc.poll())
        self.assertNotRegex(self.broker_log(),
                            rf"Client {re.escape(id_b)} already connected")
        for m in (again, b):
            m.close_stdin()
            self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def test_keepalive_pings_keep_an_idle_link_up(self):
        # The backend checks keepalive only every keepalive/4 once up (so an
        # idle process sleeps): the broker must still see timely PINGREQs.
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN, mqtt={"keepalive": "5"})
        m = self.start(ini)
        cid = self.client_id_of(m)
        for n in (1, 2):  # two rounds: the second proves PINGRESP was handled
            harness.wait_until(
                lambda: self.broker_log().count(f"Received PINGREQ from {cid}") >= n,
                timeout=LINK_TIMEOUT, what=f"PINGREQ #{n} from {cid}")
        self.assertNotIn(f"Client {cid} has exceeded timeout", self.broker_log())
        self.assertIsNone(m.proc.poll())
        publish(self.broker, "Bob: still there?")
        m.out.wait_for(r"^Bob: still there\?$")
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def check_bad_value(self, mqtt, key):
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN, mqtt=mqtt)
        m = self.start(ini, stdin=subprocess.DEVNULL)
        rc = m.wait(timeout=LINK_TIMEOUT)
        err = m.err.text()
        self.assertEqual(rc, 78, err)
        # "FILE:LINE: [mqtt] key: ..." -- the line where the key is.
        with open(ini) as f:
            lineno = next(i for i, l in enumerate(f, 1) if l.startswith(f"{key} ="))
        self.assertRegex(err, rf"{re.escape(os.path.basename(ini))}:{lineno}\b.*{key}")

    def test_bad_port(self):
        self.check_bad_value({"port": "abc"}, "port")

    def test_bad_qos(self):
        self.check_bad_value({"qos": "3"}, "qos")

    def test_tls_files_while_tls_off(self):
        cafile = os.path.join(self.workdir, "ca.pem")
        open(cafile, "w").close()
        self.check_bad_value({"cafile": cafile}, "cafile")

    def test_tls_options_while_tls_off(self):
        for key, value in (("tls_version", "tlsv1.3"), ("alpn", "mqtt"),
                           ("tls_insecure", "on")):
            with self.subTest(key=key):
                self.check_bad_value({key: value}, key)

    def test_bad_tls_values(self):
        for key, value in (("tls_version", "tlsv1.1"), ("tls_version", "TLS1.3"),
                           ("alpn", "two words"), ("tls_insecure", "maybe")):
            with self.subTest(key=key, value=value):
                self.check_bad_value({"tls": "on", key: value}, key)

    def test_client_certificate_without_a_ca(self):
        cert = os.path.join(self.workdir, "client.pem")
        open(cert, "w").close()
        self.check_bad_value({"tls": "on", "certfile": cert, "keyfile": cert}, "certfile")

    def test_bad_session_values(self):
        for key, value in (("session", "forever"), ("session_expiry", "-1"),
                           ("session_expiry", "4294967296"), ("will", "sometimes")):
            with self.subTest(key=key, value=value):
                self.check_bad_value({key: value}, key)

    def test_check_config_prints_the_new_keys(self):
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"session_expiry": "4294967295", "tls": "on",
                              "tls_version": "tlsv1.3", "alpn": "mqtt"})
        out = subprocess.run([harness.MQCHAT, "-c", ini, "--check-config"],
                             capture_output=True, text=True, timeout=LINK_TIMEOUT,
                             env=harness.isolated_env(self.workdir))
        self.assertEqual(out.returncode, 0, out.stderr)
        for line in ("session = persistent", "session_expiry = 4294967295", "will = on",
                     "tls_insecure = off", "tls_version = tlsv1.3", "alpn = mqtt"):
            self.assertRegex(out.stdout, rf"(?m)^{re.escape(line)}\b")


if __name__ == "__main__":
    harness.main()
