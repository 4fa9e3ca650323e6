/* SPDX-License-Identifier: MIT */
/* Who the user is: a nick, and a stable id kept in the state directory. */
#ifndef MQC_IDENTITY_H
#define MQC_IDENTITY_H

#include <stdbool.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

/* $XDG_STATE_HOME/mqchat (or ~/.local/state/mqchat), created 0700.
 * Returns a malloc'd path, or NULL with the reason in `err`. */
char *identity_state_dir(struct strbuf *err);

/* The 32-hex-digit id stored in <state_dir>/identity, created on first use.
 * When it cannot be stored (no state directory: `state_dir` NULL, a full
 * or read-only disk), a fresh id for this run only, with *lasting false
 * and the reason in `err`.  NULL (with the reason) only when the file is
 * there but holds no identity: replacing it would hide that. */
char *identity_stable_id(const char *state_dir, bool *lasting, struct strbuf *err);

/* Checks and normalises a nick by the one nick rule (nick_clean(), nick.h:
 * cleaned, 1..NICK_MAX bytes, no colon).  Returns a malloc'd
 * nick, or NULL with the reason in `err`. */
char *identity_clean_nick(const char *nick, size_t len, struct strbuf *err);

/* Asks for a nick on the terminal ("Nick: "); NULL at end of input. */
char *identity_ask_nick(void);

/* A fresh random message id: 16 hex digits. */
void identity_new_message_id(char out[MQC_MESSAGE_ID_SIZE]);

#endif
