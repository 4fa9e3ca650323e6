#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The measuring stick of bench/run's irc section, not product code: a
bridge from an MQTT topic to an IRC channel built on Debian's
python3-paho-mqtt and python3-irc, doing the job mqchat's bridge does
there.

  irc_refbridge.py MQTT_PORT TOPIC QOS IRC_PORT NICK CHANNEL

Registers as NICK on 127.0.0.1:IRC_PORT and joins CHANNEL; once joined,
subscribes to TOPIC on 127.0.0.1:MQTT_PORT at QOS, and turns each
"nick: text" published there into PRIVMSG CHANNEL :<nick@mqtt> text, as
mqchat sends a relayed message.  One thread, one select() over both
sockets, as mqchat has one poll() loop; PINGs are answered by the
library.  No pacing: it writes as fast as messages come (the bench's
ngircd runs without penalties, so nothing is throttled or dropped)."""
import select
import sys

import irc.client
import paho.mqtt.client as mqtt

# Debian's python3-irc (8.5) names the reactor IRC; later releases Reactor.
Reactor = getattr(irc.client, "Reactor", None) or irc.client.IRC


def relayed(payload):
    """The PRIVMSG text for one plain-wire payload."""
    text = payload.decode("utf-8", "replace").replace("\r", " ").replace("\n", " ")
    nick, sep, said = text.partition(": ")
    return f"<{nick}@mqtt> {said}" if sep else text


def main():
    mqtt_port, topic, qos = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    irc_port, nick, channel = int(sys.argv[4]), sys.argv[5], sys.argv[6]
    reactor = Reactor()
    conn = reactor.server().connect("127.0.0.1", irc_port, nick)
    mq = mqtt.Client(client_id=f"refbridge-{mqtt_port}", clean_session=True)
    mq.on_connect = lambda client, userdata, flags, rc: client.subscribe(topic, qos)
    mq.on_message = lambda client, userdata, msg: conn.privmsg(channel, relayed(msg.payload))

    def joined(c, event):
        if irc.client.NickMask(event.source).nick == nick:
            mq.connect("127.0.0.1", mqtt_port)

    reactor.add_global_handler("welcome", lambda c, e: c.join(channel))
    reactor.add_global_handler("join", joined)
    reactor.add_global_handler("disconnect", lambda c, e: sys.exit(1))
    while True:
        mq_sock = mq.socket()
        readers = [conn.socket] + ([mq_sock] if mq_sock else [])
        writers = [mq_sock] if mq_sock and mq.want_write() else []
        readable, writable, _ = select.select(readers, writers, [], 1.0)
        if conn.socket in readable:
            reactor.process_data([conn.socket])
        if mq_sock in readable:
            mq.loop_read()
        if writable:
            mq.loop_write()
        if mq_sock:
            mq.loop_misc()
        reactor.process_timeout()


if __name__ == "__main__":
    sys.exit(main())
