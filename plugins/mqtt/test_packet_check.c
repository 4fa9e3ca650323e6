/* SPDX-License-Identifier: MIT */
/* The check of each packet from the broker (mqtt_packet_check.c), one
 * rule at a time, and that a packet arriving byte by byte is judged the
 * same as a whole one. */
#include <check.h>
#include <string.h>

#include "check_run.h"
#include "mqtt_packet_check.h"

static char why[192];

/* The check's verdict on `len` bytes, what is malformed said in `why`. */
static enum mqtt_check run(const char *bytes, size_t len, bool v5, size_t *size)
{
	why[0] = '\0';
	return mqtt_packet_check((const uint8_t *)bytes, len, v5, size, why, sizeof why);
}

/* The verdict on the whole packet (sizeof - 1: the literal's NUL). */
#define CHECK(bytes, v5, size) run(bytes, sizeof(bytes) - 1, v5, size)

static void assert_bad(const char *bytes, size_t len, const char *says)
{
	size_t size = 0;
	ck_assert_int_eq(run(bytes, len, true, &size), MQTT_CHECK_BAD);
	ck_assert_msg(strstr(why, says), "'%s' does not say '%s'", why, says);
}
#define ASSERT_BAD(bytes, says) assert_bad(bytes, sizeof(bytes) - 1, says)

START_TEST(sound_packets_pass_with_their_length)
{
	static const struct {
		const char *bytes;
		size_t len;
	} sound[] = {
		{"\x20\x03\x00\x00\x00", 5},                    /* CONNACK */
		{"\x30\x06\x00\x01t\x00hi", 8},                 /* PUBLISH QoS 0 */
		{"\x32\x08\x00\x01t\x00\x07\x00hi", 10},        /* PUBLISH QoS 1 */
		{"\x30\x08\x00\x01t\x02\x01\x01hi", 10},        /* payload format */
		{"\x30\x0b\x00\x01t\x05\x01\x01\x23\x00\x02hi", 13}, /* and topic alias */
		{"\x30\x0d\x00\x01t\x07\x26\x00\x01k\x00\x01vhi", 15}, /* user property */
		{"\x30\x08\x00\x01t\x02\x0b\x05hi", 10},        /* subscription id */
		{"\x40\x02\x00\x07", 4},                        /* PUBACK, no reason */
		{"\x40\x03\x00\x07\x10", 5},                    /* PUBACK, reason only */
		{"\x90\x04\x00\x07\x00\x01", 6},                /* SUBACK */
		{"\xd0\x00", 2},                                /* PINGRESP */
		{"\xe0\x00", 2},                                /* DISCONNECT, nothing */
		{"\xe0\x01\x8b", 3},                            /* DISCONNECT, reason only */
	};
	for (size_t i = 0; i < sizeof sound / sizeof sound[0]; i++) {
		size_t size = 0;
		ck_assert_msg(run(sound[i].bytes, sound[i].len, true, &size) == MQTT_CHECK_OK,
		              "packet %zu: %s", i, why);
		ck_assert_uint_eq(size, sound[i].len);
	}
}
END_TEST

START_TEST(malformed_packets_are_refused_saying_why)
{
	/* the attack: a property length as large as MQTT allows */
	ASSERT_BAD("\x30\x0a\x00\x01t\xff\xff\xff\x7f" "Bob", "property length 268435455");
	ASSERT_BAD("\x30\x07\x00\x01t\x02\x50\x01h", "unknown property 0x50");
	ASSERT_BAD("\x30\x07\x00\x01t\x02\x00\x01h", "unknown property 0x00");
	ASSERT_BAD("\x30\x08\x00\x01t\x03\x02\x00\x00h", "property 0x02 runs past");
	ASSERT_BAD("\x30\x09\x00\x01t\x04\x26\x00\x05kh", "property 0x26 runs past");
	ASSERT_BAD("\x30\x08\x00\x01t\x02\x8b\x01h", "unknown property 0x8b");
	ASSERT_BAD("\x30\x0b\x00\x01t\xff\xff\xff\xff\x01h", "property length longer");
	ASSERT_BAD("\x30\xff\xff\xff\xff\x01", "remaining length longer than 4 bytes");
	ASSERT_BAD("\x36\x02\x00\x00", "QoS 3");
	ASSERT_BAD("\x10\x00", "type 1, which no broker sends");
	ASSERT_BAD("\x20\x05\x00\x00\x02\x50\x00", "malformed CONNACK (unknown property");
	ASSERT_BAD("\x40\x06\x00\x07\x00\x02\x50\x00", "malformed PUBACK");
	ASSERT_BAD("\x90\x05\x00\x07\x01\x50\x00", "malformed SUBACK");
	ASSERT_BAD("\xe0\x04\x8b\x02\x50\x00", "malformed DISCONNECT");
	ASSERT_BAD("\xf0\x04\x18\x02\x50\x00", "malformed AUTH");
}
END_TEST

START_TEST(mqtt311_has_no_properties_to_check)
{
	size_t size = 0;
	ck_assert_int_eq(CHECK("\x30\x07\x00\x01t\x02\x50\x01h", false, &size), MQTT_CHECK_OK);
	ck_assert_uint_eq(size, 9);
	ck_assert_int_eq(CHECK("\x30\xff\xff\xff\xff\x01", false, &size), MQTT_CHECK_BAD);
}
END_TEST

/* Every prefix of a packet asks for more (never a verdict on bytes it has
 * not seen), up to where its head is complete. */
START_TEST(a_packet_cut_anywhere_asks_for_more)
{
	static const char whole[] = "\x30\x0d\x00\x01t\x07\x26\x00\x01k\x00\x01vhi";
	size_t whole_len = sizeof whole - 1;
	size_t head = whole_len - 2; /* the payload is not needed */
	for (size_t len = 1; len < head; len++) {
		size_t size = 0;
		ck_assert_msg(run(whole, len, true, &size) == MQTT_CHECK_MORE, "at %zu: %s", len,
		              why);
		ck_assert_msg(size > len && size <= whole_len, "at %zu: asks for %zu", len, size);
	}
	size_t size = 0;
	ck_assert_int_eq(run(whole, head, true, &size), MQTT_CHECK_OK);
	ck_assert_uint_eq(size, whole_len);
	/* the bad length is seen as soon as its bytes are there */
	ck_assert_int_eq(run("\x30\x0a\x00\x01t\xff\xff\xff\x7f", 9, true, &size), MQTT_CHECK_BAD);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_packet_check");
	TCase *tc = tcase_create("check");
	tcase_add_test(tc, sound_packets_pass_with_their_length);
	tcase_add_test(tc, malformed_packets_are_refused_saying_why);
	tcase_add_test(tc, mqtt311_has_no_properties_to_check);
	tcase_add_test(tc, a_packet_cut_anywhere_asks_for_more);
	suite_add_tcase(s, tc);
	return check_run(s);
}
