# SPDX-License-Identifier: MIT
"""share = GROUP: two loggers in one group subscribe to the room through
$share/GROUP/, on a real mosquitto with conf/mosquitto-acl.conf; 20 lines
said in the room reach the pool once each (each line shown by exactly one
of them, the two of them showing all), and an ordinary member sees all."""
import harness
from rooms16_helpers import SLOW, AclTestCase

SAID = [f"Clase: línea {n:02d}" for n in range(1, 21)]
POOL = {"share": "loggers", "presence": "off"}


class ShareTest(AclTestCase):

    def test_a_pool_gets_each_message_once(self):
        loggers = [self.chat("cata", "Cata", "cata", mqtt=POOL),
                   self.chat("mallory", "Olga", "mallory", mqtt=POOL)]
        bob = self.chat("bob", "Bob", "bob")
        for text in SAID:
            harness.publish(self.broker, text)
        bob.out.wait_for(rf"^{SAID[-1]}$", timeout=SLOW)

        def shown():
            return [line for m in loggers for line in m.out.text().splitlines()
                    if line in SAID]

        harness.wait_until(lambda: set(shown()) == set(SAID), timeout=SLOW,
                           what=f"the pool to show all 20; shown {shown()}")
        # A fence for each logger: markers until both have shown one (the
        # broker deals them out in turn); each logger gets its messages in
        # order, so a copy said before would be there by then.
        n = 0
        while not all("Clase: marca" in m.out.text() for m in loggers):
            n += 1
            self.assertLess(n, 50, "the markers never reached both loggers")
            harness.publish(self.broker, f"Clase: marca {n}")
            harness.wait_until(lambda: sum(m.out.text().count("Clase: marca") for m in loggers)
                               >= n, timeout=SLOW, what=f"marker {n} in the pool")
        self.assertEqual(sorted(shown()), sorted(SAID),
                         [m.out.text() for m in loggers])
        # Both took part: a shared subscription, not one logger alone.
        self.assertTrue(all(any(t in m.out.text() for t in SAID) for m in loggers),
                        [m.out.text() for m in loggers])


if __name__ == "__main__":
    harness.main()
