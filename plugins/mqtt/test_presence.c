/* SPDX-License-Identifier: MIT */
/* Presence (mqtt_presence.c) against a fake core and a fake libmosquitto
 * that record what is published and told: joins and leaves shown only
 * for what happens live, a proved nick and a claimed one kept apart, a
 * lost mqchat's leave relayed by exactly the mqchat whose entry sorts
 * first, the UNSUBSCRIBE barrier syncing the room and dropping who did not
 * come back, hostile payloads and a full room changing nothing. */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "check_run.h"
#include "mqtt.h"

static struct {
	char pub_topic[8][128], pub_payload[8][512];
	int n_pub;
	struct {
		char nick[64];
		enum mqc_presence state;
		bool verified;
	} told[16];
	int n_told;
	char shown[8][128];
	int n_shown, n_warned, synced;
	int unsub_mid;
} fake;

int mosquitto_publish_v5(struct mosquitto *mosq, int *mid, const char *topic, int len,
                         const void *payload, int qos, bool retain,
                         const mosquitto_property *props)
{
	(void)mosq, (void)mid, (void)qos, (void)retain, (void)props;
	ck_assert_int_lt(fake.n_pub, 8);
	snprintf(fake.pub_topic[fake.n_pub], 128, "%s", topic);
	snprintf(fake.pub_payload[fake.n_pub++], 512, "%.*s", len, (const char *)payload);
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_subscribe_v5(struct mosquitto *mosq, int *mid, const char *sub, int qos,
                           int options, const mosquitto_property *props)
{
	(void)mosq, (void)sub, (void)qos, (void)options, (void)props;
	*mid = 7;
	return MOSQ_ERR_SUCCESS;
}

int mosquitto_unsubscribe_v5(struct mosquitto *mosq, int *mid, const char *sub,
                             const mosquitto_property *props)
{
	(void)mosq, (void)sub, (void)props;
	*mid = fake.unsub_mid = 8;
	return MOSQ_ERR_SUCCESS;
}

static void host_log(struct mqc_instance *inst, enum mqc_log_level level, const char *fmt, ...)
{
	(void)inst, (void)fmt;
	fake.n_warned += level <= MQC_LOG_WARNING;
}

static void host_presence_state(struct mqc_instance *inst, const char *room, const char *nick,
                                enum mqc_presence state, bool verified)
{
	(void)inst, (void)room;
	int i = fake.n_told++;
	if (i >= 16)
		return; /* counted only */
	snprintf(fake.told[i].nick, 64, "%s", nick);
	fake.told[i].state = state;
	fake.told[i].verified = verified;
}

static void host_receive_message(struct mqc_instance *inst, const struct mqc_message *msg)
{
	(void)inst;
	ck_assert_int_lt(fake.n_shown, 8);
	snprintf(fake.shown[fake.n_shown++], 128, "%s %s %s", msg->nick,
	         msg->type == MQC_MSG_JOIN ? "joined" : "left", msg->text);
}

static void host_presence_synced(struct mqc_instance *inst, const char *room)
{
	(void)inst, (void)room;
	fake.synced++;
}

static bool host_quiet(struct mqc_instance *inst)
{
	(void)inst;
	return false;
}

static const struct mqc_host host = {
	.size = sizeof(struct mqc_host), .log = host_log, .presence_state = host_presence_state,
	.receive_message = host_receive_message, .presence_synced = host_presence_synced,
	.quiet = host_quiet,
};
static struct mqtt self;

static void setup(void)
{
	memset(&fake, 0, sizeof(fake));
	memset(&self, 0, sizeof(self));
	self.host = &host;
	self.phase = MQTT_UP;
	self.cfg.presence = true;
	self.cfg.protocol = 5;
	self.cfg.username = "bob";
	self.client_id = "c-bob";
	ck_assert(mqtt_rooms_add(&self.rooms, "lobby"));
	mqtt_presence_init(&self);
}

static void teardown(void)
{
	mqtt_presence_free(&self);
	mqtt_rooms_free(&self.rooms);
}

/* A PUBLISH on `topic` with `payload` arrives (`retained`: at subscription). */
static void arrives(const char *topic, const char *payload, bool retained)
{
	struct mqtt_meta_place at;
	ck_assert(mqtt_meta_classify(topic, &self.rooms, &at));
	ck_assert_int_eq(at.kind, MQTT_META_PRESENCE);
	struct mosquitto_message msg = {.topic = (char *)topic, .payload = (void *)payload,
	                                .payloadlen = (int)strlen(payload), .retain = retained};
	mqtt_presence_received(&self, &at, &msg);
}

#define ONLINE(nick, announce)                                                          \
	"{\"v\":1,\"nick\":\"" nick "\",\"state\":\"online\",\"announce\":" announce "}"

START_TEST(retained_presence_is_listed_not_shown_as_a_join)
{
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "false"), true);
	ck_assert_int_eq(fake.n_shown, 0);
	ck_assert_int_eq(fake.n_told, 2); /* the claimed Ana gone, the proved one online */
	ck_assert_str_eq(fake.told[1].nick, "Ana");
	ck_assert_int_eq(fake.told[1].state, MQC_PRESENCE_ONLINE);
}
END_TEST

START_TEST(a_live_join_is_shown_unless_that_mqchat_announces_it)
{
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "false"), false);
	arrives("lobby/presence/cata/c2", ONLINE("Cata", "true"), false);
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "false"), false); /* again: no change */
	ck_assert_int_eq(fake.n_shown, 1);
	ck_assert_str_eq(fake.shown[0], "Ana joined ");
	arrives("lobby/presence/ana/c1", "", false); /* a clean quit */
	arrives("lobby/presence/cata/c2", "", false);
	ck_assert_int_eq(fake.n_shown, 2);
	ck_assert_str_eq(fake.shown[1], "Ana left ");
}
END_TEST

START_TEST(a_proved_nick_and_a_claimed_one_are_two)
{
	self.cfg.verify = true;
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "true"), true);
	arrives("lobby/presence/eve/c9", ONLINE("Ana", "true"), true);
	/* Each time the one that left first, then the ones present. */
	int last = fake.n_told - 1;
	ck_assert(fake.told[last].verified || fake.told[last - 1].verified);
	ck_assert(!fake.told[last].verified || !fake.told[last - 1].verified);
	ck_assert_int_eq(fake.told[last].state, MQC_PRESENCE_ONLINE);
	ck_assert_int_eq(fake.told[last - 1].state, MQC_PRESENCE_ONLINE);
}
END_TEST

START_TEST(a_lost_mqchat_is_shown_and_its_leave_relayed_once)
{
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "true"), true);
	arrives("lobby/presence/bob/c-bob", ONLINE("Bob", "true"), true); /* ourselves */
	arrives("lobby/presence/cata/c2", ONLINE("Cata", "true"), true);
	/* Cata is lost: of those left, ana/c1 sorts first, not us. */
	arrives("lobby/presence/cata/c2",
	        "{\"v\":1,\"nick\":\"Cata\",\"state\":\"offline\",\"lost\":true,"
	        "\"leave\":\"Cata ha salido del chat\"}", false);
	ck_assert_int_eq(fake.n_shown, 1);
	ck_assert_str_eq(fake.shown[0], "Cata left connection lost");
	ck_assert_int_eq(fake.n_pub, 0);
	/* Ana is lost: we sort first now and say her leave on the room. */
	arrives("lobby/presence/ana/c1",
	        "{\"v\":1,\"nick\":\"Ana\",\"state\":\"offline\",\"lost\":true,"
	        "\"leave\":\"Ana ha salido del chat\"}", false);
	ck_assert_int_eq(fake.n_pub, 1);
	ck_assert_str_eq(fake.pub_topic[0], "lobby");
	ck_assert_str_eq(fake.pub_payload[0], "Ana ha salido del chat");
	/* A lost one nobody listed is nobody's to relay. */
	arrives("lobby/presence/zed/c3",
	        "{\"v\":1,\"nick\":\"Zed\",\"state\":\"offline\",\"lost\":true,"
	        "\"leave\":\"Zed: compra ya\"}", false);
	ck_assert_int_eq(fake.n_pub, 1);
	ck_assert_int_eq(fake.n_shown, 2);
}
END_TEST

/* The relayed copy of a leave shown from presence, its mark dropped by a
 * 3.1.1 link, is known by its bytes in its room: once. */
START_TEST(a_relayed_leave_without_its_mark_is_known)
{
	static const char leave[] = "Cata ha salido del chat";
	arrives("lobby/presence/cata/c2", ONLINE("Cata", "true"), true);
	ck_assert(!mqtt_presence_relayed_leave(&self, "lobby", leave, strlen(leave)));
	arrives("lobby/presence/cata/c2",
	        "{\"v\":1,\"nick\":\"Cata\",\"state\":\"offline\",\"lost\":true,"
	        "\"leave\":\"Cata ha salido del chat\"}", false);
	ck_assert(!mqtt_presence_relayed_leave(&self, "other", leave, strlen(leave)));
	ck_assert(!mqtt_presence_relayed_leave(&self, "lobby", leave, strlen(leave) - 1));
	ck_assert(mqtt_presence_relayed_leave(&self, "lobby", leave, strlen(leave)));
	ck_assert(!mqtt_presence_relayed_leave(&self, "lobby", leave, strlen(leave)));
}
END_TEST

START_TEST(the_barrier_syncs_the_room_and_drops_who_did_not_come_back)
{
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "false"), true);
	arrives("lobby/presence/cata/c2", ONLINE("Cata", "false"), true);
	mqtt_presence_subscribe(&self, 0); /* a new connection */
	arrives("lobby/presence/ana/c1", ONLINE("Ana", "false"), true);
	ck_assert_int_eq(fake.synced, 0);
	fake.n_told = 0;
	mqtt_on_unsubscribe(NULL, &self, fake.unsub_mid, NULL);
	ck_assert_int_eq(fake.synced, 1);
	ck_assert_int_eq(fake.n_told, 2);
	ck_assert_str_eq(fake.told[0].nick, "Cata");
	ck_assert_int_eq(fake.told[0].state, MQC_PRESENCE_OFFLINE);
	ck_assert_int_eq(fake.n_shown, 0);
	mqtt_on_unsubscribe(NULL, &self, fake.unsub_mid, NULL); /* once */
	ck_assert_int_eq(fake.synced, 1);
}
END_TEST

START_TEST(hostile_presence_changes_nothing)
{
	arrives("lobby/presence/ana/c1", "{\"v\":1,\"nick\":\"\\u0007\",\"state\":\"online\"}",
	        false);
	arrives("lobby/presence/ana/c1", "not json", false);
	ck_assert_int_eq(fake.n_told, 0);
	char topic[64];
	for (int i = 0; i < MQTT_PRESENCE_MAX_PER_ROOM + 5; i++) {
		snprintf(topic, sizeof(topic), "lobby/presence/u/c%d", i);
		arrives(topic, ONLINE("U", "true"), true);
	}
	ck_assert_uint_eq(self.presence.table.n, MQTT_PRESENCE_MAX_PER_ROOM);
	ck_assert_int_eq(fake.n_warned, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mqtt_presence");
	TCase *tc = tcase_create("presence");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, retained_presence_is_listed_not_shown_as_a_join);
	tcase_add_test(tc, a_live_join_is_shown_unless_that_mqchat_announces_it);
	tcase_add_test(tc, a_proved_nick_and_a_claimed_one_are_two);
	tcase_add_test(tc, a_lost_mqchat_is_shown_and_its_leave_relayed_once);
	tcase_add_test(tc, a_relayed_leave_without_its_mark_is_known);
	tcase_add_test(tc, the_barrier_syncs_the_room_and_drops_who_did_not_come_back);
	tcase_add_test(tc, hostile_presence_changes_nothing);
	suite_add_tcase(s, tc);
	return check_run(s);
}
