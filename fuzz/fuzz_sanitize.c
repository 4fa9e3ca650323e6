/* SPDX-License-Identifier: MIT */
/*
 * The sanitiser is the one wall between received bytes and a terminal or a
 * log.  For any input its output must be safe text (judged independently by
 * fuzz_util.c), at most three bytes per input byte (one U+FFFD per bad
 * byte), and a fixed point: sanitising it again changes nothing, so the
 * core may sanitise twice without harm.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mqchat/utf8.h>

#include "fuzz_util.h"
#include "sanitize.h"
#include "strbuf.h"

/* mqc_utf8_decode must agree with the independent decoder at every offset:
 * same length, same code point, same refusals. */
static void check_utf8_decode(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint32_t cp = 0;
		unsigned expected_cp = 0;
		const char *why = NULL;
		size_t n = mqc_utf8_decode(in + i, len - i, &cp);
		size_t expected = fuzz_utf8_sequence(in + i, len - i, &expected_cp, &why);
		fuzz_require(n == expected, "mqc_utf8_decode and the reference disagree on a length");
		fuzz_require(n == 0 || cp == expected_cp,
		             "mqc_utf8_decode and the reference disagree on a code point");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_copy(data, size);
	struct strbuf once = STRBUF_INIT, twice = STRBUF_INIT;

	sanitize_append(&once, in, size);
	fuzz_require(once.len <= 3 * size, "output longer than 3 bytes per input byte");
	fuzz_require(once.len == 0 || strlen(once.data) == once.len, "NUL in the output");
	fuzz_require_safe(once.data, once.len, "sanitize_append output");

	sanitize_append(&twice, once.data, once.len);
	fuzz_require(twice.len == once.len &&
	                     (once.len == 0 || memcmp(once.data, twice.data, once.len) == 0),
	             "sanitising sanitised text changed it");

	/* Appending keeps what was there: the core builds lines piecewise. */
	struct strbuf prefixed = STRBUF_INIT;
	strbuf_appends(&prefixed, "Bob: ");
	sanitize_append(&prefixed, in, size);
	fuzz_require(prefixed.len == 5 + once.len &&
	                     memcmp(prefixed.data, "Bob: ", 5) == 0 &&
	                     (once.len == 0 || memcmp(prefixed.data + 5, once.data, once.len) == 0),
	             "sanitize_append disturbed what the buffer held");

	/* A name loses more (format characters), never keeps more, and is a
	 * fixed point too. */
	struct strbuf name = STRBUF_INIT, name_twice = STRBUF_INIT;
	sanitize_name_append(&name, in, size);
	fuzz_require(name.len <= once.len, "a name kept more than the text");
	fuzz_require_safe(name.data, name.len, "sanitize_name_append output");
	sanitize_name_append(&name_twice, name.data, name.len);
	fuzz_require(name_twice.len == name.len &&
	                     (name.len == 0 || memcmp(name.data, name_twice.data, name.len) == 0),
	             "sanitising a sanitised name changed it");
	strbuf_free(&name_twice);
	strbuf_free(&name);

	check_utf8_decode(in, size);

	strbuf_free(&prefixed);
	strbuf_free(&twice);
	strbuf_free(&once);
	free(in);
	return 0;
}
