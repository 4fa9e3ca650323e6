# SPDX-License-Identifier: MIT
"""A connection cut under mqchat's feet makes the broker publish its Last
Will ("Ana ha salido del chat"); when mqchat is back, the room is told so
("Ana ha entrado al chat") before anything it says next."""
import socket
import threading

import harness


class CuttableProxy:
    """Forwards 127.0.0.1:<port> to the broker; cut() resets every
    connection at once, as a network failure would."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.sockets = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.broker_port))
            with self.lock:
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass

    def cut(self):
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            # shutdown() wakes the pumps blocked in recv() (close() alone
            # would not); the broker sees the end of the stream without a
            # DISCONNECT, as when a network fails.
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.listener.close()
        self.cut()


class RejoinTest(harness.TestCase):
    def test_back_after_a_cut_the_room_is_told(self):
        proxy = CuttableProxy(self.broker.port)
        self.cleanups.append(proxy.close)
        sub = self.subscriber()
        ini = harness.basic_ini(self.workdir, self.broker, core={"announce": "on", "history": "off"},
                                mqtt={"port": proxy.port, "reconnect_max": 1})
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
