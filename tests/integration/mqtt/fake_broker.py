# SPDX-License-Identifier: MIT
"""A scripted MQTT 5 server for what no real broker does: sending malformed
packets.  It speaks just enough MQTT to get a client to the point where the
bad packet matters (CONNACK, SUBACK, PUBACK); each accepted connection runs
the next script of the list it was given."""
import socket
import threading

import harness


def varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first_byte, body):
    return bytes([first_byte]) + varint(len(body)) + body


def utf8(text):
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


CONNACK_OK = packet(0x20, b"\x00\x00\x00")  # no session, success, no properties


def publish(topic, payload, properties=b"\x00"):
    """A QoS 0 PUBLISH; `properties` is the raw property section, its
    length included."""
    return packet(0x30, utf8(topic) + properties + payload)


class Connection:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read_packet(self, timeout=harness.DEFAULT_TIMEOUT):
        """(first byte, body) of the next packet from the client; None at EOF."""
        self.sock.settimeout(timeout)
        while True:
            parsed = self._parse()
            if parsed:
                return parsed
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data

    def _parse(self):
        if len(self.buf) < 2:
            return None
        length, shift, at = 0, 0, 1
        while True:
            if at >= len(self.buf):
                return None
            byte = self.buf[at]
            length += (byte & 0x7F) << shift
            shift += 7
            at += 1
            if not byte & 0x80:
                break
        if len(self.buf) < at + length:
            return None
        first, body = self.buf[0], self.buf[at:at + length]
        self.buf = self.buf[at + length:]
        return first, body

    def expect(self, kind):
        """Reads packets until one of type `kind` (the high nibble); its body."""
        while True:
            got = self.read_packet()
            if got is None:
                raise AssertionError(f"the client closed before sending packet type {kind}")
            if got[0] >> 4 == kind:
                return got[1]

    def send(self, data):
        self.sock.sendall(data)

    def accept_session(self, v5=True):
        """CONNECT -> CONNACK, SUBSCRIBE -> SUBACK granting QoS 1."""
        self.expect(1)
        self.send(CONNACK_OK if v5 else packet(0x20, b"\x00\x00"))
        body = self.expect(8)
        self.send(packet(0x90, body[:2] + (b"\x00\x01" if v5 else b"\x01")))

    def drain(self):
        """Reads until the client hangs up."""
        while self.read_packet() is not None:
            pass

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class FakeBroker:
    """Listens on 127.0.0.1; runs scripts[i](Connection) for the i-th
    connection (the last one for any further connection).  A script's
    exception is kept in `errors` for the test to report."""

    def __init__(self, scripts):
        self.scripts = scripts
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = 0
        self.errors = []
        self.done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            script = self.scripts[min(self.connections, len(self.scripts) - 1)]
            self.connections += 1
            threading.Thread(target=self._run, args=(script, Connection(sock)),
                             daemon=True).start()

    def _run(self, script, conn):
        try:
            script(conn)
        except Exception as e:  # reported by the test
            self.errors.append(e)
        finally:
            conn.close()

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
