# SPDX-License-Identifier: MIT
"""mqchat started with 1 100 descriptors already open, so that its broker
socket is numbered past 1024 (where select() stops working), still
connects, sends and receives."""
import os
import re
import resource
import subprocess

import harness
from harness import TestCase, basic_ini, publish
from mqtt_helpers import LINK_TIMEOUT, STDIN

EXTRA_FDS = 1100
SELECT_LIMIT = 1024  # FD_SETSIZE


def tcp_socket_inodes(pid, remote_port):
    """Inodes of the process's IPv4 TCP sockets connected to `remote_port`."""
    inodes = set()
    with open(f"/proc/{pid}/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if int(fields[2].split(":")[1], 16) == remote_port:
                inodes.add(fields[9])
    return inodes


def descriptors_of(pid, inodes):
    found = []
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", target)
        if m and m.group(1) in inodes:
            found.append(int(name))
    return found


class ManyDescriptorsTest(TestCase):
    def open_extra(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = EXTRA_FDS + 256
        if soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))
        fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(EXTRA_FDS)]
        self.addCleanup(lambda: [os.close(fd) for fd in fds])
        return fds

    def test_broker_socket_past_1024_still_works(self):
        fds = self.open_extra()
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN)
        env = harness.isolated_env(os.path.join(self.workdir, "home"))
        # Inherited by mqchat: every descriptor it opens itself comes after.
        proc = subprocess.Popen([harness.MQCHAT, "-c", ini], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                pass_fds=fds)
        self.cleanups.append(lambda: self.assertIsNone(harness.terminate(proc)))
        out = harness.LineReader(proc.stdout, "mqchat stdout")
        err = harness.LineReader(proc.stderr, "mqchat stderr")
        err.wait_for(rf"connected to 127\.0\.0\.1:{self.broker.port}\b", timeout=LINK_TIMEOUT)

        # libmosquitto's descriptor of the connection, and the second one
        # the plugin's packet check keeps (plugins/mqtt/mqtt_guard.c).
        sockets = descriptors_of(proc.pid, tcp_socket_inodes(proc.pid, self.broker.port))
        self.assertIn(len(sockets), (1, 2), sockets)
        for fd in sockets:
            self.assertGreater(fd, SELECT_LIMIT, sockets)

        sub = self.subscriber()
        proc.stdin.write(b"past select's limit\n")
        proc.stdin.flush()
        sub.out.wait_for(r"^Ana: past select's limit$")
        publish(self.broker, "Bob: and back")
        out.wait_for(r"^Bob: and back$")
        proc.stdin.close()
        self.assertEqual(proc.wait(LINK_TIMEOUT), 0, err.text())


if __name__ == "__main__":
    harness.main()
