/* SPDX-License-Identifier: MIT */
/*
 * json_decode() reads the usual shape of a json payload in place
 * (json_envelope.h) and gives everything else to jansson.  Checked: on any
 * input it gives exactly what jansson alone gives (json_decode_by_jansson):
 * the same acceptance, and the same type, time, hops and strings, byte
 * for byte.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "wire_json.h"

static bool same_string(const char *a, size_t a_len, const char *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *payload = fuzz_copy(data, size);
	struct json_decoded quick, slow;
	bool taken = json_decode(payload, size, &quick);
	fuzz_require(taken == json_decode_by_jansson(payload, size, &slow),
	             "json_decode and jansson disagree on taking the payload");
	fuzz_require(quick.type == slow.type, "the type differs from jansson's");
	fuzz_require(quick.ts_ms == slow.ts_ms, "ts differs from jansson's");
	fuzz_require(quick.hops == slow.hops, "hops differs from jansson's");
	fuzz_require(same_string(quick.id, quick.id_len, slow.id, slow.id_len),
	             "id differs from jansson's");
	fuzz_require(same_string(quick.nick, quick.nick_len, slow.nick, slow.nick_len),
	             "nick differs from jansson's");
	fuzz_require(same_string(quick.text, quick.text_len, slow.text, slow.text_len),
	             "text differs from jansson's");
	fuzz_require(same_string(quick.origin, quick.origin_len, slow.origin, slow.origin_len),
	             "origin differs from jansson's");
	json_decoded_free(&quick);
	json_decoded_free(&slow);
	free(payload);
	return 0;
}
