/* SPDX-License-Identifier: MIT */
/* Which PUBLISH packets are plain (mqtt_publish_wire.c): read without
 * libmosquitto, so everything else must be refused to it. */
#include <check.h>
#include <mosquitto.h>
#include <string.h>

#include "check_run.h"
#include "mqtt_publish_wire.h"

static bool read_packet(const char *bytes, size_t len, bool v5, struct mqtt_publish *p)
{
	return mqtt_publish_plain((const uint8_t *)bytes, len, v5, p);
}
#define PLAIN(lit, v5, p) read_packet(lit, sizeof lit - 1, v5, p)

START_TEST(a_room_line_is_read)
{
	struct mqtt_publish p;
	ck_assert(PLAIN("\x30\x08\x00\x03" "a/bhey", false, &p)); /* QoS 0, 3.1.1 */
	ck_assert_uint_eq(p.size, 10);
	ck_assert_mem_eq(p.topic, "a/b", 3);
	ck_assert_uint_eq(p.payload_len, 3);
	ck_assert_mem_eq(p.payload, "hey", 3);
	ck_assert_int_eq(p.qos, 0);
	ck_assert_uint_eq(p.mid, 0);
	ck_assert(!p.retain);
	ck_assert(!p.dup);

	ck_assert(PLAIN("\x33\x06\x00\x01t\x01\x02\x00", true, &p)); /* QoS 1, retained, MQTT 5 */
	ck_assert_uint_eq(p.mid, 0x0102);
	ck_assert(p.retain);
	ck_assert(!p.dup);
	ck_assert_uint_eq(p.payload_len, 0);

	ck_assert(PLAIN("\x3a\x06\x00\x01t\x00\x07x", false, &p)); /* QoS 1 sent again (DUP) */
	ck_assert(p.dup);
	ck_assert_uint_eq(p.mid, 7);
	ck_assert_mem_eq(p.payload, "x", 1);
}
END_TEST

START_TEST(what_libmosquitto_must_read_is_refused)
{
	struct mqtt_publish p;
	ck_assert(!PLAIN("\x34\x07\x00\x01t\x00\x01\x00x", true, &p));   /* QoS 2 */
	ck_assert(!PLAIN("\x30\x06\x00\x01t\x02\x23\x00", true, &p));    /* a property: an alias */
	ck_assert(!PLAIN("\x30\x04\x00\x00\x00x", true, &p));            /* no topic */
	ck_assert(!PLAIN("\x30\x04\x00\x01+x", false, &p));              /* a wildcard */
	ck_assert(!PLAIN("\x30\x04\x00\x01\xffx", false, &p));           /* not UTF-8 */
	ck_assert(!PLAIN("\x30\x04\x00\x01\x00x", false, &p));           /* U+0000 */
	ck_assert(!PLAIN("\x32\x05\x00\x01t\x00\x00", false, &p));       /* packet id 0 */
	ck_assert(!PLAIN("\x32\x04\x00\x01t\x00", false, &p));           /* no packet id */
	ck_assert(!PLAIN("\x30\x03\x00\x01t", true, &p));                /* no property length */
	ck_assert(!PLAIN("\x30\x04\x00\x05tx", false, &p));              /* topic past the end */
	ck_assert(!PLAIN("\x30\x09\x00\x01tx", false, &p));              /* not all here */
	ck_assert(!PLAIN("\x30\xff\xff\xff\xff\x01", false, &p));         /* length of 5 bytes */
	ck_assert(!PLAIN("\x40\x02\x00\x01", false, &p));                /* a PUBACK */
	ck_assert(!PLAIN("\x30", false, &p));
}
END_TEST

/* The one-pass check of a printable topic against libmosquitto's rules,
 * for every byte alone, between printable ones, and for UTF-8 text. */
static bool as_libmosquitto(const char *topic, size_t len)
{
	return len > 0 && !memchr(topic, '+', len) && !memchr(topic, '#', len) &&
	       mosquitto_validate_utf8(topic, (int)len) == MOSQ_ERR_SUCCESS;
}

START_TEST(a_topic_is_checked_as_libmosquitto_would)
{
	for (int c = 0; c < 256; c++) {
		char alone[1] = {(char)c}, between[3] = {'a', (char)c, 'b'};
		ck_assert_msg(mqtt_publish_topic_ok(alone, 1) == as_libmosquitto(alone, 1), "byte %d", c);
		ck_assert_msg(mqtt_publish_topic_ok(between, 3) == as_libmosquitto(between, 3),
		              "byte %d between", c);
	}
	ck_assert(mqtt_publish_topic_ok("sala/caf\xc3\xa9", 10));
	ck_assert(!mqtt_publish_topic_ok("sala/caf\xc3", 9));      /* cut short */
	ck_assert(!mqtt_publish_topic_ok("sala/\xc2\x85", 7));     /* U+0085, a control */
	ck_assert(!mqtt_publish_topic_ok("sala/\x7f", 6));
	ck_assert(!mqtt_publish_topic_ok("caf\xc3\xa9/#", 7));
	ck_assert(!mqtt_publish_topic_ok("", 0));
}
END_TEST

START_TEST(the_acknowledgement_names_the_packet_id)
{
	uint8_t ack[MQTT_PUBACK_SIZE];
	mqtt_puback(0xbeef, ack);
	ck_assert_mem_eq(ack, "\x40\x02\xbe\xef", MQTT_PUBACK_SIZE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_publish_wire");
	TCase *tc = tcase_create("publish_wire");
	tcase_add_test(tc, a_room_line_is_read);
	tcase_add_test(tc, what_libmosquitto_must_read_is_refused);
	tcase_add_test(tc, a_topic_is_checked_as_libmosquitto_would);
	tcase_add_test(tc, the_acknowledgement_names_the_packet_id);
	suite_add_tcase(s, tc);
	return check_run(s);
}
