# SPDX-License-Identifier: MIT
"""The server killed (SIGKILL: no ERROR, no goodbye) and restarted on the
same port: mqchat, which reaches it through a TCP proxy, reconnects,
rejoins #tubbies and sends what was typed while it was down, in order.
The proxy lets mqchat through only once a new peer sits in the channel,
so that the peer is there to hear what mqchat sends first."""
import harness
from irc_helpers import CHANNEL, SLOW, TestCase

MEANWHILE = [f"typed while down {i}" for i in range(1, 6)]


class IrcRestartTest(TestCase):

    def said(self, peer):
        """What Ana said in the channel as `peer` heard it.  The line said
        just before the crash may come again (the server may have died
        before mqchat had its acknowledgement: at least once), first."""
        said = peer.texts("pubmsg", "Ana", CHANNEL)
        return said[1:] if said[:1] == ["before the crash"] else said

    def test_reconnects_rejoins_and_sends_what_was_typed_meanwhile(self):
        server = self.ngircd()
        proxy = harness.TcpProxy(server.port)
        self.cleanups.append(proxy.close)
        bob = self.peer(server, "bob")
        m = self.start_in_channel(bob, proxy.port, irc={"reconnect_max": "2"})
        self.write("before the crash")
        bob.wait("pubmsg", "Ana", "before the crash")

        # Until let through, the proxy's every connection goes to a port
        # nobody listens on: refused, and closed at once.
        proxy.broker_port = harness.free_port()
        server.kill()
        for line in MEANWHILE:
            self.write(line)
        server.start()
        carl = self.peer(server, "carl")
        proxy.broker_port = server.port

        carl.wait("join", "Ana")
        harness.wait_until(lambda: len(self.said(carl)) >= len(MEANWHILE), SLOW,
                           f"the lines typed meanwhile; carl saw {carl.seen}")
        self.write("after the restart")
        carl.wait("pubmsg", "Ana", "after the restart")
        self.assertEqual(self.said(carl), MEANWHILE + ["after the restart"])
        # Joined before it spoke.
        kinds = [s.kind for s in carl.events(nick="Ana")]
        self.assertEqual(kinds[0], "join", kinds)
        self.assertIsNone(m.proc.poll(), m.err.text())


if __name__ == "__main__":
    harness.main()
