#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The receiving end of bench/run's irc section: an IRC client that only
listens, on a raw socket (no library, so that it costs the same whichever
bridge is measured).

  irc_reader.py PORT NICK CHANNEL OUT

Registers as NICK on 127.0.0.1:PORT, joins CHANNEL and answers the
server's PINGs.  Appends to OUT "# joined" once the channel's names have
come (366), then every PRIVMSG as "NS LINE": NS the CLOCK_MONOTONIC time,
in ns, at which the read that brought it returned (the clock every
process on the machine shares, so a publisher's stamp can be set against
it).  Runs until killed or the server closes."""
import socket
import sys
import time


def handle(sock, channel, line, now):
    """What one line from the server means for OUT (None: nothing)."""
    words = line.split(b" ", 3)
    if words[0] == b"PING":
        sock.sendall(b"PONG" + line[4:] + b"\r\n")
    elif len(words) > 1 and words[1] == b"001":
        sock.sendall(b"JOIN " + channel + b"\r\n")
    elif len(words) > 1 and words[1] == b"366":
        return b"# joined"
    elif len(words) > 1 and words[1] == b"PRIVMSG":
        return b"%d %s" % (now, line)
    return None


def main():
    port, nick, channel, out = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4]
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"NICK {nick}\r\nUSER {nick} 0 * :bench reader\r\n".encode())
    pending = b""
    with open(out, "ab", buffering=0) as f:
        while True:
            data = sock.recv(65536)
            if not data:
                return 1
            now = time.monotonic_ns()
            *lines, pending = (pending + data).split(b"\r\n")
            kept = [k for k in (handle(sock, channel, l, now) for l in lines) if k]
            if kept:
                f.write(b"".join(k + b"\n" for k in kept))


if __name__ == "__main__":
    sys.exit(main())
