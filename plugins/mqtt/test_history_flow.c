/* SPDX-License-Identifier: MIT */
/* The history requests and answers of mqtt_history.c against a fake core
 * and a fake libmosquitto that record what is subscribed, published and
 * handed on: hostile answers (another request's correlation data, past
 * the caps, after the end or the time limit) and hostile requests (no or
 * a foreign response topic, no or too long correlation data) change
 * nothing. */
#include <check.h>
#include <mqtt_protocol.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "mqtt.h"

#define ROOM "sala"
#define ANSWERS ROOM "/history/ans/ana/cid_1"

/* ------------------------------------------------------------------------
 * The fakes
 * ------------------------------------------------------------------------ */

struct published {
	char topic[128];
	char payload[256];
	size_t len;
	unsigned char corr[80];
	uint16_t corr_len;
	char response[128];
};

static struct {
	int subscribed, unsubscribed;
	char sub_topics[8][128]; /* each SUBSCRIBE's, in order */
	int n_sub_topics;
	struct published pub[256];
	size_t n_pub;
	size_t handed, handed_bytes;
	const char *proved;
	unsigned flags;
	size_t replay;
	bool quiet;
	int64_t since;
	size_t max, stored;
	mqc_timer_fn timer_fn;
	void *timer_data;
	uint32_t timer_ms;
} fake;

int mosquitto_subscribe_multiple(struct mosquitto *mosq, int *mid, int count, char *const *sub,
                                 int qos, int options, const mosquitto_property *props)
{
	(void)mosq, (void)qos, (void)options, (void)props;
	for (int i = 0; i < count && fake.n_sub_topics < 8; i++)
		strcpy(fake.sub_topics[fake.n_sub_topics++], sub[i]);
	*mid = 1000 + ++fake.subscribed;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_unsubscribe_multiple(struct mosquitto *mosq, int *mid, int count,
                                   char *const *sub, const mosquitto_property *props)
{
	(void)mosq, (void)mid, (void)sub, (void)props;
	fake.unsubscribed += count;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_publish_v5(struct mosquitto *mosq, int *mid, const char *topic, int len,
                         const void *payload, int qos, bool retain,
                         const mosquitto_property *props)
{
	(void)mosq, (void)mid, (void)qos, (void)retain;
	ck_assert_uint_lt(fake.n_pub, 256);
	struct published *p = &fake.pub[fake.n_pub++];
	*p = (struct published){0};
	strcpy(p->topic, topic);
	p->len = (size_t)len;
	memcpy(p->payload, payload, p->len < sizeof p->payload ? p->len : sizeof p->payload - 1);
	void *corr = NULL;
	char *response = NULL;
	if (mosquitto_property_read_binary(props, MQTT_PROP_CORRELATION_DATA, &corr, &p->corr_len,
	                                   false))
		memcpy(p->corr, corr, p->corr_len);
	if (mosquitto_property_read_string(props, MQTT_PROP_RESPONSE_TOPIC, &response, false))
		strcpy(p->response, response);
	free(corr);
	free(response);
	return MOSQ_ERR_SUCCESS;
}

void mqtt_cork(struct mqtt *self)
{
	(void)self;
}

const char *mqtt_strerror(int rc, int saved_errno)
{
	(void)saved_errno;
	return mosquitto_strerror(rc);
}

static void host_log(struct mqc_instance *inst, enum mqc_log_level level, const char *fmt, ...)
{
	(void)inst, (void)level, (void)fmt;
}

static struct mqc_timer *host_timer_add(struct mqc_instance *inst, uint32_t ms, bool repeat,
                                        mqc_timer_fn fn, void *data)
{
	(void)inst, (void)repeat;
	fake.timer_fn = fn;
	fake.timer_data = data;
	fake.timer_ms = ms;
	return (struct mqc_timer *)&fake;
}

static void host_timer_arm(struct mqc_timer *timer, uint32_t ms)
{
	(void)timer;
	fake.timer_ms = ms;
}

static void host_timer_remove(struct mqc_timer *timer)
{
	(void)timer;
	fake.timer_fn = NULL;
}

static void host_receive_payload(struct mqc_instance *inst, const char *room, const char *to,
                                 const char *proved, const void *payload, size_t len,
                                 unsigned flags)
{
	(void)inst, (void)payload;
	ck_assert_str_eq(room, ROOM);
	ck_assert_str_eq(to, "");
	fake.handed++;
	fake.handed_bytes += len;
	fake.proved = proved;
	fake.flags = flags;
}

static const char *host_encode(struct mqc_instance *inst, const char *wire,
                               const struct mqc_message *msg, size_t *len)
{
	(void)inst;
	static char buf[64];
	ck_assert_str_eq(wire, "json");
	*len = (size_t)snprintf(buf, sizeof buf, "{\"v\":1,\"text\":\"%s\"}", msg->text);
	return buf;
}

static size_t host_history_query(struct mqc_instance *inst, const char *room, int64_t since_ms,
                                 size_t max, void (*fn)(void *, const struct mqc_message *),
                                 void *data)
{
	(void)inst;
	ck_assert_str_eq(room, ROOM);
	fake.since = since_ms;
	fake.max = max;
	size_t n = fake.stored < max ? fake.stored : max;
	for (size_t i = fake.stored - n; i < fake.stored; i++) { /* the last n, as the core */
		char text[32];
		snprintf(text, sizeof text, "m%zu", i);
		fn(data, &(struct mqc_message){.type = MQC_MSG_MESSAGE, .text = text, .id = "",
		                               .nick = "Ana"});
	}
	return n;
}

static size_t host_replay_count(struct mqc_instance *inst)
{
	(void)inst;
	return fake.replay;
}

static bool host_quiet(struct mqc_instance *inst)
{
	(void)inst;
	return fake.quiet;
}

static const struct mqc_host host = {
	.size = sizeof(struct mqc_host),
	.log = host_log,
	.timer_add = host_timer_add,
	.timer_arm = host_timer_arm,
	.timer_remove = host_timer_remove,
	.receive_payload = host_receive_payload,
	.encode = host_encode,
	.history_query = host_history_query,
	.replay_count = host_replay_count,
	.quiet = host_quiet,
};

static struct mqtt self;

static void setup(void)
{
	memset(&fake, 0, sizeof fake);
	memset(&self, 0, sizeof self);
	self.host = &host;
	self.cfg.protocol = MQTT_PROTOCOL_V5;
	self.cfg.username = "ana";
	self.client_id = "cid/1";
	ck_assert(mqtt_rooms_add(&self.rooms, ROOM));
	mqtt_history_init(&self);
}

static void teardown(void)
{
	mqtt_history_free(&self);
	mqtt_rooms_free(&self.rooms);
}

/* A message on `topic` with correlation data `corr` (NULL: none) and
 * response topic `response` (NULL: none); whether it was consumed. */
static bool arrives(const char *topic, const char *payload, const void *corr, size_t corr_len,
                    const char *response)
{
	mosquitto_property *props = NULL;
	if (corr)
		ck_assert_int_eq(mosquitto_property_add_binary(&props, MQTT_PROP_CORRELATION_DATA, corr,
		                                               (uint16_t)corr_len), MOSQ_ERR_SUCCESS);
	if (response)
		ck_assert_int_eq(mosquitto_property_add_string(&props, MQTT_PROP_RESPONSE_TOPIC,
		                                               response), MOSQ_ERR_SUCCESS);
	struct mosquitto_message msg = {.topic = (char *)topic, .payload = (void *)payload,
	                                .payloadlen = (int)strlen(payload), .qos = 1};
	bool consumed = mqtt_history_message(&self, &msg, props);
	mosquitto_property_free_all(&props);
	return consumed;
}

/* Our request, sent: its correlation data. */
static const struct published *ask(size_t replay)
{
	fake.replay = replay;
	mqtt_history_room_ready(&self, ROOM);
	ck_assert_int_eq(fake.subscribed, self.cfg.history_service ? 2 : 1);
	ck_assert_str_eq(fake.sub_topics[0], ANSWERS);
	ck_assert_uint_eq(fake.n_pub, 1);
	return &fake.pub[0];
}

static bool answer(const struct published *req, const char *payload)
{
	return arrives(ANSWERS, payload, req->corr, req->corr_len, NULL);
}

/* ------------------------------------------------------------------------
 * Asking
 * ------------------------------------------------------------------------ */

START_TEST(a_joiner_asks_once_a_room_and_connection)
{
	const struct published *req = ask(20);
	ck_assert_str_eq(req->topic, ROOM "/history/req");
	ck_assert_str_eq(req->payload, "{\"v\":1,\"last\":20}");
	ck_assert_str_eq(req->response, ANSWERS);
	ck_assert_uint_eq(req->corr_len, 16);
	ck_assert(mqtt_history_owns_mid(&self, 1001));
	ck_assert(!mqtt_history_owns_mid(&self, 7));
	ck_assert_uint_gt(fake.timer_ms, 9000);
	mqtt_history_room_ready(&self, ROOM);
	ck_assert_uint_eq(fake.n_pub, 1);
	mqtt_history_link_down(&self);
	ck_assert_uint_eq(fake.timer_ms, 0);
	mqtt_history_room_ready(&self, ROOM);
	ck_assert_uint_eq(fake.n_pub, 2);
	ck_assert(memcmp(fake.pub[0].corr, fake.pub[1].corr, 16) != 0);
}
END_TEST

START_TEST(nothing_is_asked_or_served_quietly_under_3_1_1_or_without_replay)
{
	self.cfg.history_service = true;
	fake.replay = 20;
	fake.quiet = true;
	mqtt_history_room_ready(&self, ROOM);
	fake.quiet = false;
	self.cfg.protocol = MQTT_PROTOCOL_V311;
	mqtt_history_room_ready(&self, ROOM);
	self.cfg.protocol = MQTT_PROTOCOL_V5;
	self.cfg.history_service = false;
	fake.replay = 0;
	mqtt_history_room_ready(&self, ROOM);
	ck_assert_int_eq(fake.subscribed, 0);
	ck_assert_uint_eq(fake.n_pub, 0);
}
END_TEST

START_TEST(answers_with_our_correlation_are_history_until_the_end)
{
	const struct published *req = ask(2);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"uno\"}"));
	ck_assert_uint_eq(fake.handed, 1);
	ck_assert_ptr_null(fake.proved);
	ck_assert_uint_eq(fake.flags, MQC_MSG_HISTORY);
	ck_assert(answer(req, "{\"v\":1,\"end\":true,\"count\":1}"));
	ck_assert_uint_eq(fake.timer_ms, 0);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"tarde\"}"));
	ck_assert_uint_eq(fake.handed, 1);
}
END_TEST

START_TEST(under_verify_history_is_never_proved)
{
	self.cfg.verify = true;
	const struct published *req = ask(2);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"uno\"}"));
	ck_assert_ptr_nonnull(fake.proved);
	ck_assert_str_eq(fake.proved, "");
}
END_TEST

START_TEST(answers_with_other_correlation_data_are_dropped)
{
	const struct published *req = ask(20);
	unsigned char other[16];
	memcpy(other, req->corr, 16);
	other[15] ^= 1;
	ck_assert(arrives(ANSWERS, "{\"v\":1,\"text\":\"x\"}", other, 16, NULL));
	ck_assert(arrives(ANSWERS, "{\"v\":1,\"text\":\"x\"}", req->corr, 15, NULL));
	ck_assert(arrives(ANSWERS, "{\"v\":1,\"text\":\"x\"}", NULL, 0, NULL));
	/* A false end changes nothing either. */
	ck_assert(arrives(ANSWERS, "{\"v\":1,\"end\":true,\"count\":0}", other, 16, NULL));
	ck_assert_uint_eq(fake.handed, 0);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"bien\"}"));
	ck_assert_uint_eq(fake.handed, 1);
}
END_TEST

START_TEST(answers_past_the_count_asked_plus_one_are_dropped)
{
	const struct published *req = ask(3);
	for (int i = 0; i < 10; i++)
		ck_assert(answer(req, "{\"v\":1,\"text\":\"otra\"}"));
	ck_assert_uint_eq(fake.handed, 4);
}
END_TEST

START_TEST(answers_past_512_kib_are_dropped)
{
	const struct published *req = ask(200);
	size_t len = 100 * 1024;
	char *big = malloc(len + 1);
	memset(big, 'a', len);
	big[len] = '\0';
	for (int i = 0; i < 8; i++)
		ck_assert(answer(req, big));
	free(big);
	ck_assert_uint_eq(fake.handed, 5);
	ck_assert_uint_le(fake.handed_bytes, 512 * 1024);
}
END_TEST

START_TEST(a_request_with_no_end_in_time_is_forgotten)
{
	const struct published *req = ask(20);
	ck_assert(fake.timer_fn != NULL);
	self.history.rooms->deadline_ms = 1; /* long past */
	fake.timer_fn(fake.timer_data);
	ck_assert_uint_eq(fake.timer_ms, 0);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"tarde\"}"));
	ck_assert_uint_eq(fake.handed, 0);
}
END_TEST

START_TEST(only_history_topics_of_joined_rooms_are_taken)
{
	ask(20);
	ck_assert(!arrives(ROOM, "{\"v\":1,\"last\":5}", "c", 1, ANSWERS));
	ck_assert(!arrives("otra/history/req", "{\"v\":1,\"last\":5}", "c", 1, "otra/history/ans/x/y"));
	ck_assert(!arrives(ROOM "/presence/ana/c", "{}", NULL, 0, NULL));
	/* Someone else's answers, on a topic we never subscribed: dropped. */
	ck_assert(arrives(ROOM "/history/ans/bob/c", "{\"v\":1,\"text\":\"x\"}", NULL, 0, NULL));
	/* A request without our service: dropped too. */
	ck_assert(arrives(ROOM "/history/req", "{\"v\":1,\"last\":5}", "c", 1, ANSWERS));
	ck_assert_uint_eq(fake.n_pub, 1);
	ck_assert_uint_eq(fake.handed, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Serving
 * ------------------------------------------------------------------------ */

static void serve(void)
{
	self.cfg.history_service = true;
	mqtt_history_room_ready(&self, ROOM);
	ck_assert_int_eq(fake.subscribed, 1);
	ck_assert_str_eq(fake.sub_topics[0], "$share/mqchat-history/" ROOM "/history/req");
}

START_TEST(a_service_answers_with_the_requests_correlation_then_the_end)
{
	serve();
	fake.stored = 300;
	const char corr[] = "abc";
	ck_assert(arrives(ROOM "/history/req", "{\"v\":1,\"last\":3}", corr, 3,
	                  ROOM "/history/ans/bob/c"));
	ck_assert_uint_eq(fake.max, 3);
	ck_assert_int_eq(fake.since, 0);
	ck_assert_uint_eq(fake.n_pub, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(fake.pub[i].topic, ROOM "/history/ans/bob/c");
		ck_assert_uint_eq(fake.pub[i].corr_len, 3);
		ck_assert(!memcmp(fake.pub[i].corr, corr, 3));
	}
	ck_assert_str_eq(fake.pub[0].payload, "{\"v\":1,\"text\":\"m297\"}");
	ck_assert_str_eq(fake.pub[3].payload, "{\"v\":1,\"end\":true,\"count\":3}");
	fake.n_pub = 0;
	ck_assert(arrives(ROOM "/history/req", "{\"v\":1,\"since\":1000}", corr, 3,
	                  ROOM "/history/ans/bob/c"));
	ck_assert_int_eq(fake.since, 1000);
	ck_assert_uint_eq(fake.max, 200);
	ck_assert_uint_eq(fake.n_pub, 201);
	ck_assert_str_eq(fake.pub[200].payload, "{\"v\":1,\"end\":true,\"count\":200}");
}
END_TEST

START_TEST(a_service_ignores_requests_it_cannot_trust)
{
	serve();
	fake.stored = 5;
	const char *ok = "{\"v\":1,\"last\":3}";
	const char *to = ROOM "/history/ans/bob/c";
	char long_corr[65] = {0};
	ck_assert(arrives(ROOM "/history/req", ok, "c", 1, NULL));
	ck_assert(arrives(ROOM "/history/req", ok, NULL, 0, to));
	ck_assert(arrives(ROOM "/history/req", ok, long_corr, sizeof long_corr, to));
	ck_assert(arrives(ROOM "/history/req", ok, "c", 1, ROOM "/u/ana"));
	ck_assert(arrives(ROOM "/history/req", ok, "c", 1, ROOM "/history/ans/#"));
	ck_assert(arrives(ROOM "/history/req", ok, "c", 1, "otra/history/ans/bob/c"));
	ck_assert(arrives(ROOM "/history/req", "{\"v\":1,\"last\":0}", "c", 1, to));
	ck_assert(arrives(ROOM "/history/req", "hola", "c", 1, to));
	ck_assert_uint_eq(fake.n_pub, 0);
	ck_assert(arrives(ROOM "/history/req", ok, long_corr, 64, to));
	ck_assert_uint_eq(fake.n_pub, 4);
}
END_TEST

/* Ours too (the only service of a room must answer it). */
START_TEST(a_service_that_asks_serves_at_once)
{
	self.cfg.history_service = true;
	ask(20);
	ck_assert_str_eq(fake.sub_topics[1], "$share/mqchat-history/" ROOM "/history/req");
	ck_assert(mqtt_history_owns_mid(&self, 1001));
	ck_assert(mqtt_history_owns_mid(&self, 1002));
	ck_assert(!mqtt_history_owns_mid(&self, 0));
}
END_TEST

START_TEST(a_room_parted_is_unsubscribed_and_its_request_forgotten)
{
	self.cfg.history_service = true;
	const struct published *req = ask(20);
	mqtt_history_room_parted(&self, ROOM);
	ck_assert_int_eq(fake.unsubscribed, 2);
	ck_assert_ptr_null(self.history.rooms);
	ck_assert_uint_eq(fake.timer_ms, 0);
	ck_assert(answer(req, "{\"v\":1,\"text\":\"tarde\"}"));
	ck_assert_uint_eq(fake.handed, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_history_flow");
	TCase *tc = tcase_create("flow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_joiner_asks_once_a_room_and_connection);
	tcase_add_test(tc, nothing_is_asked_or_served_quietly_under_3_1_1_or_without_replay);
	tcase_add_test(tc, answers_with_our_correlation_are_history_until_the_end);
	tcase_add_test(tc, under_verify_history_is_never_proved);
	tcase_add_test(tc, answers_with_other_correlation_data_are_dropped);
	tcase_add_test(tc, answers_past_the_count_asked_plus_one_are_dropped);
	tcase_add_test(tc, answers_past_512_kib_are_dropped);
	tcase_add_test(tc, a_request_with_no_end_in_time_is_forgotten);
	tcase_add_test(tc, only_history_topics_of_joined_rooms_are_taken);
	tcase_add_test(tc, a_service_answers_with_the_requests_correlation_then_the_end);
	tcase_add_test(tc, a_service_ignores_requests_it_cannot_trust);
	tcase_add_test(tc, a_service_that_asks_serves_at_once);
	tcase_add_test(tc, a_room_parted_is_unsubscribed_and_its_request_forgotten);
	suite_add_tcase(s, tc);
	return check_run(s);
}
