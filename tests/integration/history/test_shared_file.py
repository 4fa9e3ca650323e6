# SPDX-License-Identifier: MIT
"""Two participants under one Unix user share one history file (the
README's tour: Ana on a terminal, Bea from a script, the same
$XDG_STATE_HOME): every message is stored once, and after a restart a
message shown in the replay is not shown again live (issue 19, item 4)."""
import os
import subprocess

import harness
from history_helpers import SLOW, batch_ini, shown, wait_connected


class SharedFileTest(harness.TestCase):
    def setUp(self):
        super().setUp()
        # One user: one state directory (one history.db) and one runtime
        # directory (the client ids' locks), for both.
        self.env = {"XDG_STATE_HOME": os.path.join(self.workdir, "state"),
                    "XDG_RUNTIME_DIR": os.path.join(self.workdir, "run")}
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)
        self.inis = {nick: batch_ini(self, nick, core={"announce": "off",
                                                         "history_replay": "20"})
                     for nick in ("Ana", "Bea")}

    def start(self, nick):
        m = self.mqchat(self.inis[nick], name=nick, env=self.env)
        wait_connected(m)
        return m

    def stop(self, m):
        m.close_stdin()
        self.assertEqual(m.wait(SLOW), 0, m.err.text())

    def printed(self, *args):
        m = harness.Mqchat(self.workdir, self.inis["Ana"], args=args,
                           stdin=subprocess.DEVNULL, env=self.env,
                           name="Ana")
        self.cleanups.append(m.stop)
        self.assertEqual(m.wait(SLOW), 0, m.err.text())
        return m.out.text().splitlines()

    def test_each_message_stored_once_and_shown_once(self):
        ana, bea = self.start("Ana"), self.start("Bea")
        ana.send("hola Bea, soy Pepe")
        bea.out.wait_for(r"^Ana: hola Bea, soy Pepe$", timeout=SLOW)
        bea.send("hola Ana, Pepe")
        ana.out.wait_for(r"^Bea: hola Ana, Pepe$", timeout=SLOW)
        bea.send("/me saluda a Pepe")
        ana.out.wait_for(r"^\* Bea saluda a Pepe$", timeout=SLOW)
        harness.publish(self.broker, "Pepe: hola a todos")
        for m in (ana, bea):
            m.out.wait_for(r"^Pepe: hola a todos$", timeout=SLOW)
        self.stop(ana)

        # While Ana is away (her session keeps what is said), Bea speaks.
        bea.send("mientras tanto, Pepe")
        harness.publish(self.broker, "Zed: marca")
        bea.out.wait_for(r"^Zed: marca$", timeout=SLOW)
        self.stop(bea)

        found = self.printed("--search", "Pepe")
        self.assertEqual(len(found), 5, found)  # 5 messages, not 10

        # Ana again: the replay (on a terminal; batch output has none) has
        # Bea's line, stored by Bea's process; the broker hands it over
        # live from Ana's session, after Zed's line: not shown again.
        ana = self.start("Ana")
        harness.publish(self.broker, "Zed: después")
        ana.out.wait_for(r"^Zed: después$", timeout=SLOW)
        self.assertEqual(shown(ana, "Bea: mientras tanto, Pepe"), 0, ana.out.text())
        self.stop(ana)
        found = self.printed("--search", "Pepe")
        self.assertEqual(len(found), 5, found)


if __name__ == "__main__":
    harness.main()
