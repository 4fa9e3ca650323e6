/* SPDX-License-Identifier: MIT */
#include "json_envelope.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include <mqchat/utf8.h>

/* The bytes not read yet. */
struct cursor {
	const char *at;
	const char *end;
};

static bool take(struct cursor *c, const char *literal)
{
	size_t n = strlen(literal);
	if ((size_t)(c->end - c->at) < n || memcmp(c->at, literal, n) != 0)
		return false;
	c->at += n;
	return true;
}

static void skip_space(struct cursor *c)
{
	while (c->at < c->end && json_is_space(*c->at))
		c->at++;
}

/* A string whose bytes are its value: valid UTF-8, no escape, no control
 * byte (which JSON forbids raw). */
static bool plain_string(struct cursor *c, struct json_span *out)
{
	if (!take(c, "\""))
		return false;
	const char *start = c->at;
	while (c->at < c->end) {
		unsigned char b = (unsigned char)*c->at;
		uint32_t cp;
		size_t n = b < 0x80 ? 1 : mqc_utf8_decode(c->at, (size_t)(c->end - c->at), &cp);
		if (b == '"') {
			*out = (struct json_span){start, (size_t)(c->at - start)};
			c->at++;
			return true;
		}
		if (b < 0x20 || b == '\\' || n == 0)
			return false;
		c->at += n;
	}
	return false;
}

/* Any whole number of this many digits is exact as a double (2^53 has 16). */
#define EXACT_DIGITS 15

/* A whole number without sign, fraction, exponent or leading zero, of at
 * most EXACT_DIGITS digits: what jansson reads as the same double. */
static bool whole_number(struct cursor *c, double *out)
{
	const char *start = c->at;
	uint64_t v = 0;
	while (c->at < c->end && json_is_digit(*c->at) && c->at - start <= EXACT_DIGITS)
		v = v * 10 + (uint64_t)(*c->at++ - '0');
	size_t digits = (size_t)(c->at - start);
	if (digits == 0 || digits > EXACT_DIGITS || (digits > 1 && *start == '0'))
		return false;
	*out = (double)v;
	return true;
}

bool json_envelope_read(const char *payload, size_t len, struct json_members *m)
{
	struct cursor c = {payload, payload + len};
	*m = (struct json_members){.ts = NAN, .hops = NAN};
	skip_space(&c);
	if (!(take(&c, "{\"v\":1,\"id\":") && plain_string(&c, &m->id) &&
	      take(&c, ",\"nick\":") && plain_string(&c, &m->nick) && take(&c, ",\"ts\":") &&
	      whole_number(&c, &m->ts) && take(&c, ",\"type\":") && plain_string(&c, &m->type) &&
	      take(&c, ",\"text\":") && plain_string(&c, &m->text)))
		return false;
	if (take(&c, ",\"origin\":") &&
	    !(plain_string(&c, &m->origin) && take(&c, ",\"hops\":") && whole_number(&c, &m->hops)))
		return false;
	if (!take(&c, "}"))
		return false;
	skip_space(&c);
	return c.at == c.end;
}
