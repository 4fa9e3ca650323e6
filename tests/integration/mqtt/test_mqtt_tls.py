# SPDX-License-Identifier: MIT
"""TLS between mqchat and a real mosquitto, with a CA and certificates made
by openssl at test time: the broker is verified (right CA, wrong CA, a
self-signed server, the system's CAs), a client certificate is presented
when the broker requires one, tls_version and alpn reach the handshake,
and tls_insecure says loudly what it gives up."""
import shutil
import subprocess
import tempfile

import harness
from harness import Broker, TestCase, basic_ini, free_port
from mqtt_helpers import (LINK_TIMEOUT, STDIN, broker_log, connected_rx, make_cert,
                          tls_listener_conf, wait_up)

# connect_timeout's maximum: a client waiting for it outlives every deadline.
PATIENT = "3600"


class MqttTlsTest(TestCase):
    def setUp(self):
        self.certdir = tempfile.mkdtemp(prefix="mqchat-tls-")
        self.addCleanup(shutil.rmtree, self.certdir, True)
        self.ca = make_cert(self.certdir, "testca", server=False)
        self.server = make_cert(self.certdir, "server", ca=self.ca)
        # The default broker's only listener speaks TLS.
        self.broker_conf = tls_listener_conf(self.ca[0], self.server)
        super().setUp()

    def start_broker(self, conf):
        broker = Broker(self.workdir, conf).start()
        self.cleanups.append(broker.stop)
        return broker

    def tls_subscriber(self, broker, *extra):
        sub = harness.Subscriber(broker, extra=["--cafile", self.ca[0]] + list(extra))
        self.cleanups.append(sub.stop)
        return sub

    def start(self, broker, **mqtt):
        ini = basic_ini(self.workdir, broker, stdin=STDIN, mqtt=dict(tls="on", **mqtt))
        return self.mqchat(ini)

    def check_chats(self, m, broker, *sub_extra):
        wait_up(m, broker.port)
        sub = self.tls_subscriber(broker, *sub_extra)
        m.send("over tls")
        sub.out.wait_for(r"^Ana: over tls$")
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def check_refused(self, m, broker, reason):
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 69, m.err.text())
        self.assertRegex(m.err.text(), rf"127\.0\.0\.1:{broker.port}.*{reason}")
        self.assertNotRegex(m.err.text(), connected_rx(broker.port))

    def test_tls_paths_of_the_wrong_kind_are_refused_before_connecting(self):
        """Each would pass libmosquitto's own check and fail only in the
        handshake, as "a TLS error"."""
        cases = [("cafile", {"cafile": self.certdir}, "a directory, not a file"),
                 ("capath", {"capath": self.ca[0]}, "Not a directory"),
                 ("certfile", {"cafile": self.ca[0], "certfile": self.certdir,
                               "keyfile": self.ca[1]}, "a directory, not a file"),
                 ("cafile", {"cafile": "/dev/null"}, "not a regular file")]
        for key, keys, says in cases:
            with self.subTest(key=key, says=says):
                ini = basic_ini(self.workdir, self.broker, mqtt=dict(tls="on", **keys))
                for args in (["--check-config"], []):
                    m = self.mqchat(ini, args=args, stdin=subprocess.DEVNULL)
                    self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 78, m.err.text())
                    self.assertRegex(m.err.text(), rf"mqchat\.ini:\d+: \[mqtt\] {key}: "
                                     rf"cannot read .*: {says}")

    def test_right_ca_verifies_the_broker_and_carries_messages(self):
        m = self.start(self.broker, cafile=self.ca[0])
        self.check_chats(m, self.broker)

    def test_wrong_ca_exits_69(self):
        other_ca = make_cert(self.certdir, "otherca", server=False)
        m = self.start(self.broker, cafile=other_ca[0])
        self.check_refused(m, self.broker, r"TLS: certificate verify failed")

    def test_self_signed_server_is_refused(self):
        selfsigned = make_cert(self.certdir, "selfsigned")
        broker = self.start_broker(tls_listener_conf(self.ca[0], selfsigned))
        m = self.start(broker, cafile=self.ca[0])
        self.check_refused(m, broker, r"TLS: certificate verify failed")

    def test_without_cafile_the_system_store_is_used(self):
        # tls = on alone trusts the system's CAs, which never signed our
        # private test CA: verified, so refused, and never cleartext.
        m = self.start(self.broker)
        self.check_refused(m, self.broker, r"TLS: certificate verify failed")

    def test_tls_insecure_accepts_a_self_signed_broker_and_warns(self):
        selfsigned = make_cert(self.certdir, "selfsigned")
        broker = self.start_broker(tls_listener_conf(self.ca[0], selfsigned))
        m = self.start(broker, tls_insecure="on")
        m.err.wait_for(r"warning: tls_insecure = on: the broker's certificate and name are "
                       r"NOT checked")
        wait_up(m, broker.port)
        sub = harness.Subscriber(broker, extra=["--cafile", selfsigned[0]])
        self.cleanups.append(sub.stop)
        m.send("nobody checked")
        sub.out.wait_for(r"^Ana: nobody checked$")
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def require_client_certificates(self):
        return self.start_broker(tls_listener_conf(self.ca[0], self.server,
                                                   "require_certificate true\n"))

    def test_client_certificate_when_the_broker_requires_one(self):
        broker = self.require_client_certificates()
        client = make_cert(self.certdir, "client", ca=self.ca, server=False)
        m = self.start(broker, cafile=self.ca[0], certfile=client[0], keyfile=client[1])
        self.check_chats(m, broker, "--cert", client[0], "--key", client[1])
        self.assertRegex(broker_log(broker),
                         r"New client connected from 127\.0\.0\.1:\d+ as mqchat-")

    def test_no_client_certificate_fails_clearly(self):
        broker = self.require_client_certificates()
        m = self.start(broker, cafile=self.ca[0])
        # The TLS 1.3 alert naming the cause is often lost with the connection.
        self.check_refused(m, broker, r"client certificate: set certfile and keyfile")

    def openssl_server(self, *options):
        """openssl s_server on a free port for one handshake: (port, its output)."""
        port = free_port()
        server = subprocess.Popen(
            ["stdbuf", "-oL", "openssl", "s_server", "-accept", f"127.0.0.1:{port}",
             "-cert", self.server[0], "-key", self.server[1], "-naccept", "1"] + list(options),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = harness.LineReader(server.stdout, "openssl s_server")
        self.cleanups.append(lambda: (server.kill(), server.wait()))
        out.wait_for(r"^ACCEPT")
        return port, out

    def test_tls_version_is_the_lowest_accepted(self):
        ok = self.start(self.broker, cafile=self.ca[0], tls_version="tlsv1.3")
        self.check_chats(ok, self.broker)
        # A server that stops at TLS 1.2 is refused at once.
        port, _ = self.openssl_server("-tls1_2")
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"port": port, "tls": "on", "cafile": self.ca[0],
                              "tls_version": "tlsv1.3"})
        m = self.mqchat(ini)
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 69, m.err.text())
        self.assertRegex(m.err.text(),
                         rf"cannot connect to 127\.0\.0\.1:{port}: TLS: .*protocol version")

    def test_alpn_is_offered_in_the_handshake(self):
        # mosquitto 2.0.11 has no ALPN: openssl s_server shows what is offered.
        port, out = self.openssl_server("-alpn", "mqtt")
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"port": port, "tls": "on", "cafile": self.ca[0],
                              "alpn": "mqtt"})
        self.mqchat(ini)
        out.wait_for(r"ALPN protocols advertised by the client: mqtt$", timeout=LINK_TIMEOUT)

    def check_refused_promptly(self, m, broker):
        """No hang on a mismatched port: with connect_timeout at its maximum
        (an hour), only the failed handshake itself can end mqchat within
        check_refused's deadline, and the error names that, not the timer."""
        self.check_refused(m, broker, "")
        self.assertNotRegex(m.err.text(), r"connect_timeout")

    def test_tls_client_against_a_plain_port_fails_promptly(self):
        plain = self.start_broker("")
        m = self.start(plain, cafile=self.ca[0], connect_timeout=PATIENT)
        self.check_refused_promptly(m, plain)

    def test_plain_client_against_a_tls_port_fails_promptly(self):
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt={"connect_timeout": PATIENT})
        self.check_refused_promptly(self.mqchat(ini), self.broker)


if __name__ == "__main__":
    harness.main()
