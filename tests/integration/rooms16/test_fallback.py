# SPDX-License-Identifier: MIT
"""A broker that refuses MQTT 5: mqchat (protocol = 5, the default) is
answered "unsupported protocol version" and retries at once with 3.1.1,
saying so in one warning; then it chats, says it is present, and a
reconnection neither asks for 5 again nor warns again.  The refusing
broker is a proxy in front of the real mosquitto (with
conf/mosquitto-acl.conf) that answers an MQTT 5 CONNECT itself with
CONNACK 0x84 and passes anything else through."""
import re
import select
import socket
import threading

import harness
from rooms16_helpers import SLOW, AclTestCase, wait_connected

FALLBACK = r"the broker refused MQTT 5; using 3\.1\.1"
# CONNACK, MQTT 5: no session present, reason 0x84 (unsupported protocol
# version), no properties.
REFUSED_V5 = b"\x20\x03\x00\x84\x00"


def protocol_level(connect):
    """The protocol level of a CONNECT packet (4: 3.1.1, 5: MQTT 5)."""
    i = 1
    while connect[i] & 0x80:  # the remaining length's bytes
        i += 1
    name_len = int.from_bytes(connect[i + 1:i + 3], "big")
    return connect[i + 3 + name_len]


class NoMqtt5(harness.TcpProxy):
    """A proxy that refuses MQTT 5 CONNECTs; counts what it saw."""

    def __init__(self, broker_port):
        self.levels = []
        super().__init__(broker_port)

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._first_packet, args=(client,), daemon=True).start()

    def _first_packet(self, client):
        data = b""
        try:
            while len(data) < 16:  # fixed header, length, "MQTT", level
                chunk = client.recv(65536)
                if not chunk:
                    client.close()
                    return
                data += chunk
        except OSError:
            client.close()
            return
        level = protocol_level(data)
        self.levels.append(level)
        if level == 5:
            client.sendall(REFUSED_V5)
            client.close()
            return
        upstream = socket.create_connection(("127.0.0.1", self.broker_port))
        upstream.sendall(data)
        with self.lock:
            self.sockets += [client, upstream]
        self._pump(client, upstream)


class FallbackTest(AclTestCase):

    def test_refused_mqtt5_falls_back_to_311_once(self):
        proxy = NoMqtt5(self.broker.port)
        self.cleanups.append(proxy.close)
        room = harness.Subscriber(self.broker)
        self.cleanups.append(room.stop)
        ini = self.ini("ana", "Ana", "ana", mqtt={"port": proxy.port, "protocol": "5"})
        ana = self.mqchat(ini, name="ana")
        try:
            ana.err.wait_for(rf"connected to 127\.0\.0\.1:{proxy.port}\b", timeout=SLOW)
        except AssertionError as e:
            raise AssertionError(f"{e}\nCONNECTs seen (protocol levels): {proxy.levels}") \
                from None
        self.assertEqual(len(re.findall(FALLBACK, ana.err.text())), 1, ana.err.text())
        self.assertEqual(proxy.levels[:2], [5, 4], proxy.levels)

        ana.send("hola en 3.1.1")
        room.out.wait_for(r"^Ana: hola en 3\.1\.1$", timeout=SLOW)
        self.wait_who(["Ana"])

        # A reconnection stays at 3.1.1, without a second warning.
        at = len(ana.err.lines)
        proxy.cut()
        ana.err.wait_for(rf"connected to 127\.0\.0\.1:{proxy.port}\b", timeout=SLOW, start=at)
        self.assertEqual(proxy.levels[2:], [4], proxy.levels)
        self.assertEqual(len(re.findall(FALLBACK, ana.err.text())), 1, ana.err.text())
        ana.send("sigo aquí")
        room.out.wait_for(r"^Ana: sigo aquí$", timeout=SLOW)


if __name__ == "__main__":
    harness.main()
