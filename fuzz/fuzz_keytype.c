/* SPDX-License-Identifier: MIT */
/*
 * A value of a typed key, as anyone who writes an INI file (or passes -o)
 * may give it: keytype_parse() for every type and unit.  Checked: a value
 * accepted is in the declared range (a bool 0 or 1, a word an index of the
 * list), a value refused says why.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "keytype.h"
#include "strbuf.h"

static const char *const colors[] = {"auto", "always", "never", NULL};

static const struct mqc_key keys[] = {
	{.name = "b", .def = "off", .type = MQC_KEY_BOOL},
	{.name = "n", .def = "1", .type = MQC_KEY_NUMBER, .min = -5, .max = 65535},
	{.name = "ms", .def = "1s", .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_MS, .min = 0,
	 .max = INT64_MAX / 2},
	{.name = "s", .def = "10", .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_SECONDS, .min = 1,
	 .max = 86400},
	{.name = "d", .def = "0", .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_DAYS, .min = 0,
	 .max = 1000000},
	{.name = "sz", .def = "64k", .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_BYTES, .min = 1,
	 .max = INT64_MAX},
	{.name = "w", .def = "auto", .type = MQC_KEY_WORD, .words = colors},
	{.name = "e", .def = "", .type = MQC_KEY_WORD, .words = colors},
};

#define N_KEYS (sizeof keys / sizeof keys[0])

static void check_accepted(const struct mqc_key *key, int64_t value)
{
	if (key->type == MQC_KEY_BOOL)
		fuzz_require(value == 0 || value == 1, "a bool that is not 0 or 1");
	else if (key->type == MQC_KEY_NUMBER)
		fuzz_require(value >= key->min && value <= key->max, "a number out of its range");
	else
		fuzz_require(value >= (*key->def ? 0 : -1) && value < 3, "a word index out of the list");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const struct mqc_key *key = &keys[data[0] % N_KEYS];
	data++;
	size--;
	char *text = fuzz_take_string(&data, &size);
	struct strbuf err = STRBUF_INIT;
	int64_t value = 0;
	if (keytype_parse(key, text, &value, &err)) {
		check_accepted(key, value);
	} else {
		/* Raw bytes of the value may be quoted: log_print() sanitises
		 * every line it writes. */
		fuzz_require(err.len > 0 && strlen(err.data) == err.len,
		             "a refusal that says nothing, or holds a NUL");
	}
	strbuf_free(&err);
	free(text);
	return 0;
}
