/* SPDX-License-Identifier: MIT */
#include "keytype.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

/* A suffix and what it is worth in its family's smallest unit. */
struct suffix {
	const char *text;
	int64_t factor;
};

static const struct suffix durations[] = {
	{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}, {NULL, 0},
};

static const struct suffix sizes[] = {
	{"k", 1024}, {"kb", 1024}, {"kib", 1024},
	{"m", 1048576}, {"mb", 1048576}, {"mib", 1048576},
	{"g", 1073741824}, {"gb", 1073741824}, {"gib", 1073741824},
	{NULL, 0},
};

/* The unit's family, its worth in that family, its name and the hint
 * shown after a range. */
struct unit {
	const struct suffix *family;
	int64_t factor;
	const char *name, *hint;
};

static const struct unit units[] = {
	[MQC_UNIT_NONE] = {NULL, 1, "", ""},
	[MQC_UNIT_MS] = {durations, 1, " milliseconds", " (units: ms s m h d)"},
	[MQC_UNIT_SECONDS] = {durations, 1000, " seconds", " (units: ms s m h d)"},
	[MQC_UNIT_DAYS] = {durations, 86400000, " days", " (units: ms s m h d)"},
	[MQC_UNIT_BYTES] = {sizes, 1, " bytes", " (units: k M G)"},
};

#define N_UNITS (sizeof units / sizeof units[0])

bool keytype_is_path(const struct mqc_key *key)
{
	return (key->flags & MQC_KEY_PATH) || key->type == MQC_KEY_PATHNAME;
}

/* A bound as people write it: sizes in the largest unit that divides them. */
static void append_bound(struct strbuf *sb, enum mqc_key_unit unit, int64_t n)
{
	static const char *const letters = "kMG";
	int shift = 0;
	while (unit == MQC_UNIT_BYTES && n != 0 && shift < 3 && n % 1024 == 0) {
		n /= 1024;
		shift++;
	}
	strbuf_printf(sb, "%" PRId64 "%.*s", n, shift ? 1 : 0, shift ? letters + shift - 1 : "");
}

static void say_not_in_range(const struct mqc_key *key, const char *text, struct strbuf *err)
{
	strbuf_printf(err, "'%s' is not a number from ", text);
	append_bound(err, key->unit, key->min);
	strbuf_appends(err, " to ");
	append_bound(err, key->unit, key->max);
	strbuf_printf(err, "%s%s", units[key->unit].name, units[key->unit].hint);
}

/* `n` times the suffix at `end` (none: the key's own unit), in the key's
 * unit.  False if the suffix is unknown or the result not whole or too big. */
static bool apply_suffix(const struct unit *u, int64_t n, const char *end, int64_t *out,
                         bool *whole)
{
	*whole = true;
	if (!*end)
		return *out = n, true;
	const struct suffix *s = u->family;
	while (s && s->text && strcasecmp(s->text, end) != 0)
		s++;
	if (!s || !s->text || n > INT64_MAX / s->factor || n < INT64_MIN / s->factor)
		return false;
	int64_t scaled = n * s->factor;
	*whole = scaled % u->factor == 0;
	*out = scaled / u->factor;
	return *whole;
}

static bool parse_number(const struct mqc_key *key, const char *text, int64_t *out,
                         struct strbuf *err)
{
	const char *digits = text[0] == '-' ? text + 1 : text;
	bool whole = true;
	if (*digits >= '0' && *digits <= '9') {
		char *end;
		errno = 0;
		long long n = strtoll(text, &end, 10);
		if (errno == 0 && apply_suffix(&units[key->unit], n, end, out, &whole) &&
		    *out >= key->min && *out <= key->max)
			return true;
	}
	if (whole)
		say_not_in_range(key, text, err);
	else
		strbuf_printf(err, "'%s' is not a whole number of%s", text, units[key->unit].name);
	return false;
}

static bool parse_word(const struct mqc_key *key, const char *text, int64_t *out,
                       struct strbuf *err)
{
	if (!*text && (!key->def || !*key->def))
		return *out = -1, true;
	for (int64_t i = 0; key->words[i]; i++)
		if (strcasecmp(key->words[i], text) == 0)
			return *out = i, true;
	strbuf_printf(err, "'%s' is not one of: ", text);
	for (size_t i = 0; key->words[i]; i++)
		strbuf_printf(err, "%s%s", i ? ", " : "", key->words[i]);
	return false;
}

bool keytype_parse(const struct mqc_key *key, const char *text, int64_t *out,
                   struct strbuf *err)
{
	*out = 0;
	switch (key->type) {
	case MQC_KEY_BOOL: {
		bool on;
		if (config_parse_bool(text, &on))
			return *out = on, true;
		strbuf_printf(err, "'%s' is not on or off", text);
		return false;
	}
	case MQC_KEY_NUMBER:
		return parse_number(key, text, out, err);
	case MQC_KEY_WORD:
		return parse_word(key, text, out, err);
	case MQC_KEY_STRING:
	case MQC_KEY_PATHNAME:
		break;
	}
	return true;
}

bool keytype_declaration_ok(const struct mqc_key *key, struct strbuf *err)
{
	if ((unsigned)key->type > MQC_KEY_PATHNAME)
		strbuf_printf(err, "key '%s' has an unknown type (%d)", key->name, (int)key->type);
	else if ((unsigned)key->unit >= N_UNITS || (key->unit && key->type != MQC_KEY_NUMBER))
		strbuf_printf(err, "key '%s' has an unknown unit (%d), or one without being a number",
		              key->name, (int)key->unit);
	else if (key->type == MQC_KEY_NUMBER && key->min > key->max)
		strbuf_printf(err, "key '%s' has a range from %" PRId64 " to %" PRId64, key->name,
		              key->min, key->max);
	else if (key->type == MQC_KEY_WORD && (!key->words || !key->words[0]))
		strbuf_printf(err, "key '%s' is a word with no words to choose from", key->name);
	else
		return true;
	return false;
}

bool keytype_core_value(const struct config *cfg, const char *key, int64_t *out,
                        struct strbuf *err)
{
	const struct mqc_key *k = config_core_keys;
	while (k->name && strcmp(k->name, key) != 0)
		k++;
	*out = 0;
	if (!k->name)
		return true;
	const char *text = config_core_value(cfg, key);
	struct strbuf why = STRBUF_INIT;
	bool ok = keytype_parse(k, text, out, &why);
	if (!ok) {
		const struct config_value *v = config_find(cfg, "core", key);
		strbuf_printf(err, "%s: [core] %s: %s", v ? v->origin : "built-in default", key,
		              strbuf_str(&why));
	}
	strbuf_free(&why);
	return ok;
}
