# SPDX-License-Identifier: MIT
"""Pieces shared by the MQTT rooms tests (issue #16): a mosquitto with a
password_file made by mosquitto_passwd at test time and the acl_file shipped
as conf/mosquitto-acl.conf (that very file), mqchats logged in as the users
of that file, mqchat on a pseudo-terminal (commands such as /msg run there),
and `mqchat --who`."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import types

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(HERE, "..", "rooms"), os.path.join(HERE, "..", "mqtt")]
from rooms_helpers import (Classroom, SLOW, TestCase,  # noqa: E402,F401 (for the tests)
                           assert_no_sanitizer_report, sub_payloads, wait_count)
from test_mqtt_session import PtyMqchat  # noqa: E402

ACL_FILE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "conf",
                                         "mosquitto-acl.conf"))
ROOM = harness.TOPIC
# The broker's users, each with its own password.
USERS = ("ana", "bob", "cata", "eve", "mallory")
# Batch mode prints what others say through this template.
STDIN = {"format": "{nick}: {text}", "color": "never"}
# Short keepalive and will delay: a dead connection is seen within
# 1.5 keepalives, its will published will_delay later.
KEEPALIVE, WILL_DELAY = 5, 1


def password(user):
    return f"s3creto de {user}"


class AclTestCase(TestCase):
    """A broker with conf/mosquitto-acl.conf and a password file for USERS;
    anonymous clients are still let in (the classroom client has no
    username), and get only what the ACL gives everyone."""

    protocol = "5"

    def setUp(self):
        if not os.path.isfile(ACL_FILE):
            self.fail(f"no ACL file at {ACL_FILE}")
        self.secrets = tempfile.mkdtemp(prefix="mqchat-acl-")
        self.addCleanup(shutil.rmtree, self.secrets, True)
        passwords = os.path.join(self.secrets, "passwords")
        for i, user in enumerate(USERS):
            subprocess.run(["mosquitto_passwd", "-b"] + (["-c"] if i == 0 else [])
                           + [passwords, user, password(user)],
                           check=True, capture_output=True, timeout=30)
        # Read as root (the files are private); later lines win.  mosquitto
        # 2.0.11 with the harness's max_queued_messages 0 drops a client
        # (MQTT 5) right after refusing one of its QoS 1 publications: the
        # default queue, as a real broker has it.
        self.broker_conf = (f"user root\nallow_anonymous true\npassword_file {passwords}\n"
                            f"acl_file {ACL_FILE}\nmax_queued_messages 1000\nlog_type all\n")
        super().setUp()

    def password_file(self, user):
        path = os.path.join(self.workdir, f"{user}.password")
        with open(path, "w") as f:
            f.write(password(user) + "\n")
        os.chmod(path, 0o600)
        return path

    def ini(self, name, nick, user, mqtt=None, core=None, broker=None, **sections):
        """An INI for an mqchat called `name`, nick `nick`, logged in as
        `user` (None: anonymous), presence on, short keepalive and will
        delay, no announcements (joins and leaves come from presence)."""
        keys = {"keepalive": KEEPALIVE, "will_delay": WILL_DELAY, "protocol": self.protocol}
        if user:
            keys.update(username=user, password_file=self.password_file(user))
        keys.update(mqtt or {})
        core_keys = {"announce": "off"}
        core_keys.update(core or {})
        sections.setdefault("stdin", STDIN)
        return harness.basic_ini(self.workdir, broker or self.broker, name=name, nick=nick,
                                 core=core_keys, mqtt=keys, **sections)

    def chat(self, name, nick, user, env=None, **kw):
        """An mqchat in batch mode (stdin a pipe left open), once connected."""
        m = self.mqchat(self.ini(name, nick, user, **kw), name=name, env=env)
        wait_connected(m, kw.get("broker") or self.broker)
        return m

    def tty(self, name, nick, user, **kw):
        """An mqchat on a pseudo-terminal, once connected."""
        t = PtyChat(self, self.ini(name, nick, user, **kw), name)
        t.out.wait_for(rf"connected to 127\.0\.0\.1:{self.broker.port}\b", timeout=SLOW)
        return t

    def who(self, user="mallory", nick="Olga", room=None, json_out=False, mqtt=None):
        """`mqchat --who [ROOM] [--json]` run by `user`: (exit code, stdout
        lines, stderr)."""
        keys = {"verify": "on"}
        keys.update(mqtt or {})
        ini = self.ini(f"who-{user}", nick, user, mqtt=keys)
        args = [harness.MQCHAT, "-c", ini, "--who"] + ([room] if room else []) \
            + (["--json"] if json_out else [])
        home = os.path.join(self.workdir, f"who-{user}")
        os.makedirs(home, exist_ok=True)
        try:
            p = subprocess.run(args, capture_output=True, timeout=60,
                               env=harness.isolated_env(home))
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"mqchat --who still running after 60 s: {e.stderr!r}")
        err = p.stderr.decode("utf-8", "replace")
        assert_no_sanitizer_report(err, "mqchat --who")
        return p.returncode, p.stdout.decode("utf-8", "replace").splitlines(), err

    def who_json(self, **kw):
        rc, lines, err = self.who(json_out=True, **kw)
        self.assertEqual(rc, 0, err)
        return [json.loads(line) for line in lines]

    def wait_who(self, want, **kw):
        """Runs --who until its listing (sorted) is `want` (sorted), each run
        an event of its own; returns the last listing."""
        want = sorted(want)
        seen = []

        def matches():
            rc, lines, err = self.who(**kw)
            self.assertEqual(rc, 0, err)
            seen.append(lines)
            return sorted(lines) == want

        try:
            harness.wait_until(matches, timeout=2 * SLOW, what=f"--who listing {want}")
        except AssertionError as e:
            raise AssertionError(f"{e}; the last runs listed: {seen[-3:]}") from None
        return seen[-1]

    def broker_log(self):
        with open(self.broker.log_path, errors="replace") as f:
            return f.read()


def wait_connected(m, broker, start=0):
    m.err.wait_for(rf"connected to 127\.0\.0\.1:{broker.port}\b", timeout=SLOW, start=start)


def kill9(m):
    """SIGKILL: no DISCONNECT, no clean presence; the broker finds out by
    the keepalive."""
    m.proc.send_signal(signal.SIGKILL)
    m.proc.wait(SLOW)


def lines_of(reader):
    return [line.decode("utf-8", "replace").rstrip("\r\n") for line in list(reader.lines)]


class PtyChat(PtyMqchat):
    """mqchat on a pseudo-terminal with a home of its own (`name`)."""

    def __init__(self, tc, ini, name):
        # PtyMqchat makes its home under the test's workdir: one of its own.
        own = types.SimpleNamespace(workdir=os.path.join(tc.workdir, name),
                                    cleanups=tc.cleanups)
        super().__init__(own, ini)
        self.out.name = f"{name} tty"

    def line(self, text):
        self.type(text + "\r")

    def wait_present(self, nick, room=ROOM):
        """Types /who until its answer lists `nick` (presence arrives with
        the subscription, maybe after "connected")."""
        rx = re.compile(rf"-- (in mqtt:{re.escape(room)}: |nobody is known|/who: )(.*)")
        answers = []

        def listed():
            at = len(self.out.lines)
            self.line("/who")
            i = self.out.wait_for(rx.pattern, timeout=SLOW, start=at)
            found = rx.search(self.out.lines[i].decode("utf-8", "replace"))
            answers.append(found.group(0))
            if found.group(1) == "/who: ":
                raise AssertionError(found.group(0))
            # Proved or not ("~Bob"), away or not: present.
            names = [re.sub(r"^~|\s*\(away\)$", "", n)
                     for n in re.split(r",\s*", found.group(2).strip())]
            return nick in names

        try:
            harness.wait_until(listed, timeout=SLOW, what=f"/who listing {nick}")
        except AssertionError as e:
            raise AssertionError(f"{e}; last answers: {answers[-3:]}") from None

    def stop(self):
        super().stop()
        assert_no_sanitizer_report(self.out.text(), self.out.name)
