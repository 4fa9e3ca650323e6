/* SPDX-License-Identifier: MIT */
/*
 * Typed key values (enum mqc_key_type): parsing one, in the one wording
 * every complaint about a value uses, whoever declared the key.
 */
#ifndef MQC_KEYTYPE_H
#define MQC_KEYTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "config.h"
#include "strbuf.h"

/* Parses `text` as `key` declares it.  True with the value in *out: a
 * bool's 0 or 1, a number in the key's unit, a word's index in `words` (-1
 * for an empty value, accepted when the default is empty), 0 for a string
 * or a path.  False with why in `err`, e.g. "'maybe' is not on or off". */
bool keytype_parse(const struct mqc_key *key, const char *text, int64_t *out,
                   struct strbuf *err);

/* Whether a declaration can be used: a known type and unit, min <= max, a
 * word list for a word.  False with what is wrong in `err`. */
bool keytype_declaration_ok(const struct mqc_key *key, struct strbuf *err);

/* The parsed value of [core] `key`, as its entry in config_core_keys
 * types it (0 for an untyped or unknown key): true, or false with
 * "ORIGIN: [core] key: 'VALUE' is not ..." in `err`. */
bool keytype_core_value(const struct config *cfg, const char *key, int64_t *out,
                        struct strbuf *err);

/* Whether the value is a path, to expand: the MQC_KEY_PATH flag or type. */
bool keytype_is_path(const struct mqc_key *key);

#endif
