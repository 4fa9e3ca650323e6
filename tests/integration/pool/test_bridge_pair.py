# SPDX-License-Identifier: MIT
"""Two mosquitto brokers joined by mosquitto's own bridge, started from the
shipped conf/mosquitto-bridge-a.conf and conf/mosquitto-bridge-b.conf
(listeners and the bridge's address rewritten to free loopback ports): an
mqchat and the classroom paho client (MQTT 3.1.1, "Name: text") on each
side chat both ways, and every line is shown exactly once on every side;
presence (retained) crosses, so `mqchat --who` on either broker lists both
mqchats.  Then the link breaks again and again under a stream of lines:
the bridge may deliver a line twice, mqchat still shows each once."""
import os
import re
import signal
import subprocess
import sys

import harness
from pool_helpers import SLOW, Gate, bridge_pair, bridge_state

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rooms"))
from rooms_helpers import Classroom, sub_payloads  # noqa: E402

ROOM = harness.TOPIC
STDIN = {"format": "{nick}: {text}", "color": "never"}
STREAM = 3000


class BridgePairTest(harness.TestCase):

    def chat(self, name, nick, broker):
        """An mqchat in batch mode on `broker` (presence on, the default;
        no announcements: joins and leaves come from presence), once
        connected."""
        ini = harness.basic_ini(self.workdir, broker, name=name, nick=nick,
                                core={"announce": "off"}, mqtt={"keepalive": 5},
                                stdin=STDIN)
        m = self.mqchat(ini, name=name)
        m.err.wait_for(rf"connected to 127\.0\.0\.1:{broker.port}\b", timeout=SLOW)
        return m

    def who(self, broker):
        """`mqchat --who` on `broker`, sorted."""
        home = os.path.join(self.workdir, f"who-{broker.port}")
        os.makedirs(home, exist_ok=True)
        ini = harness.basic_ini(self.workdir, broker, name=f"who-{broker.port}", nick="Olga")
        try:
            p = subprocess.run([harness.MQCHAT, "-c", ini, "--who"], capture_output=True,
                               timeout=60, env=harness.isolated_env(home))
        except subprocess.TimeoutExpired as e:
            raise AssertionError(f"mqchat --who still running after 60 s: {e.stderr!r}")
        self.assertEqual(p.returncode, 0, p.stderr)
        return sorted(p.stdout.decode().splitlines())

    def wait_who(self, broker, want):
        seen = []
        try:
            harness.wait_until(lambda: seen.append(self.who(broker)) or seen[-1] == want,
                               timeout=2 * SLOW, what=f"--who on {broker.port} listing {want}")
        except AssertionError as e:
            raise AssertionError(f"{e}; the last runs listed {seen[-3:]}") from None

    def test_four_people_two_brokers(self):
        a, b = bridge_pair(self)
        ana = self.chat("ana", "Ana", a)
        bea = self.chat("bea", "Bea", b)
        carla = Classroom(self, a, ROOM, "Carla")
        dani = Classroom(self, b, ROOM, "Dani")

        # Presence is retained: each broker holds both mqchats'.
        self.wait_who(a, ["Ana", "Bea"])
        self.wait_who(b, ["Ana", "Bea"])
        # Bea came after Ana: Ana is told she joined (Bea finds Ana there,
        # as on one broker, and is told nothing).
        ana.out.wait_for(r"^\* Bea joined$", timeout=SLOW)

        said = []
        turns = [(ana, "Ana", "hola desde A"), (dani, "Dani", "hola desde B"),
                 (bea, "Bea", "¿me oís en A?"), (carla, "Carla", "sí, Bea"),
                 (ana, "Ana", "adiós"), (dani, "Dani", "chao"),
                 # The last lines, from the classroom on each side: fences
                 # (each waited for everywhere, as every line is).
                 (carla, "Carla", "fin A"), (dani, "Dani", "fin B")]
        for who, nick, text in turns:
            line = f"{nick}: {text}"
            if who in (ana, bea):
                who.send(text)
            else:
                who.say(text)
            said.append(line)
            # Everyone has it before the next one speaks: one order for all.
            for m in (ana, bea):
                if not line.startswith(m.name.capitalize() + ":"):
                    m.out.wait_for(rf"^{re.escape(line)}$", timeout=SLOW)
            for c in (carla, dani):
                c.wait_payload(line)

        def lines(m):
            return [l for l in m.out.text().splitlines() if not l.startswith("* ")]

        # mqchat shows what others said, once each, in the order said.
        for m in (ana, bea):
            own = m.name.capitalize() + ":"
            self.assertEqual(lines(m), [l for l in said if not l.startswith(own)], m.name)
        # The classroom client shows everything, its own lines too, once.
        for c in (carla, dani):
            self.assertEqual(c.payloads(), said, c.name)
        # Bea's join told once, although her presence crossed a bridge.
        self.assertEqual([l for l in ana.out.text().splitlines() if l.startswith("* ")],
                         ["* Bea joined"])
        self.assertEqual([l for l in bea.out.text().splitlines() if l.startswith("* ")], [])

        # Bea quits: her presence is deleted on B, and on A through the bridge.
        bea.close_stdin()
        self.assertEqual(bea.wait(timeout=SLOW), 0, bea.err.text())
        ana.out.wait_for(r"^\* Bea left$", timeout=SLOW)
        self.wait_who(a, ["Ana"])
        self.wait_who(b, ["Ana"])

    def test_a_crash_across_the_bridge(self):
        """Bea (on B) is killed (-9): her will, the offline presence, is
        published by B and crosses the bridge retained.  Ana (on A) and Cid
        (on B) are each told that her connection was lost; one of them
        (the same one for both brokers: they see the same presence) says
        her leave on the room, so the classroom on each side hears it once;
        --who on either broker lists Ana and Cid.  Neither shows that leave
        a second time, although the bridge (MQTT 3.1.1) drops the MQTT 5
        mark it carries for mqchats: it is known by its bytes."""
        a, b = bridge_pair(self)
        ana = self.chat("ana", "Ana", a)
        bea = self.chat("bea", "Bea", b)
        cid = self.chat("cid", "Cid", b)
        carla = Classroom(self, a, ROOM, "Carla")
        dani = Classroom(self, b, ROOM, "Dani")
        for broker in (a, b):
            self.wait_who(broker, ["Ana", "Bea", "Cid"])
        bea.proc.send_signal(signal.SIGKILL)
        bea.proc.wait(SLOW)
        for m in (ana, cid):
            m.out.wait_for(r"^\* Bea connection lost$", timeout=2 * SLOW)
        for c in (carla, dani):
            c.wait_payload("Bea ha salido del chat", timeout=2 * SLOW)
        for broker in (a, b):
            self.wait_who(broker, ["Ana", "Cid"])
        # Fences from the far side of each, then count.
        carla.say("fin A")
        dani.say("fin B")
        for m in (ana, cid):
            m.out.wait_for(r"^Carla: fin A$", timeout=SLOW)
            m.out.wait_for(r"^Dani: fin B$", timeout=SLOW)
        for c in (carla, dani):
            c.wait_payload("Carla: fin A")
            c.wait_payload("Dani: fin B")
            self.assertEqual(c.payloads().count("Bea ha salido del chat"), 1, c.payloads())
        told = {m.name: [l for l in m.out.text().splitlines() if "Bea" in l] for m in (ana, cid)}
        self.assertEqual(told["ana"], ["* Bea joined", "* Bea connection lost"], told)
        self.assertEqual(told["cid"], ["* Bea connection lost"], told)

    def test_link_broken_under_a_stream(self):
        """Ana (on A) and Bea (on B) each say STREAM lines at once while the
        bridge's connection is cut twice mid-stream (a proxy in front of B,
        cut as a failing network would: no DISCONNECT).  The bridge sends
        again what was not acknowledged, so the far side may receive a line
        twice (mosquitto_sub on each broker counts that); each mqchat shows
        each of the other's lines exactly once."""
        proxies = []

        def proxy(b):
            proxies.append(harness.TcpProxy(b.port))
            self.cleanups.append(proxies[-1].close)
            return proxies[-1]

        a, b = bridge_pair(self, via=proxy)
        watch = {broker: harness.Subscriber(broker) for broker in (a, b)}
        for sub in watch.values():
            self.cleanups.append(sub.stop)
        ana = self.chat("ana", "Ana", a)
        bea = self.chat("bea", "Bea", b)
        for m in (ana, bea):
            m.proc.stdin.write("".join(f"{m.name} {n:04d}\n" for n in range(1, STREAM + 1))
                               .encode())
            m.proc.stdin.flush()
        for at in (STREAM // 6, STREAM // 2):
            harness.wait_until(lambda: min(shown(bea, "Ana"), shown(ana, "Bea")) >= at,
                               timeout=4 * SLOW, what=f"{at} lines across each way")
            proxies[0].cut()
        for m, other in ((ana, "Bea"), (bea, "Ana")):
            harness.wait_until(lambda: shown(m, other) >= STREAM, timeout=4 * SLOW,
                               what=f"{m.name} showing {STREAM} lines of {other}")
        # Fences: a last line each way, after every line of the stream.
        ana.send("fin")
        bea.send("fin")
        ana.out.wait_for(r"^Bea: fin$", timeout=SLOW)
        bea.out.wait_for(r"^Ana: fin$", timeout=SLOW)
        for broker, sub in watch.items():
            harness.wait_until(lambda: {"Ana: fin", "Bea: fin"} <= set(sub_payloads(sub)),
                               timeout=SLOW, what="both fences on mosquitto_sub")
        twice = {}
        for broker, sub in watch.items():
            got = sub_payloads(sub)
            twice[broker.port] = len(got) - len(set(got))
        for m, other in ((ana, "Bea"), (bea, "Ana")):
            lines = [l for l in m.out.text().splitlines() if l.startswith(other + ": ")]
            want = [f"{other}: {other.lower()} {n:04d}" for n in range(1, STREAM + 1)]
            self.assertEqual(sorted(lines), sorted(want + [f"{other}: fin"]),
                             f"{m.name}: each of {other}'s lines once")
            if lines[:-1] != want:
                print(f"{m.name} showed {other}'s lines out of order", file=sys.stderr)
        print(f"the bridge's link was cut twice; lines the brokers delivered twice "
              f"(mosquitto_sub on A, on B): {twice[a.port]}, {twice[b.port]}", file=sys.stderr)

    def test_while_the_link_is_down_qos_0_is_lost(self):
        """What the bridge cannot carry: with the link down, lines said on
        A at QoS 1 wait in the bridge's queue and cross when it is back;
        those at QoS 0 are dropped (mosquitto_pub, the classroom's way of
        saying one line)."""
        gates = []
        a, b = bridge_pair(self, via=lambda b: gates.append(Gate(b.port)) or gates[0])
        self.cleanups.append(gates[0].close)
        state = bridge_state(a)
        self.cleanups.append(state.stop)
        on_b = harness.Subscriber(b)
        self.cleanups.append(on_b.stop)
        state.out.wait_for(rb"^1$", timeout=SLOW)
        gates[0].shut = True
        gates[0].cut()
        down = state.out.wait_for(rb"^0$", timeout=SLOW)
        for n in range(1, 11):
            harness.publish(a, f"Carla: qos 0, {n}", qos=0)
            harness.publish(a, f"Carla: qos 1, {n}", qos=1)
        gates[0].shut = False
        state.out.wait_for(rb"^1$", timeout=4 * SLOW, start=down)
        harness.publish(a, "Carla: fin", qos=1)
        harness.wait_until(lambda: "Carla: fin" in sub_payloads(on_b), timeout=SLOW,
                           what="the fence on B")
        self.assertEqual(sub_payloads(on_b),
                         [f"Carla: qos 1, {n}" for n in range(1, 11)] + ["Carla: fin"])


def shown(m, nick):
    """How many lines of `nick` mqchat `m` has shown."""
    return sum(1 for l in m.out.text().splitlines() if l.startswith(nick + ": "))


if __name__ == "__main__":
    harness.main()
