# SPDX-License-Identifier: MIT
"""User name and password_file against a mosquitto with a password file
made by mosquitto_passwd: the right password chats; a wrong one ends
mqchat at once with the broker's refusal, after a single attempt, even
with retry = on."""
import os
import shutil
import subprocess
import tempfile

import harness
from harness import TestCase, basic_ini
from mqtt_helpers import LINK_TIMEOUT, STDIN, count_in_log, wait_up

USER, PASSWORD = "ana", "s3creto de Ana"


def secret_file(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as f:
        f.write(text + "\n")
    os.chmod(path, 0o600)
    return path


class MqttAuthTest(TestCase):
    def setUp(self):
        workdir = tempfile.mkdtemp(prefix="mqchat-auth-")
        self.addCleanup(shutil.rmtree, workdir, True)
        passwords = os.path.join(workdir, "passwords")
        subprocess.run(["mosquitto_passwd", "-b", "-c", passwords, USER, PASSWORD],
                       check=True, capture_output=True, timeout=30)
        # Read as root (the files are private); later lines win.
        self.broker_conf = (f"user root\nallow_anonymous false\npassword_file {passwords}\n"
                            "log_type all\n")
        super().setUp()

    def start(self, password, **mqtt):
        pwfile = secret_file(self.workdir, "password", password)
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN,
                        mqtt=dict(username=USER, password_file=pwfile, **mqtt))
        return self.mqchat(ini)

    def test_right_password_connects_and_chats(self):
        m = self.start(PASSWORD)
        wait_up(m, self.broker.port)
        sub = self.subscriber(extra=["-u", USER, "-P", PASSWORD])
        m.send("con contraseña")
        sub.out.wait_for(r"^Ana: con contraseña$")
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def check_refused_once(self, reason, **mqtt):
        # A refusal ends mqchat at once: no retry, no backoff.  With
        # connect_timeout at its maximum, a client still waiting for
        # something would outlive LINK_TIMEOUT.
        m = self.start("not the password", connect_timeout="3600", **mqtt)
        rc = m.wait(timeout=LINK_TIMEOUT)
        err = m.err.text()
        self.assertEqual(rc, 69, err)
        self.assertRegex(err, rf"cannot connect to 127\.0\.0\.1:{self.broker.port}: "
                              rf"refused: {reason}")
        self.assertNotIn("retrying", err)
        # One CONNECT, answered once (the harness's readiness probe is a
        # connection without one).
        self.assertEqual(count_in_log(self.broker, r"Sending CONNACK to "), 1,
                         "more than one attempt")

    def test_wrong_password_exits_69_at_once(self):
        self.check_refused_once(r"Not authorized")

    def test_wrong_password_is_not_retried_even_with_retry_on(self):
        self.check_refused_once(r"Not authorized", retry="on")

    def test_wrong_password_mqtt311(self):
        self.check_refused_once(r"Connection Refused: not authorised", protocol="3.1.1")


if __name__ == "__main__":
    harness.main()
