# SPDX-License-Identifier: MIT
"""A connection cut under mqchat's feet makes the broker publish its Last
Will ("Ana ha salido del chat"); when mqchat is back, the room is told so
("Ana ha entrado al chat") before anything it says next.  The will here is
the classic one, the leave message on the room: presence = off (with
presence on, the will is the offline presence, published only after
will_delay, and its leave message is said on the room by another mqchat:
tests/integration/mqtt/test_mqtt_session.py)."""
import harness


class RejoinTest(harness.TestCase):
    def test_back_after_a_cut_the_room_is_told(self):
        proxy = harness.TcpProxy(self.broker.port)
        self.cleanups.append(proxy.close)
        sub = self.subscriber()
        ini = harness.basic_ini(self.workdir, self.broker, core={"announce": "on", "history": "off"},
                                mqtt={"port": proxy.port, "reconnect_max": 1,
                                      "presence": "off"})
        m = self.mqchat(ini)
        sub.out.wait_for(r"^Ana ha entrado al chat$")
        proxy.cut()
        left = sub.out.wait_for(r"^Ana ha salido del chat$", timeout=30)
        back = sub.out.wait_for(r"^Ana ha entrado al chat$", start=left + 1, timeout=30)
        m.err.wait_for(r"connected to ", timeout=30)
        m.send("de vuelta")
        said = sub.out.wait_for(r"^Ana: de vuelta$", timeout=30)
        self.assertLess(back, said)


if __name__ == "__main__":
    harness.main()
