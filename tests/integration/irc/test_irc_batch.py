# SPDX-License-Identifier: MIT
"""Batch mode on IRC: 500 lines piped into mqchat, to an ngircd with its
default limits, which reads a client's lines slowly on purpose (a few a
second once the client has used up its allowance).  mqchat exits 0 only
once the server has processed them all; every one reaches the channel, in
order, and the server never cut mqchat off for flooding.  Exit 0 must
mean processed, not written: the server is frozen the moment mqchat has
exited, and the lines must all have reached the channel by then."""
import re

import harness
from irc_helpers import CHANNEL, SLOW, TestCase

LINES = 500
# ngircd processes about 3 lines a second for one client: ~3 minutes, on a
# busy machine more.  meson's timeout for this test is 600 s.
BATCH_TIMEOUT = 520
# What a server says when it cuts a client off.
CUT_OFF = r"(?i)flood|exhausted|too long|timeout|kill"


class IrcBatchTest(TestCase):

    def test_500_piped_lines_all_arrive_in_order_and_no_flood_kill(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")
        lines = [f"line {i:03d} of the batch" for i in range(1, LINES + 1)]
        m = self.mqchat(self.irc_ini(server.port, fifo=False))
        # Written at once, before mqchat has even joined: it queues them.
        m.proc.stdin.write("".join(l + "\n" for l in lines).encode())
        m.close_stdin()

        code = m.wait(BATCH_TIMEOUT)
        # Exit 0 says the server had processed every line: frozen now, it
        # processes none of what it may still hold, and bob must get all.
        server.freeze()
        self.assertEqual(code, 0, m.err.text()[-4000:])
        harness.wait_until(lambda: len(bob.texts("pubmsg", "Ana", CHANNEL)) >= LINES, SLOW,
                           f"{LINES} lines at bob")
        self.assertEqual(bob.texts("pubmsg", "Ana", CHANNEL), lines)
        # One registration, and at most the QUIT of its own clean exit: never
        # disconnected, never cut off for flooding.
        others = [s for s in bob.events(nick="Ana") if s.kind != "pubmsg"]
        self.assertEqual([s.kind for s in others][:1], ["join"], others)
        self.assertIn([s.kind for s in others][1:], ([], ["quit"]), others)
        for s in others:
            self.assertNotRegex(s.text, CUT_OFF)
        log = server.log_text()
        self.assertEqual(len(re.findall(r'User "Ana!\S+" registered', log)), 1, log[-3000:])
        for reason in re.findall(r'User "Ana!\S+" unregistered \(connection \d+\): (.*)', log):
            self.assertNotRegex(reason, CUT_OFF)
        self.assertEqual(server.problems(), [])


if __name__ == "__main__":
    harness.main()
