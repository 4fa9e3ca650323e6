# SPDX-License-Identifier: MIT
"""irssi, a person's IRC client, on a real terminal (tmux): it and mqchat
chat both ways in #tubbies on ngircd, text, UTF-8 and actions, and irssi's
/msg reaches mqchat as a private message.  What irssi shows is read off
its screen, as its user would."""
import harness
from irc_helpers import TestCase


class IrcIrssiTest(TestCase):

    def test_irssi_and_mqchat_chat_both_ways(self):
        server = self.ngircd()
        bob = self.peer(server, "bob")  # tells when the others have joined
        irssi = self.irssi(server, "irssi")
        irssi.wait_screen(r"Welcome to the Internet Relay Network irssi")
        irssi.type("/join #tubbies")
        bob.wait("join", "irssi")
        m = self.start_in_channel(bob, server.port)
        irssi.wait_screen(r"Ana \S+ has joined #tubbies")

        m.send("hola irssi, ñandú")
        irssi.wait_screen(r"<[ @+]?Ana> hola irssi, ñandú$")
        self.write("/me saluda")
        irssi.wait_screen(r"\* Ana saluda$")

        for typed, seen in (("hola Ana, desde irssi ✓", "irssi: hola Ana, desde irssi ✓"),
                            ("/me waves back", "* irssi waves back"),
                            ("/msg Ana en privado", "[irc -> you] irssi: en privado")):
            irssi.type(typed)
            self.wait_shown(m, seen)
        # bob heard the channel's lines, not the private one.
        bob.wait("action", "irssi", "waves back")
        self.assertEqual(bob.texts("pubmsg", "irssi"), ["hola Ana, desde irssi ✓"])
        self.assertEqual(bob.texts("pubmsg", "Ana"), ["hola irssi, ñandú"])


if __name__ == "__main__":
    harness.main()
