# SPDX-License-Identifier: MIT
"""Bad syslog values end mqchat with 78 (EX_CONFIG) and a message naming the
file and the line of the bad key."""
import os
import subprocess

import harness


class SyslogConfigTest(harness.TestCase):
    def run_with(self, key, value):
        ini = harness.basic_ini(
            self.workdir, self.broker, name=f"bad-{key}",
            core={"frontends": "stdin, log", "history": "off"},
            log={"plugin": "syslog", "socket": os.path.join(self.workdir, "log.sock"),
                 key: value})
        with open(ini) as f:
            line = 1 + next(i for i, l in enumerate(f) if l.startswith(f"{key} = "))
        m = self.mqchat(ini, stdin=subprocess.DEVNULL, name=f"bad-{key}")
        code = m.wait(30)
        err = m.err.text()
        self.assertEqual(code, 78, err)
        self.assertIn(f"{ini}:{line}", err)
        self.assertIn(key, err)
        self.assertIn(value, err)

    def test_unknown_facility(self):
        self.run_with("facility", "local9")

    def test_unknown_priority(self):
        self.run_with("priority", "loud")

    def test_unknown_event_priority(self):
        self.run_with("event_priority", "sometimes")

    def test_bad_switch(self):
        self.run_with("pid", "maybe")

    def test_bad_max_length(self):
        self.run_with("max_length", "12")

    def test_bad_ident(self):
        self.run_with("ident", "fake[1]")

    def test_bad_value_given_with_o(self):
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "stdin, log", "history": "off"},
            log={"plugin": "syslog", "socket": os.path.join(self.workdir, "log.sock")})
        m = self.mqchat(ini, args=["-o", "log.facility=lokal3"], stdin=subprocess.DEVNULL)
        self.assertEqual(m.wait(30), 78, m.err.text())
        self.assertIn("lokal3", m.err.text())


if __name__ == "__main__":
    harness.main()
