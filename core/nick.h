/* SPDX-License-Identifier: MIT */
/*
 * The one rule for a nick: ours (-n, nick =, /nick, a FIFO's nick) and
 * everyone else's, whichever wire it came in.
 */
#ifndef MQC_NICK_H
#define MQC_NICK_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* The longest nick, in bytes of UTF-8. */
#define NICK_MAX 64

/*
 * Cleans `len` bytes at `in` (sanitize_name_append(), then spaces trimmed
 * at both ends) and appends the result to `out` when it is 1..NICK_MAX
 * bytes with no ':' ("<nick>: <text>" must stay unambiguous).  Returns
 * NULL then; otherwise leaves `out` as it was and returns why, a phrase
 * such as "a nick cannot contain ':'".
 */
const char *nick_clean(struct strbuf *out, const char *in, size_t len);

/* True when `len` bytes at `in` are a nick just as they stand: nick_clean()
 * accepts them and changes nothing. */
bool nick_is_clean(const char *in, size_t len);

#endif
