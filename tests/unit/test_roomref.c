/* SPDX-License-Identifier: MIT */
/* How a room is written ("NET:ROOM", "ROOM") and the name lists [core]
 * and bridge sections use ("a, b c"). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "roomref.h"
#include "strbuf.h"

static const char *const networks[] = {"one", "two"};

/* Parses all of `text` against `networks`; asserts it is accepted. */
static struct roomref parsed(const char *text)
{
	struct roomref r = {0};
	ck_assert_msg(roomref_parse(text, strlen(text), networks, 2, &r), "'%s' refused", text);
	return r;
}

static void assert_room(const char *text, const char *network, const char *room)
{
	struct roomref r = parsed(text);
	ck_assert_str_eq(r.network, network);
	ck_assert_str_eq(r.room, room);
	roomref_free(&r);
	ck_assert_ptr_null(r.network);
	ck_assert_ptr_null(r.room);
}

START_TEST(known_network_names_it)
{
	assert_room("one:ops", "one", "ops");
	assert_room("two:ops", "two", "ops");
}
END_TEST

START_TEST(bare_room_is_on_the_first_network)
{
	assert_room("ops", "one", "ops");
	assert_room("chat/room1", "one", "chat/room1");
}
END_TEST

/* An MQTT topic may hold ':': an unknown NET is part of the room. */
START_TEST(unknown_network_is_part_of_the_room)
{
	assert_room("three:ops", "one", "three:ops");
	assert_room("on:ops", "one", "on:ops");   /* a prefix of "one" */
	assert_room("ones:ops", "one", "ones:ops"); /* "one" is a prefix of it */
	assert_room(":ops", "one", ":ops");
}
END_TEST

START_TEST(room_after_a_known_network_may_hold_colons)
{
	assert_room("two:a:b", "two", "a:b");
	assert_room("one:sensors/x:y", "one", "sensors/x:y");
	assert_room("two:one:ops", "two", "one:ops");
}
END_TEST

START_TEST(only_len_bytes_are_read)
{
	const char text[] = "two:opsXXX";
	struct roomref r = {0};
	ck_assert(roomref_parse(text, 7, networks, 2, &r));
	ck_assert_str_eq(r.network, "two");
	ck_assert_str_eq(r.room, "ops");
	roomref_free(&r);
	/* The colon past `len` is not seen: "ops" is a bare room. */
	const char bare[] = "ops:two";
	ck_assert(roomref_parse(bare, 3, networks, 2, &r));
	ck_assert_str_eq(r.network, "one");
	ck_assert_str_eq(r.room, "ops");
	roomref_free(&r);
}
END_TEST

START_TEST(empty_or_no_network_is_refused_untouched)
{
	struct roomref r = {.network = (char *)"kept", .room = (char *)"kept"};
	ck_assert(!roomref_parse("", 0, networks, 2, &r));
	ck_assert(!roomref_parse("ops", 3, networks, 0, &r));
	ck_assert_str_eq(r.network, "kept");
	ck_assert_str_eq(r.room, "kept");
}
END_TEST

/* "two:" names network two and no room: an empty room (roomref.h: "False
 * ... for an empty room"), not a room called "two:" on network one. */
START_TEST(known_network_with_empty_room_is_refused)
{
	struct roomref r = {.network = (char *)"kept", .room = (char *)"kept"};
	ck_assert_msg(!roomref_parse("two:", 4, networks, 2, &r),
	              "\"two:\" read as network '%s', room '%s'", r.network, r.room);
	ck_assert_str_eq(r.network, "kept");
}
END_TEST

/* Every name of `list`, joined with '|'. */
static char *names_of(const char *list)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = list;
	for (char *name; (name = namelist_next(&p)); free(name))
		strbuf_printf(&sb, "%s%s", sb.len ? "|" : "", name);
	ck_assert_uint_eq(*p, '\0');
	char *taken = strbuf_take(&sb);
	return taken ? taken : xstrdup("");
}

static void assert_names(const char *list, const char *joined, size_t count)
{
	char *got = names_of(list);
	ck_assert_str_eq(got, joined);
	free(got);
	ck_assert_uint_eq(namelist_count(list), count);
}

START_TEST(namelist_separators)
{
	assert_names("a", "a", 1);
	assert_names("a, b c", "a|b|c", 3);
	assert_names("a,b,c", "a|b|c", 3);
	assert_names("\ta \t,, b\t", "a|b", 2);
	assert_names("one:room1 two:room2", "one:room1|two:room2", 2);
	assert_names("caf\xc3\xa9, t\xc3\xa9", "caf\xc3\xa9|t\xc3\xa9", 2);
}
END_TEST

START_TEST(namelist_empty)
{
	assert_names("", "", 0);
	assert_names(" ,\t, ", "", 0);
	const char *p = "";
	ck_assert_ptr_null(namelist_next(&p));
	ck_assert_ptr_null(namelist_next(&p)); /* and again at the end */
}
END_TEST

START_TEST(namelist_next_moves_past_each_name)
{
	const char *list = "ab, cd";
	const char *p = list;
	char *name = namelist_next(&p);
	ck_assert_str_eq(name, "ab");
	ck_assert_ptr_eq(p, list + 2);
	free(name);
	name = namelist_next(&p);
	ck_assert_str_eq(name, "cd");
	ck_assert_ptr_eq(p, list + 6);
	free(name);
	ck_assert_ptr_null(namelist_next(&p));
}
END_TEST

START_TEST(namelist_free_takes_null_and_arrays)
{
	namelist_free(NULL);
	char **names = xcalloc(3, sizeof *names);
	names[0] = xstrdup("a");
	names[1] = xstrdup("b");
	namelist_free(names); /* AddressSanitizer's leak check judges */
}
END_TEST

int main(void)
{
	Suite *s = suite_create("roomref");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, known_network_names_it);
	tcase_add_test(tc, bare_room_is_on_the_first_network);
	tcase_add_test(tc, unknown_network_is_part_of_the_room);
	tcase_add_test(tc, room_after_a_known_network_may_hold_colons);
	tcase_add_test(tc, only_len_bytes_are_read);
	tcase_add_test(tc, empty_or_no_network_is_refused_untouched);
	tcase_add_test(tc, known_network_with_empty_room_is_refused);
	tcase_add_test(tc, namelist_separators);
	tcase_add_test(tc, namelist_empty);
	tcase_add_test(tc, namelist_next_moves_past_each_name);
	tcase_add_test(tc, namelist_free_takes_null_and_arrays);
	suite_add_tcase(s, tc);
	return check_run(s);
}
