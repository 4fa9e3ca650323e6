# SPDX-License-Identifier: MIT
"""Persistent sessions and the Last Will against a real mosquitto: what the
room says while mqchat is away arrives when it comes back (once); a clean
exit says goodbye with DISCONNECT and the leave message (the DISCONNECT even
before the CONNACK, the will being the broker's from CONNECT); a kill -9 makes
the broker publish the leave message for us, with the nick of the last
connection.  The classic will (the leave message itself on the room) is
what `presence = off` keeps; with presence on (the default) the will is the
offline presence carrying the leave message, which another mqchat in the
room publishes there (README, "Rooms: presence...")."""
import json
import os
import pty
import re
import signal
import subprocess
import threading

import harness
from harness import TestCase, basic_ini, publish
from mqtt_helpers import LINK_TIMEOUT, STDIN, broker_log, wait_up

AWAY = ["Bob: said while you were away 1", "Bob: said while you were away 2",
        "Bob: said while you were away 3"]


class HoldBrokerReplies(harness.TcpProxy):
    """Passes the client's packets on, and nothing of the broker's."""

    def __init__(self, broker_port):
        super().__init__(broker_port)
        self.connack_held = threading.Event()

    def from_broker(self, state, data):
        if data[:1] == b"\x20":
            self.connack_held.set()
        return b""


class MqttSessionTest(TestCase):
    broker_conf = "log_type all\n"

    def ini(self, **mqtt):
        return basic_ini(self.workdir, self.broker, stdin=STDIN, mqtt=mqtt)

    def classic_ini(self, **mqtt):
        """presence = off: the Last Will is the leave message on the room,
        as before presence (docs/mqchat.ini.5, [mqtt] will)."""
        return self.ini(presence="off", **mqtt)

    def another_in_the_room(self):
        """Bob's mqchat, presence on, once it knows who is in the room: the
        broker sent it the room's retained presence ahead of the UNSUBACK
        of its presence barrier, and sends it whatever follows after."""
        bob = self.mqchat(basic_ini(self.workdir, self.broker, name="bob", nick="Bob",
                                    stdin=STDIN), name="bob")
        wait_up(bob, self.broker.port)
        cid = self.client_id(bob)
        harness.wait_until(lambda: f"Sending UNSUBACK to {cid}" in broker_log(self.broker),
                           what="Bob's presence barrier")
        return bob

    def presence_reader(self):
        return self.subscriber(topic=f"{harness.TOPIC}/presence/+/+")

    def start(self, ini):
        # One name: the same home, so the same stable client id.
        m = self.mqchat(ini, name="ana")
        wait_up(m, self.broker.port)
        return m

    def client_id(self, m):
        found = re.search(r"connected to \S+ as (\S+)", m.err.text())
        self.assertIsNotNone(found, m.err.text())
        return found.group(1)

    def stop_cleanly(self, m):
        m.close_stdin()
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())

    def mark(self, m, text="Bob: marker"):
        """Everything the broker queued for `m` before `text` is shown by the
        time `text` is."""
        publish(self.broker, text)
        m.out.wait_for(rf"^{re.escape(text)}$", timeout=LINK_TIMEOUT)

    def away_and_back(self, ini):
        first = self.start(ini)
        cid = self.client_id(first)
        first.send("said before leaving")
        self.mark(first, "Bob: seen before leaving")
        self.stop_cleanly(first)
        for text in AWAY:
            publish(self.broker, text)
        again = self.start(ini)
        self.assertEqual(self.client_id(again), cid)
        self.mark(again)
        return again, cid

    def check_persistent(self, protocol):
        again, cid = self.away_and_back(self.ini(protocol=protocol))
        shown = [l.decode().rstrip("\n") for l in again.out.lines]
        self.assertEqual(shown, AWAY + ["Bob: marker"], "each once, in order, and nothing of "
                         "our own (the echo of our last words, our leave message)")
        self.assertRegex(broker_log(self.broker), rf"Sending CONNACK to {cid} \(1, 0\)",
                         "the broker did not resume the session")
        self.stop_cleanly(again)

    def test_persistent_session_mqtt5(self):
        self.check_persistent("5")
        self.assertRegex(broker_log(self.broker), r"as mqchat-\S+ \(p5, c0,")

    def test_persistent_session_mqtt311(self):
        self.check_persistent("3.1.1")
        self.assertRegex(broker_log(self.broker), r"as mqchat-\S+ \(p2, c0,")

    def test_clean_session_forgets(self):
        again, cid = self.away_and_back(self.ini(session="clean"))
        self.assertNotIn("while you were away", again.out.text())
        self.assertRegex(broker_log(self.broker), r"as mqchat-\S+ \(p5, c1,")
        self.stop_cleanly(again)

    def test_session_expiry_is_sent_and_honoured(self):
        first = self.start(self.ini(session_expiry="1"))
        cid = self.client_id(first)
        self.stop_cleanly(first)
        harness.wait_until(lambda: f"Expiring client {cid} due to timeout" in
                           broker_log(self.broker), timeout=LINK_TIMEOUT,
                           what="the broker to expire the session after 1 s")
        publish(self.broker, AWAY[0])
        again = self.start(self.ini(session_expiry="1"))
        self.mark(again)
        self.assertNotIn("while you were away", again.out.text())
        self.stop_cleanly(again)

    def test_clean_exit_says_goodbye_once_and_no_will(self):
        m = self.start(self.ini())
        cid = self.client_id(m)
        self.assertRegex(broker_log(self.broker), r"Will message specified \(\d+ bytes\)")
        sub = self.subscriber()
        self.stop_cleanly(m)
        self.assertIn(f"Received DISCONNECT from {cid}", broker_log(self.broker))
        publish(self.broker, "Bob: marker")
        sub.out.wait_for(r"^Bob: marker$")
        self.assertEqual(sub.payloads().count(b"Ana ha salido del chat"), 1, sub.payloads())

    def test_exit_before_the_connack_still_cancels_the_will(self):
        # The broker has our CONNECT, and with it the will; its CONNACK is
        # held back, so mqchat quits while still connecting.
        proxy = HoldBrokerReplies(self.broker.port)
        self.cleanups.append(proxy.close)
        ini = basic_ini(self.workdir, self.broker, stdin=STDIN, core={"announce": "off"},
                        mqtt={"port": proxy.port})
        sub = self.subscriber()
        m = self.mqchat(ini, name="ana")
        harness.wait_until(proxy.connack_held.is_set, what="the broker's CONNACK")
        m.signal(signal.SIGTERM)
        self.assertEqual(m.wait(timeout=LINK_TIMEOUT), 0, m.err.text())
        # Gone from the broker, the will published or cancelled by now.
        harness.wait_until(lambda: re.search(r"Client mqchat-\S+ (disconnected|closed its "
                                             r"connection)", broker_log(self.broker)),
                           what="the broker to see mqchat go")
        publish(self.broker, "Bob: marker")
        sub.out.wait_for(r"^Bob: marker$")
        self.assertNotIn(b"Ana ha salido del chat", sub.payloads())

    def kill_and_wait_closed(self, m):
        cid = self.client_id(m)
        m.signal(signal.SIGKILL)
        m.wait()
        harness.wait_until(lambda: f"Client {cid} closed its connection" in
                           broker_log(self.broker), what=f"the broker to notice {cid} died")

    def test_kill_9_makes_the_broker_publish_the_leave_message(self):
        m = self.start(self.classic_ini())
        sub = self.subscriber()
        self.kill_and_wait_closed(m)
        sub.out.wait_for(r"^Ana ha salido del chat$", timeout=LINK_TIMEOUT)

    def test_kill_9_with_presence_the_room_is_told_by_another_mqchat(self):
        m = self.start(self.ini(will_delay="0"))
        presence = self.presence_reader()
        self.another_in_the_room()
        sub = self.subscriber()
        self.kill_and_wait_closed(m)
        line = presence.out.lines[presence.out.wait_for(r'"lost":true', timeout=LINK_TIMEOUT)]
        will = json.loads(line)
        self.assertEqual((will["nick"], will["state"], will["leave"]),
                         ("Ana", "offline", "Ana ha salido del chat"))
        sub.out.wait_for(r"^Ana ha salido del chat$", timeout=LINK_TIMEOUT)

    def test_the_will_speaks_the_configured_wire(self):
        m = self.start(self.classic_ini(wire="json"))
        sub = self.subscriber()
        self.kill_and_wait_closed(m)
        line = sub.out.lines[sub.out.wait_for(r'"type":"leave"', timeout=LINK_TIMEOUT)]
        will = json.loads(line)
        self.assertEqual((will["v"], will["nick"], will["type"], will["text"]),
                         (1, "Ana", "leave", ""))
        self.assertRegex(will["id"], r"^[0-9a-f]{16}$")

    def test_will_off(self):
        m = self.start(self.classic_ini(will="off"))
        self.assertIn("No will message specified", broker_log(self.broker))
        sub = self.subscriber()
        self.kill_and_wait_closed(m)
        publish(self.broker, "Bob: marker")
        sub.out.wait_for(r"^Bob: marker$")
        self.assertNotIn(b"Ana ha salido del chat", sub.payloads())

    def test_will_off_with_presence_only_the_presence_goes_offline(self):
        # Presence needs its will (the offline presence); `will = off`
        # takes the leave message out of it, so nobody says it on the room.
        m = self.start(self.ini(will="off", will_delay="0"))
        self.assertRegex(broker_log(self.broker), r"Will message specified .*\n.*\t"
                         rf"{harness.TOPIC}/presence/_/")
        presence = self.presence_reader()
        bob = self.another_in_the_room()
        sub = self.subscriber()
        self.kill_and_wait_closed(m)
        line = presence.out.lines[presence.out.wait_for(r'"lost":true', timeout=LINK_TIMEOUT)]
        will = json.loads(line)
        self.assertEqual((will["nick"], will["state"]), ("Ana", "offline"))
        self.assertNotIn("leave", will)
        bob.out.wait_for(r"Ana.*connection lost", timeout=LINK_TIMEOUT)
        # Said by Bob after the will came: behind any relay of it.
        bob.send("still here")
        sub.out.wait_for(r"^Bob: still here$", timeout=LINK_TIMEOUT)
        self.assertNotIn(b"Ana ha salido del chat", sub.payloads())

    def test_the_will_carries_the_nick_of_the_last_connection(self):
        term = PtyMqchat(self, self.classic_ini())
        term.out.wait_for(r"connected to ", timeout=LINK_TIMEOUT)
        term.type("/nick Eva\r")
        term.out.wait_for(r"you are now known as Eva")
        mark = len(term.out.lines)
        self.broker.restart()  # the link drops and comes back with a new CONNECT
        term.out.wait_for(r"connected to ", timeout=LINK_TIMEOUT, start=mark)
        sub = self.subscriber()
        os.kill(term.proc.pid, signal.SIGKILL)
        term.proc.wait()
        sub.out.wait_for(r"^Eva ha salido del chat$", timeout=LINK_TIMEOUT)


class PtyOutput:
    """The terminal's output side: reads until the last process holding the
    terminal is gone (then Linux reports EIO rather than end of file)."""

    def __init__(self, fd):
        self.file = os.fdopen(fd, "rb", buffering=0)

    def readline(self):
        try:
            return self.file.readline()
        except OSError:
            return b""

    def close(self):
        self.file.close()


class PtyMqchat:
    """mqchat on a pseudo-terminal: commands such as /nick run there."""

    def __init__(self, tc, ini):
        master, slave = pty.openpty()
        home = os.path.join(tc.workdir, "tty")
        os.makedirs(home, exist_ok=True)
        env = harness.isolated_env(home)
        env["TERM"] = "dumb"
        self.proc = subprocess.Popen([harness.MQCHAT, "-c", ini], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True)
        os.close(slave)
        self.master = master
        self.output = PtyOutput(master)
        self.out = harness.LineReader(self.output, "mqchat tty")
        tc.cleanups.append(self.stop)

    def type(self, text):
        os.write(self.master, text.encode())

    def stop(self):
        problem = harness.terminate(self.proc)
        self.out.thread.join(5)
        self.output.close()
        if problem:
            raise AssertionError(problem)


if __name__ == "__main__":
    harness.main()
