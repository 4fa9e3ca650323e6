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


def read_varint(data, at):
    """(value, offset after it) of the variable byte integer at `at`."""
    value, shift = 0, 0
    while True:
        byte = data[at]
        at += 1
        value += (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at


class ClientPublish:
    """A PUBLISH from the client (MQTT 5), read by its QoS: a packet id only
    at QoS 1 and 2 (none at QoS 0, such as a presence delete)."""

    def __init__(self, first, body):
        self.qos = (first >> 1) & 3
        self.retain = bool(first & 1)
        topic_len = int.from_bytes(body[:2], "big")
        self.topic = body[2:2 + topic_len].decode()
        at = 2 + topic_len
        self.pid = None
        if self.qos:
            self.pid = body[at:at + 2]
            at += 2
        length, at = read_varint(body, at)
        self.properties = body[at:at + length]
        self.payload = body[at + length:]

    def ack(self):
        """The broker's answer: PUBACK (QoS 1), PUBREC (QoS 2), none (QoS 0)."""
        if not self.qos:
            return b""
        return packet(0x40 if self.qos == 1 else 0x50, self.pid)


def topic_filters(body, options):
    """How many topic filters a SUBSCRIBE (`options` True: an options byte
    after each) or UNSUBSCRIBE body from the client (MQTT 5) holds."""
    length, at = read_varint(body, 2)
    at += length
    count = 0
    while at < len(body):
        at += 2 + int.from_bytes(body[at:at + 2], "big") + (1 if options else 0)
        count += 1
    return count


def suback(body, qos=1):
    """The SUBACK granting `qos` to each filter of a SUBSCRIBE body."""
    return packet(0x90, body[:2] + b"\x00" + bytes([qos]) * topic_filters(body, True))


def unsuback(body):
    """The UNSUBACK of an UNSUBSCRIBE body: success for each filter."""
    return packet(0xB0, body[:2] + b"\x00" + b"\x00" * topic_filters(body, False))


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
        try:
            length, at = read_varint(self.buf, 1)
        except IndexError:  # the length is not all here yet
            return None
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
    """Listens on 127.0.0.1 (with a receive buffer of `rcvbuf` bytes if
    given); runs scripts[i](Connection) for the i-th connection (the last
    one for any further connection).  A script's
    exception is kept in `errors` for the test to report."""

    def __init__(self, scripts, rcvbuf=None):
        self.scripts = scripts
        self.listener = socket.socket()
        if rcvbuf:  # before listen(): the window is set up with it
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
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
