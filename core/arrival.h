/* SPDX-License-Identifier: MIT */
/*
 * A payload as it arrives from a backend, made into a message once:
 * decoded (json when it is one of ours, else plain text), sanitised for
 * showing and storing, and given its identity (dedup.h), which every later
 * step (echo filter, repeats, retained messages, history) uses as it is.
 */
#ifndef MQC_ARRIVAL_H
#define MQC_ARRIVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "dedup.h"
#include "strbuf.h"

struct arrival {
	struct mqc_message msg; /* its strings point into the buffers below */
	struct dedup_identity ident;
	uint64_t payload_digest; /* of the raw payload, for the echo filter; 0 unless asked */
	struct strbuf nick, text, topic, id, origin;
};

/* Where it arrived: strings that outlive the arrival. */
struct arrival_place {
	const char *network, *room;
	const char *to; /* a private message's recipient; NULL: none */
};

/* An arrival not made yet. */
#define ARRIVAL_INIT {0}

/* Makes `a` from what the backend handed over (`flags`: MQC_MSG_RETAINED
 * and MQC_MSG_HISTORY are kept); `digest_payload`: compute payload_digest
 * too.  `a` is ARRIVAL_INIT or was made before: its buffers are used
 * again, which spares each message its allocations.  Free with
 * arrival_free(). */
void arrival_make(struct arrival *a, const char *topic, const void *payload, size_t len,
                  const struct arrival_place *at, unsigned flags, bool digest_payload);
/* Frees the buffers a big message grew (strbuf_free_if_big). */
void arrival_trim(struct arrival *a);
void arrival_free(struct arrival *a);

#endif
