# SPDX-License-Identifier: MIT
"""Real IRC servers for the irc backend's tests: ngircd and InspIRCd, each
with a configuration the test writes, on a free loopback port, started
and stopped by PID (never a system service).  A server is ready once a
client has connected and registered (001), not after a sleep."""
import os
import signal
import socket
import ssl
import subprocess
import time

import harness

# Two CPUs shared by several test runs: every wait is on an event, bounded
# by this.
SLOW = 3 * harness.DEFAULT_TIMEOUT
CHANNEL = "#tubbies"


def register(port, nick, timeout=harness.DEFAULT_TIMEOUT, tls_context=None, password=None):
    """Connects to 127.0.0.1:`port`, registers as `nick` and quits; returns
    the lines received up to the welcome (001).  Raises OSError (or
    ssl.SSLError) when the server is not there, AssertionError when it
    does not welcome."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout) as raw, \
            (tls_context.wrap_socket(raw, server_hostname="127.0.0.1") if tls_context
             else raw) as sock:
        login = f"PASS {password}\r\n" if password else ""
        sock.sendall(f"{login}NICK {nick}\r\nUSER {nick} 0 * :probe\r\n".encode())
        got = b""
        while not any(l.split(b" ")[1:2] == [b"001"] for l in got.split(b"\r\n")):
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no welcome from port {port}: {got!r}")
            sock.settimeout(left)
            data = sock.recv(4096)
            if not data:
                raise AssertionError(f"port {port} closed before the welcome: {got!r}")
            got += data
        sock.sendall(b"QUIT :probed\r\n")
        return got.decode("utf-8", "replace")


class IrcServer:
    """A server process of the test.  Subclasses write the configuration
    (conf()) and name the command (argv())."""

    kind = "ircd"

    def __init__(self, workdir, port=None):
        self.port = port or harness.free_port()
        self.dir = os.path.join(workdir, f"{self.kind}-{self.port}")
        # A server started as root drops to "nobody": it must still reach
        # its files (the test's workdir is 0700).
        os.chmod(workdir, 0o755)
        os.makedirs(self.dir, mode=0o755, exist_ok=True)
        os.chmod(self.dir, 0o777)
        self.conf_path = os.path.join(self.dir, f"{self.kind}.conf")
        self.log_path = os.path.join(self.dir, f"{self.kind}.out")
        self.proc = None
        self.log = None
        self.started = 0

    def start(self):
        with open(self.conf_path, "w") as f:
            f.write(self.conf())
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.started += 1
        self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + SLOW
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.kind} exited {self.proc.returncode}:\n"
                                     + self.log_text())
            try:
                self.check_ready(f"probe{self.started}")
                return
            except (OSError, AssertionError) as e:
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.kind} on port {self.port} not ready: {e}\n"
                                         + self.log_text())
                time.sleep(0.05)

    def check_ready(self, nick):
        register(self.port, nick)

    def kill(self):
        """SIGKILL, as a crash: no QUIT, no ERROR reaches the clients."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.close_log()

    def freeze(self):
        """SIGSTOP: the server processes nothing more (what it has written
        to its clients' sockets still reaches them)."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            try:
                self.proc.wait(harness.DEFAULT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.close_log()

    def close_log(self):
        if self.log:
            self.log.close()
            self.log = None

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


class Ngircd(IrcServer):
    """ngircd (`ngircd -n -f CONF`): #tubbies predefined, the default limits
    (its penalties and read throttling are real: the flood test is about
    them), with `tls` = (cert, key) a TLS port as well, with `password` a
    server password."""

    kind = "ngircd"

    def __init__(self, workdir, port=None, tls=None, ca=None, password=None):
        super().__init__(workdir, port)
        self.password = password
        self.tls = tls
        self.ca = ca
        self.tls_port = harness.free_port() if tls else None

    def argv(self):
        return ["ngircd", "-n", "-f", self.conf_path]

    def conf(self):
        text = ("[Global]\n"
                "Name = irc.test\n"
                "Info = mqchat test server\n"
                "AdminInfo1 = mqchat tests\nAdminInfo2 = loopback\nAdminEMail = none@test\n"
                "Listen = 127.0.0.1\n"
                f"Ports = {self.port}\n"
                f"PidFile = {self.dir}/ngircd.pid\n"
                + (f"Password = {self.password}\n" if self.password else "") +
                "[Limits]\n"
                # Every client of a test connects from 127.0.0.1, probes and
                # reconnections included: the per-address cap (5) is not
                # what the tests are about.  Penalties stay as they are.
                "MaxConnectionsIP = 0\n"
                "[Options]\n"
                "PAM = no\nIdent = no\nDNS = no\n"
                "[Channel]\n"
                f"Name = {CHANNEL}\n"
                "Modes = +n\n")
        if self.tls:
            text += ("[SSL]\n"
                     f"CertFile = {self.tls[0]}\n"
                     f"KeyFile = {self.tls[1]}\n"
                     f"Ports = {self.tls_port}\n")
        return text

    def check_ready(self, nick):
        register(self.port, nick, password=self.password)
        if self.tls:
            context = ssl.create_default_context(cafile=self.ca)
            register(self.tls_port, nick + "s", tls_context=context, password=self.password)

    def problems(self):
        """The lines of its log that mean a client was cut off for sending
        too much (ngircd's own words)."""
        return [l for l in self.log_text().splitlines()
                if any(w in l for w in ("buffer space exhausted", "Request too long",
                                        "Excess Flood", "KILL"))]


class Inspircd(IrcServer):
    """InspIRCd 3 (`inspircd --nofork --config CONF`, `--runasroot` as
    root) with the IRCv3 modules a real network loads: cap, server-time,
    echo-message, msgid, message-tags, multi-prefix."""

    kind = "inspircd"
    MODULES = ("cap", "ircv3", "ircv3_servertime", "ircv3_echomessage", "ircv3_msgid",
               "ircv3_ctctags", "namesx")

    def argv(self):
        argv = ["inspircd", "--nofork", "--config", self.conf_path]
        if os.geteuid() == 0:
            argv.append("--runasroot")
        return argv

    def conf(self):
        return ('<server name="irc.test" description="mqchat test server" network="testnet">\n'
                '<admin name="test" nick="test" email="none@test">\n'
                f'<bind address="127.0.0.1" port="{self.port}" type="clients">\n'
                '<connect name="main" allow="*" timeout="60" pingfreq="120" '
                'hardsendq="1M" softsendq="8192" recvq="8192" threshold="10" '
                'localmax="50" globalmax="50" resolvehostnames="no" useident="no">\n'
                f'<pid file="{self.dir}/inspircd.pid">\n'
                '<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" '
                f'target="{self.dir}/inspircd.log">\n'
                '<dns timeout="1">\n'
                + "".join(f'<module name="{m}">\n' for m in self.MODULES))
