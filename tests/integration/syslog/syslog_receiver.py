# SPDX-License-Identifier: MIT
"""A real receiver of syslog datagrams for the syslog tests: an AF_UNIX
datagram socket bound at a path, as a syslog daemon binds /dev/log.

It reads only when asked, so a test can leave it full (a stalled daemon)."""
import os
import re
import select
import socket
import time

import harness

# <PRI>Mmm dd hh:mm:ss ident[pid]: text   (what glibc sends to /dev/log)
RECORD = re.compile(
    rb"^<(?P<pri>\d{1,3})>(?P<month>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    rb"(?P<day>[ 123]\d) (?P<time>\d\d:\d\d:\d\d) (?P<ident>[^\s:\[\]]+)"
    rb"(?:\[(?P<pid>\d+)\])?: (?P<text>.*)\Z", re.S)


class Receiver:
    def __init__(self, path):
        self.path = path
        self.records = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass

    def drain(self):
        """Reads every datagram queued right now; returns them."""
        got = []
        while True:
            try:
                got.append(self.sock.recv(1 << 17, socket.MSG_DONTWAIT))
            except BlockingIOError:
                break
        self.records += got
        return got

    def wait_for(self, pattern, timeout=harness.DEFAULT_TIMEOUT, start=0):
        """Index in self.records of the first datagram (from `start`) that
        matches regex `pattern` (bytes), reading as needed."""
        rx = re.compile(pattern, re.S)
        deadline = time.monotonic() + timeout
        i = start
        while True:
            while i < len(self.records):
                if rx.search(self.records[i]):
                    return i
                i += 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(
                    f"no record matching {pattern!r} within {timeout}s; got:\n"
                    + "\n".join(repr(r) for r in self.records[-20:]))
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                self.drain()


def parse(record):
    """The fields of one syslog line, or an AssertionError saying why not."""
    m = RECORD.match(record)
    if not m:
        raise AssertionError(f"not an RFC 3164 local record: {record!r}")
    return m


def parse_journal(datagram):
    """The fields of one native journal datagram, as {name: bytes}."""
    fields, i = {}, 0
    while i < len(datagram):
        nl = datagram.index(b"\n", i)
        line = datagram[i:nl]
        if b"=" in line:
            name, value = line.split(b"=", 1)
            i = nl + 1
        else:
            name = line
            size = int.from_bytes(datagram[nl + 1:nl + 9], "little")
            value = datagram[nl + 9:nl + 9 + size]
            if datagram[nl + 9 + size:nl + 10 + size] != b"\n":
                raise AssertionError(f"bad binary field {name!r} in {datagram!r}")
            i = nl + 10 + size
        fields[name.decode()] = value
    return fields
