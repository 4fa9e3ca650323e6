# SPDX-License-Identifier: MIT
"""SASL PLAIN, against a scripted server (no packaged IRC server does SASL
on its own): CAP LS offers sasl; mqchat with sasl = on and a password_file
asks for it, authenticates with AUTHENTICATE PLAIN and the right base64,
and registration goes on once the server says 903; a wrong password (904)
ends it, with exit 69 as the only network."""
import base64
import socket
import threading

import harness
from irc_helpers import CHANNEL, SLOW, TestCase

PASSWORD = "s3cret ñ"


class FakeSaslServer:
    """One client, on a thread: answers the registration, CAP, AUTHENTICATE
    (903 for the base64 of "\\0Ana\\0<PASSWORD>", else 904), JOIN and PING
    as a server would, and records every line the client sent."""

    def __init__(self, tc):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lines = []
        self.lock = threading.Lock()
        self.expected = base64.b64encode(f"\0Ana\0{PASSWORD}".encode()).decode()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        tc.cleanups.append(self.close)

    def serve(self):
        self.listener.settimeout(SLOW)
        try:
            client, _ = self.listener.accept()
        except OSError:
            return  # nobody came, or closed
        with client:
            self.talk(client)

    def talk(self, client):
        state = {"nick": None, "user": False, "cap_end": False, "welcomed": False}
        buf = b""
        while True:
            data = client.recv(4096)
            if not data:
                return
            buf += data
            while b"\r\n" in buf:
                raw, buf = buf.split(b"\r\n", 1)
                line = raw.decode("utf-8", "replace")
                with self.lock:
                    self.lines.append(line)
                for reply in self.answer(line, state):
                    client.sendall(reply.encode() + b"\r\n")

    def answer(self, line, state):
        words = line.split(" ")
        cmd, args = words[0].upper(), words[1:]
        nick = state["nick"] or "*"
        if cmd == "CAP" and args[:1] == ["LS"]:
            return [":fake CAP * LS :multi-prefix sasl"]
        if cmd == "CAP" and args[:1] == ["REQ"]:
            return [f":fake CAP {nick} ACK {' '.join(args[1:])}"]
        if cmd == "AUTHENTICATE" and args == ["PLAIN"]:
            return ["AUTHENTICATE +"]
        if cmd == "AUTHENTICATE":
            if args == [self.expected]:
                return [f":fake 900 {nick} {nick}!{nick}@fake {nick} :You are now logged in",
                        f":fake 903 {nick} :SASL authentication successful"]
            return [f":fake 904 {nick} :SASL authentication failed"]
        if cmd == "NICK":
            state["nick"] = args[0]
        elif cmd == "USER":
            state["user"] = True
        elif cmd == "CAP" and args[:1] == ["END"]:
            state["cap_end"] = True
        elif cmd == "JOIN":
            return [f":{nick}!{nick}@fake JOIN {args[0]}",
                    f":fake 353 {nick} = {args[0]} :{nick}",
                    f":fake 366 {nick} {args[0]} :End of /NAMES list"]
        elif cmd == "PING":
            return [f":fake PONG fake {' '.join(args)}"]
        if state["nick"] and state["user"] and state["cap_end"] and not state["welcomed"]:
            state["welcomed"] = True
            return [f":fake 001 {nick} :Welcome", f":fake 376 {nick} :End of MOTD"]
        return []

    def received(self):
        with self.lock:
            return list(self.lines)

    def wait_line(self, prefix):
        """Index of the first line the client sent that starts with `prefix`."""
        def find():
            return next((i + 1 for i, l in enumerate(self.received()) if l.startswith(prefix)),
                        0)
        return harness.wait_until(find, SLOW, f"{prefix!r}; got {self.received()}") - 1

    def close(self):
        self.listener.close()


class IrcSaslTest(TestCase):

    def start_sasl(self, password):
        server = FakeSaslServer(self)
        ini = self.irc_ini(server.port, fifo=False,
                           irc={"sasl": "on", "password_file": self.password_file(password),
                                "retry": "off"})
        return server, self.mqchat(ini)

    def test_sasl_plain_then_registration_goes_on(self):
        server, m = self.start_sasl(PASSWORD)
        join = server.wait_line(f"JOIN {CHANNEL}")
        lines = server.received()
        self.assertEqual(lines[0], "CAP LS 302")
        req = server.wait_line("CAP REQ ")
        self.assertIn("sasl", lines[req].split(":", 1)[-1].split())
        plain = lines.index("AUTHENTICATE PLAIN")
        self.assertEqual(lines[plain + 1], f"AUTHENTICATE {server.expected}")
        self.assertLess(req, plain)
        self.assertLess(plain, lines.index("CAP END"))
        self.assertLess(lines.index("CAP END"), join)
        self.assertTrue(any(l.startswith("NICK Ana") for l in lines[:join]), lines)
        self.assertFalse(any(l.startswith("PASS") for l in lines), lines)
        # Registered: what is typed now goes to the channel.
        m.send("hola tras SASL")
        server.wait_line(f"PRIVMSG {CHANNEL} :hola tras SASL")
        self.assertIsNone(m.proc.poll(), m.err.text())

    def test_wrong_password_exits_69(self):
        server, m = self.start_sasl("not the password")
        self.assert_exits(m, 69)
        self.assertRegex(m.err.text(), r"SASL")
        lines = server.received()
        self.assertIn("AUTHENTICATE PLAIN", lines)
        self.assertFalse(any(l.startswith(("JOIN", "PRIVMSG")) for l in lines), lines)


if __name__ == "__main__":
    harness.main()
