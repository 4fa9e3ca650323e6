/* SPDX-License-Identifier: MIT */
/* The [mqtt] section: its keys and their validated values. */
#ifndef MQTT_CONFIG_H
#define MQTT_CONFIG_H

#include <mqchat/plugin.h>

#include <stdbool.h>
#include <stdint.h>

#include "mqtt_hosts.h"

struct mqtt_config {
	struct mqtt_hosts brokers; /* `hosts`, else `host` and `port` (listed order) */
	bool hosts_random;   /* hosts_order = random: shuffled at open() */
	char *topic;
	int qos;
	char *wire;          /* "plain" | "json", handed to host->encode */
	int keepalive;       /* seconds */
	char *client_id;     /* NULL: derive a default (mqtt_client_id.c) */
	bool session_clean;  /* false: the broker keeps our session while we are away */
	uint32_t session_expiry; /* seconds the broker keeps it (MQTT 5 only) */
	bool will;           /* a Last Will: our leave message, sent by the broker */
	char *username;      /* NULL when none */
	char *password;      /* first line of password_file; NULL when none */
	bool tls;
	char *cafile, *capath, *certfile, *keyfile; /* NULL when not given */
	bool tls_insecure;   /* no certificate or host name check at all */
	char *tls_version;   /* lowest version: "tlsv1.2" | "tlsv1.3"; NULL: 1.2 */
	char *alpn;          /* ALPN protocol offered; NULL when none */
	int protocol;        /* MQTT_PROTOCOL_V5 or MQTT_PROTOCOL_V311 */
	int connect_timeout; /* seconds */
	bool retry;          /* keep retrying when unreachable at start */
	int reconnect_max;   /* cap of the backoff, seconds */
	/* MQTT rooms (mqtt_meta.h says where each travels) */
	bool presence;       /* publish our presence in each room; follow others' */
	uint32_t will_delay; /* seconds the broker waits before our will (MQTT 5) */
	bool verify;         /* senders proved by the broker's ACL (ROOM/u/USER) */
	bool history_service; /* answer others' history requests (MQTT 5) */
	char *share;         /* GROUP: rooms subscribed as $share/GROUP/ROOM; NULL: none */
};

/* The keys declared by the plugin (ends with a NULL name). */
extern const struct mqc_key mqtt_config_keys[];

/* Checks what the core's types cannot: the topic, keys that go together,
 * the files named (and warns about a password file others may read).  On
 * a bad value: host->config_error() naming the key, false. */
bool mqtt_config_check(struct mqc_instance *inst, const struct mqc_host *host);

/* Reads every key (the password from its file), for open(): after
 * mqtt_config_check() passed.  False, everything freed, after
 * host->config_error() when the password file cannot be read. */
bool mqtt_config_load(struct mqtt_config *cfg, struct mqc_instance *inst,
                      const struct mqc_host *host);

void mqtt_config_free(struct mqtt_config *cfg);

#endif
