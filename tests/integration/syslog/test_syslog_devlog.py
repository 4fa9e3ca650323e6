# SPDX-License-Identifier: MIT
"""The default destination, /dev/log, with a receiver bound there: mqchat
runs in a private mount namespace (unshare -m, as root) whose /dev is a
test directory holding the receiver's socket, so the machine's /dev is never
touched."""
import os
import shutil
import subprocess

import harness
from syslog_receiver import Receiver, parse

# Populates a private /dev with the devices a process needs and the test's
# socket, then runs mqchat; "$@" is mqchat's command line.
NAMESPACE_SCRIPT = r'''
set -e
dev=$1; shift
for name in null zero random urandom; do
    : > "$dev/$name"
    mount --bind "/dev/$name" "$dev/$name"
done
mount --rbind "$dev" /dev
exec "$@"
'''


class SyslogDevLogTest(harness.TestCase):
    def test_default_socket_is_dev_log(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a private /dev")
        dev = os.path.join(self.workdir, "dev")
        os.mkdir(dev)
        receiver = Receiver(os.path.join(dev, "log"))
        self.cleanups.append(receiver.close)
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "stdin, log", "history": "off"},
            log={"plugin": "syslog", "facility": "local5"})  # no socket =: /dev/log
        env = harness.isolated_env(os.path.join(self.workdir, "home"))
        run = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", NAMESPACE_SCRIPT,
             "sh", dev, harness.MQCHAT, "-c", ini],
            input=b"hola /dev/log\n", capture_output=True, env=env, timeout=60)
        self.assertEqual(run.returncode, 0, run.stderr.decode())
        idx = receiver.wait_for(rb": Ana: hola /dev/log\Z")
        rec = parse(receiver.records[idx])
        self.assertEqual(int(rec["pri"]), 21 * 8 + 6)  # local5.info
        self.assertNotIn(b"records dropped", run.stderr)


if __name__ == "__main__":
    harness.main()
