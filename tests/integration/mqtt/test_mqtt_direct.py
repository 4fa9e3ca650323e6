# SPDX-License-Identifier: MIT
"""A room's QoS 0 lines are written by mqchat itself, a loop round's in one
send() (mqtt_direct.h), and must reach a plain client (mosquitto_sub) every
one, in order; a line longer than the broker takes (MQTT 5 Maximum Packet
Size) is refused as libmosquitto refuses it, and the connection lives on;
a line past MQTT_DIRECT_PACKET_MAX (64 KiB) is libmosquitto's to write,
and keeps its place among ours.

strace, attached to mqchat, counts the send() calls that carried the
lines: no clock."""
import os
import re

import harness
import kernel_view

LINES = 300
# A QoS 0 PUBLISH (first byte 0x30, "0" to strace) written by our send().
SEND_RX = re.compile(r'^\d+ +sendto\(\d+, "0.*\) = (\d+)$')


class DirectTest(harness.TestCase):
    broker_conf = "max_packet_size 1000\n"

    def start(self):
        fifo = os.path.join(self.workdir, "in.fifo")
        ini = harness.basic_ini(
            self.workdir, self.broker,
            core={"frontends": "fifo", "announce": "off", "history": "off"},
            mqtt={"qos": "0"}, fifo={"path": fifo})
        sub = self.subscriber()
        devnull = open(os.devnull, "rb")
        self.cleanups.append(devnull.close)
        m = self.mqchat(ini, stdin=devnull)
        m.err.wait_for(r"connected to ")
        return m, sub, fifo

    def test_a_burst_leaves_in_few_sends_every_line_in_order(self):
        m, sub, fifo = self.start()
        log = os.path.join(self.workdir, "strace.log")
        strace = kernel_view.attach_strace(m.proc.pid, log, ["sendto"])
        self.cleanups.append(lambda: (strace.poll() is None and strace.kill(), strace.wait()))
        lines = [f"burst {i:04d}" for i in range(LINES)]
        fd = os.open(fifo, os.O_WRONLY)
        try:
            os.write(fd, "".join(l + "\n" for l in lines).encode())
        finally:
            os.close(fd)
        sub.out.wait_for(rf"^Ana: burst {LINES - 1:04d}$")
        self.assertEqual(sub.payloads(), [f"Ana: {l}".encode() for l in lines])
        harness.wait_until(lambda: kernel_view.waiting_in_poll(m.proc.pid),
                           what="mqchat back in poll()")
        kernel_view.detach_strace(strace)
        with open(log) as f:
            trace = f.read()
        sends = [int(g.group(1)) for g in map(SEND_RX.match, trace.splitlines()) if g]
        one = len(b"\x30\x00\x00\x00conversacionTeletubbies\x00Ana: burst 0000")
        self.assertEqual(sum(sends), LINES * one, trace)
        # Lines that came in one read of the FIFO leave together.
        self.assertLess(len(sends), LINES // 4, trace)

    def test_a_line_too_long_for_the_broker_is_refused_alone(self):
        m, sub, fifo = self.start()
        fd = os.open(fifo, os.O_WRONLY)
        try:
            os.write(fd, b"before\n" + b"x" * 2000 + b"\nafter\n")
        finally:
            os.close(fd)
        sub.out.wait_for(r"^Ana: after$")
        m.err.wait_for(r"message not sent: .*")
        self.assertEqual(sub.payloads(), [b"Ana: before", b"Ana: after"])
        # The broker did not drop us for it ("connection to ... lost").
        self.assertNotRegex(m.err.text(), r"connection to \S+ lost")


# Past MQTT_DIRECT_PACKET_MAX: written by libmosquitto, not by us.
BIG = 100 * 1024


class BoundaryTest(harness.TestCase):
    """No Maximum Packet Size: the broker takes a line of any length."""

    def test_lines_past_64_kib_keep_their_place_among_ours(self):
        ini = harness.basic_ini(self.workdir, self.broker,
                                core={"announce": "off", "history": "off"},
                                mqtt={"qos": "0"})
        sub = self.subscriber()
        m = self.mqchat(ini)
        m.err.wait_for(r"connected to ")
        # Ours before a long one, ours queued while libmosquitto still
        # writes it, a second long one right after, and ours again: one
        # write, so that the kinds meet within a round as well as across.
        lines = ([f"small {i}" for i in range(5)] + ["a" * BIG]
                 + [f"middle {i}" for i in range(5)] + ["b" * BIG, "c" * BIG]
                 + [f"last {i}" for i in range(5)])
        m.proc.stdin.write("".join(l + "\n" for l in lines).encode())
        m.proc.stdin.flush()
        sub.out.wait_for(r"^Ana: last 4$")
        self.assertEqual(sub.payloads(), [f"Ana: {l}".encode() for l in lines])


if __name__ == "__main__":
    harness.main()
