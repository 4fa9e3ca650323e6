/* SPDX-License-Identifier: MIT */
/* Typed keys: every type parsed, ranges at their edges, unit suffixes, the
 * one wording of a refusal, and the loader's copy of an ABI 1.1 key array. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keytype.h"
#include "loader.h"
#include "check_run.h"

static const char *const colours[] = {"auto", "always", "never", NULL};

static const struct mqc_key k_bool = {.name = "b", .def = "on", .type = MQC_KEY_BOOL};
static const struct mqc_key k_plain = {.name = "n", .def = "4", .type = MQC_KEY_NUMBER,
                                       .min = 1, .max = 64};
static const struct mqc_key k_signed = {.name = "s", .def = "0", .type = MQC_KEY_NUMBER,
                                        .min = -5, .max = 5};
static const struct mqc_key k_seconds = {.name = "t", .def = "10", .type = MQC_KEY_NUMBER,
                                         .unit = MQC_UNIT_SECONDS, .min = 0, .max = 86400};
static const struct mqc_key k_ms = {.name = "m", .def = "0", .type = MQC_KEY_NUMBER,
                                    .unit = MQC_UNIT_MS, .min = 0, .max = INT64_MAX};
static const struct mqc_key k_days = {.name = "d", .def = "0", .type = MQC_KEY_NUMBER,
                                      .unit = MQC_UNIT_DAYS, .min = 0, .max = 1000000};
static const struct mqc_key k_bytes = {.name = "z", .def = "65536", .type = MQC_KEY_NUMBER,
                                       .unit = MQC_UNIT_BYTES, .min = 1, .max = 16777216};
static const struct mqc_key k_word = {.name = "c", .def = "auto", .type = MQC_KEY_WORD,
                                      .words = colours};
static const struct mqc_key k_optional_word = {.name = "v", .type = MQC_KEY_WORD,
                                               .words = colours};

/* The value `text` parses to; fails the test if it is refused. */
static int64_t parsed(const struct mqc_key *key, const char *text)
{
	struct strbuf err = STRBUF_INIT;
	int64_t value = 99;
	bool ok = keytype_parse(key, text, &value, &err);
	ck_assert_msg(ok, "'%s' refused: %s", text, strbuf_str(&err));
	strbuf_free(&err);
	return value;
}

/* Asserts that `text` is refused with exactly `why`. */
static void refused(const struct mqc_key *key, const char *text, const char *why)
{
	struct strbuf err = STRBUF_INIT;
	int64_t value;
	ck_assert_msg(!keytype_parse(key, text, &value, &err), "'%s' accepted", text);
	ck_assert_str_eq(strbuf_str(&err), why);
	strbuf_free(&err);
}

START_TEST(bools)
{
	ck_assert_int_eq(parsed(&k_bool, "on"), 1);
	ck_assert_int_eq(parsed(&k_bool, "YES"), 1);
	ck_assert_int_eq(parsed(&k_bool, "true"), 1);
	ck_assert_int_eq(parsed(&k_bool, "1"), 1);
	ck_assert_int_eq(parsed(&k_bool, "Off"), 0);
	ck_assert_int_eq(parsed(&k_bool, "no"), 0);
	ck_assert_int_eq(parsed(&k_bool, "false"), 0);
	ck_assert_int_eq(parsed(&k_bool, "0"), 0);
	refused(&k_bool, "maybe", "'maybe' is not on or off");
	refused(&k_bool, "", "'' is not on or off");
	refused(&k_bool, "on ", "'on ' is not on or off");
}
END_TEST

START_TEST(numbers_at_their_edges)
{
	ck_assert_int_eq(parsed(&k_plain, "1"), 1);
	ck_assert_int_eq(parsed(&k_plain, "64"), 64);
	ck_assert_int_eq(parsed(&k_plain, "007"), 7);
	refused(&k_plain, "0", "'0' is not a number from 1 to 64");
	refused(&k_plain, "65", "'65' is not a number from 1 to 64");
	refused(&k_plain, "", "'' is not a number from 1 to 64");
	refused(&k_plain, "lots", "'lots' is not a number from 1 to 64");
	refused(&k_plain, "4x", "'4x' is not a number from 1 to 64");
	refused(&k_plain, " 4", "' 4' is not a number from 1 to 64");
	refused(&k_plain, "+4", "'+4' is not a number from 1 to 64");
	refused(&k_plain, "-1", "'-1' is not a number from 1 to 64");
	refused(&k_plain, "4s", "'4s' is not a number from 1 to 64");
	refused(&k_plain, "99999999999999999999", "'99999999999999999999' is not a number "
	        "from 1 to 64");
	ck_assert_int_eq(parsed(&k_signed, "-5"), -5);
	ck_assert_int_eq(parsed(&k_signed, "5"), 5);
	refused(&k_signed, "-6", "'-6' is not a number from -5 to 5");
	refused(&k_signed, "-", "'-' is not a number from -5 to 5");
}
END_TEST

START_TEST(durations)
{
	ck_assert_int_eq(parsed(&k_seconds, "10"), 10);
	ck_assert_int_eq(parsed(&k_seconds, "30s"), 30);
	ck_assert_int_eq(parsed(&k_seconds, "5m"), 300);
	ck_assert_int_eq(parsed(&k_seconds, "2h"), 7200);
	ck_assert_int_eq(parsed(&k_seconds, "1d"), 86400);
	ck_assert_int_eq(parsed(&k_seconds, "2000ms"), 2);
	ck_assert_int_eq(parsed(&k_seconds, "0"), 0);
	refused(&k_seconds, "2d", "'2d' is not a number from 0 to 86400 seconds (units: ms s m h d)");
	refused(&k_seconds, "1500ms", "'1500ms' is not a whole number of seconds");
	refused(&k_seconds, "5w", "'5w' is not a number from 0 to 86400 seconds (units: ms s m h d)");
	refused(&k_seconds, "s", "'s' is not a number from 0 to 86400 seconds (units: ms s m h d)");
	ck_assert_int_eq(parsed(&k_ms, "500ms"), 500);
	ck_assert_int_eq(parsed(&k_ms, "500"), 500);
	ck_assert_int_eq(parsed(&k_ms, "1s"), 1000);
	ck_assert_int_eq(parsed(&k_ms, "1d"), 86400000);
	refused(&k_ms, "9223372036854775807d", "'9223372036854775807d' is not a number from 0 "
	        "to 9223372036854775807 milliseconds (units: ms s m h d)");
	ck_assert_int_eq(parsed(&k_days, "7"), 7);
	ck_assert_int_eq(parsed(&k_days, "48h"), 2);
	refused(&k_days, "36h", "'36h' is not a whole number of days");
}
END_TEST

START_TEST(sizes)
{
	ck_assert_int_eq(parsed(&k_bytes, "65536"), 65536);
	ck_assert_int_eq(parsed(&k_bytes, "64k"), 65536);
	ck_assert_int_eq(parsed(&k_bytes, "64K"), 65536);
	ck_assert_int_eq(parsed(&k_bytes, "64KiB"), 65536);
	ck_assert_int_eq(parsed(&k_bytes, "64kb"), 65536);
	ck_assert_int_eq(parsed(&k_bytes, "16M"), 16777216);
	ck_assert_int_eq(parsed(&k_bytes, "1"), 1);
	refused(&k_bytes, "0", "'0' is not a number from 1 to 16M bytes (units: k M G)");
	refused(&k_bytes, "17M", "'17M' is not a number from 1 to 16M bytes (units: k M G)");
	refused(&k_bytes, "1G", "'1G' is not a number from 1 to 16M bytes (units: k M G)");
	refused(&k_bytes, "16777217", "'16777217' is not a number from 1 to 16M bytes (units: k M G)");
	refused(&k_bytes, "1T", "'1T' is not a number from 1 to 16M bytes (units: k M G)");
	refused(&k_bytes, "1 k", "'1 k' is not a number from 1 to 16M bytes (units: k M G)");
}
END_TEST

START_TEST(words)
{
	ck_assert_int_eq(parsed(&k_word, "auto"), 0);
	ck_assert_int_eq(parsed(&k_word, "always"), 1);
	ck_assert_int_eq(parsed(&k_word, "NEVER"), 2);
	refused(&k_word, "sometimes", "'sometimes' is not one of: auto, always, never");
	refused(&k_word, "", "'' is not one of: auto, always, never");
	ck_assert_int_eq(parsed(&k_optional_word, ""), -1);
	ck_assert_int_eq(parsed(&k_optional_word, "always"), 1);
	refused(&k_optional_word, "x", "'x' is not one of: auto, always, never");
}
END_TEST

START_TEST(strings_and_paths)
{
	const struct mqc_key string = {.name = "s"};
	const struct mqc_key path = {.name = "p", .type = MQC_KEY_PATHNAME};
	const struct mqc_key flagged = {.name = "f", .flags = MQC_KEY_PATH};
	ck_assert_int_eq(parsed(&string, "anything at all"), 0);
	ck_assert_int_eq(parsed(&path, "~/x"), 0);
	ck_assert(keytype_is_path(&path));
	ck_assert(keytype_is_path(&flagged));
	ck_assert(!keytype_is_path(&string));
}
END_TEST

START_TEST(declarations)
{
	struct strbuf err = STRBUF_INIT;
	ck_assert(keytype_declaration_ok(&k_bytes, &err));
	ck_assert(keytype_declaration_ok(&k_word, &err));
	const struct mqc_key backwards = {.name = "r", .type = MQC_KEY_NUMBER, .min = 5,
	                                  .max = 1};
	ck_assert(!keytype_declaration_ok(&backwards, &err));
	ck_assert_str_eq(strbuf_str(&err), "key 'r' has a range from 5 to 1");
	strbuf_reset(&err);
	const struct mqc_key wordless = {.name = "w", .type = MQC_KEY_WORD};
	ck_assert(!keytype_declaration_ok(&wordless, &err));
	ck_assert_str_eq(strbuf_str(&err), "key 'w' is a word with no words to choose from");
	strbuf_reset(&err);
	const struct mqc_key unknown = {.name = "u", .type = (enum mqc_key_type)9};
	ck_assert(!keytype_declaration_ok(&unknown, &err));
	ck_assert_str_eq(strbuf_str(&err), "key 'u' has an unknown type (9)");
	strbuf_reset(&err);
	const struct mqc_key unit_of_string = {.name = "x", .unit = MQC_UNIT_BYTES};
	ck_assert(!keytype_declaration_ok(&unit_of_string, &err));
	strbuf_free(&err);
}
END_TEST

/* What a plugin built against ABI 1.1 has in memory: the old stride. */
struct key_1_1 {
	const char *name;
	const char *def;
	unsigned flags;
	const char *help;
};

START_TEST(loader_reads_a_1_1_key_array)
{
	static const struct key_1_1 old[] = {
		{"file", "", MQC_KEY_PATH, "where"},
		{"fail", "none", 0, "none | log"},
		{"secret", "x", MQC_KEY_SECRET, "hidden"},
		{NULL, NULL, 0, NULL},
	};
	struct mqc_key *keys = loader_copy_keys(old, 1);
	ck_assert_str_eq(keys[0].name, "file");
	ck_assert_uint_eq(keys[0].flags, MQC_KEY_PATH);
	ck_assert_str_eq(keys[1].name, "fail");
	ck_assert_str_eq(keys[1].def, "none");
	ck_assert_str_eq(keys[1].help, "none | log");
	ck_assert_str_eq(keys[2].name, "secret");
	ck_assert_uint_eq(keys[2].flags, MQC_KEY_SECRET);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(keys[i].type, MQC_KEY_STRING);
		ck_assert_ptr_null(keys[i].words);
		ck_assert_int_eq(keys[i].max, 0);
	}
	ck_assert_ptr_null(keys[3].name);
	free(keys);
}
END_TEST

START_TEST(loader_copies_a_1_2_key_array)
{
	const struct mqc_key now[] = {k_bool, k_word, k_bytes, {.name = NULL}};
	struct mqc_key *keys = loader_copy_keys(now, 2);
	ck_assert_int_eq(keys[1].type, MQC_KEY_WORD);
	ck_assert_ptr_eq(keys[1].words, colours);
	ck_assert_int_eq(keys[2].max, 16777216);
	ck_assert_int_eq(keys[2].unit, MQC_UNIT_BYTES);
	ck_assert_ptr_null(keys[3].name);
	free(keys);
	keys = loader_copy_keys(NULL, 1);
	ck_assert_ptr_null(keys[0].name);
	free(keys);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("keytype");
	TCase *tc = tcase_create("keytype");
	tcase_add_test(tc, bools);
	tcase_add_test(tc, numbers_at_their_edges);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, words);
	tcase_add_test(tc, strings_and_paths);
	tcase_add_test(tc, declarations);
	tcase_add_test(tc, loader_reads_a_1_1_key_array);
	tcase_add_test(tc, loader_copies_a_1_2_key_array);
	suite_add_tcase(s, tc);
	return check_run(s);
}
