/* SPDX-License-Identifier: MIT */
/*
 * mqchat plugin helpers: stepping through UTF-8.
 *
 * Strings the core hands a plugin are valid UTF-8 already; these are for
 * bytes of the plugin's own (read from a pipe, a file, a program) and for
 * walking a string a character at a time.  The rules are the core's own
 * (its sanitiser uses this very function), so a plugin and the core never
 * disagree on what is a character.  To cut a string at a character boundary
 * see mqc_utf8_prefix() in <mqchat/plugin.h>.
 *
 * Inline functions only: they add nothing to the ABI.  The header stands
 * alone.
 */
#ifndef MQCHAT_UTF8_H
#define MQCHAT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Decodes the character at `s` (`len` bytes available, len > 0).  Returns
 * its length in bytes (1 to 4) and stores its code point in *cp, or returns
 * 0, *cp untouched, when the bytes there are not one well-formed UTF-8
 * character: a stray continuation byte, a sequence cut short by `len`, an
 * overlong form, a surrogate (U+D800 to U+DFFF) or a value above U+10FFFF.
 * To walk any bytes: step by the length, or by 1 (showing U+FFFD or an
 * escape) where it is 0.
 */
static inline size_t mqc_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c = u[0], min;
	size_t n;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 2, min = 0x80, c &= 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, min = 0x800, c &= 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, min = 0x10000, c &= 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((u[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (u[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

#ifdef __cplusplus
}
#endif

#endif /* MQCHAT_UTF8_H */
