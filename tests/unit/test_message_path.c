/* SPDX-License-Identifier: MIT */
/*
 * The message path of a whole chat, assembled as main.c does, with two
 * plugins of the test's own instead of files: a frontend that records what
 * it is shown and a backend that records what it is asked to publish.  The
 * test speaks for the backend through the host table, as a plugin would:
 * payloads received, acknowledgements, the link going up.  No broker.
 */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "chat.h"
#include "check_run.h"
#include "clock.h"

#define MAX_SEEN 32

/* One call of a plugin's: a message shown, or a message published. */
struct seen {
	enum mqc_msg_type type;
	unsigned flags;
	char id[MQC_MESSAGE_ID_SIZE];
	char nick[32];
	char text[160];
	char where[64];        /* "network:room" */
	char to[32];
	uint64_t token;        /* published only */
	char payload[512];     /* published only: as host->encode made it */
	size_t payload_len;
};

/* What a fake plugin holds: what the host gave it, what it saw. */
struct fake {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct seen calls[MAX_SEEN];
	size_t n;
};

static struct fake screen, network;
/* The wire the fake backend publishes in. */
static const char *wire = "json";

static struct seen *note(struct fake *f, const struct mqc_message *msg)
{
	ck_assert_uint_lt(f->n, MAX_SEEN);
	struct seen *s = &f->calls[f->n++];
	*s = (struct seen){.type = msg->type, .flags = msg->flags};
	snprintf(s->id, sizeof s->id, "%s", msg->id);
	snprintf(s->nick, sizeof s->nick, "%s", msg->nick);
	snprintf(s->text, sizeof s->text, "%s", msg->text);
	snprintf(s->where, sizeof s->where, "%s:%s", msg->network, msg->room);
	snprintf(s->to, sizeof s->to, "%s", msg->to ? msg->to : "");
	return s;
}

static void *fake_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct fake *f = strcmp(host->name(inst), "screen") == 0 ? &screen : &network;
	*f = (struct fake){.inst = inst, .host = host};
	return f;
}

static void fake_close(void *self)
{
	(void)self;
}

/* A payload the backend hands over while the screen is shown one, once
 * (NULL: none). */
static const char *received_while_shown;

static void screen_deliver(void *self, const struct mqc_message *msg)
{
	const char *inner = received_while_shown;
	received_while_shown = NULL;
	if (inner)
		network.host->receive(network.inst, "room", inner, strlen(inner), 0);
	note(self, msg); /* after: what it is shown must still be its own */
}

/* Takes every message, encoded as the json wire would carry it. */
static int network_publish(void *self, const struct mqc_message *msg, uint64_t token)
{
	struct fake *f = self;
	struct seen *s = note(f, msg);
	s->token = token;
	const char *payload = f->host->encode(f->inst, wire, msg, &s->payload_len);
	ck_assert_ptr_nonnull(payload);
	ck_assert_uint_lt(s->payload_len, sizeof s->payload);
	memcpy(s->payload, payload, s->payload_len);
	return 0;
}

static const struct mqc_key no_keys[] = {{.name = NULL}};
static char screen_path[] = "(test) screen", network_path[] = "(test) network";

static const struct plugin screen_plugin = {
	.path = screen_path,
	.desc = {.abi_major = MQC_ABI_MAJOR, .abi_minor = MQC_ABI_MINOR,
	         .size = sizeof(struct mqc_plugin), .name = "screen",
	         .kind = MQC_PLUGIN_FRONTEND, .keys = no_keys, .open = fake_open,
	         .close = fake_close, .deliver = screen_deliver},
};
static const struct plugin network_plugin = {
	.path = network_path,
	.desc = {.abi_major = MQC_ABI_MAJOR, .abi_minor = MQC_ABI_MINOR,
	         .size = sizeof(struct mqc_plugin), .name = "network",
	         .kind = MQC_PLUGIN_BACKEND, .keys = no_keys, .open = fake_open,
	         .close = fake_close, .publish = network_publish},
};

/* --- a chat as main.c assembles one --------------------------------------- */

static char dir[] = "/tmp/mqchat-path-XXXXXX";
static char db_file[64];
static struct config cfg;
static uint32_t dedup_window_ms = 10000;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_file, sizeof db_file, "%s/history.db", dir);
	cfg = (struct config){0};
	config_set(&cfg, "core", "history", db_file, "test");
	config_set(&cfg, "core", "announce", "off", "test");
	config_set(&cfg, "core", "outbox_max", "100", "test");
}

static void teardown(void)
{
	config_free(&cfg);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct instance *new_instance(struct chat *chat, const char *name,
                                     const struct plugin *p)
{
	struct instance *inst = xcalloc(1, sizeof *inst);
	inst->chat = chat;
	inst->name = xstrdup(name);
	inst->plugin = p;
	inst->scratch = (struct strbuf)STRBUF_INIT;
	return inst;
}

static void free_instance(struct instance *inst)
{
	strbuf_free(&inst->scratch);
	free(inst->name);
	free(inst);
}

static void nothing(void *data)
{
	(void)data;
}

/* Keeps loop_iterate from waiting: armed for now before each round. */
static struct loop_timer *tick;

static void chat_start(struct chat *chat, uint32_t quit_timeout_ms)
{
	*chat = (struct chat){.cfg = &cfg, .host = &chat_host, .loop = loop_new(), .signal_fd = -1};
	chat->set = (struct chat_settings){
		.announce = false, .quit_timeout_ms = quit_timeout_ms,
		.time_format = xstrdup("%H:%M"), .outbox_max = 100,
		.archive = {.replay = 0, .dedup_window_ms = dedup_window_ms},
	};
	chat->nick = xstrdup("bea");
	chat->stable_id = xstrdup("0123456789abcdef");
	chat->state_dir = xstrdup(dir);
	chat->instances.frontends = xcalloc(1, sizeof *chat->instances.frontends);
	chat->instances.frontends[0] = new_instance(chat, "screen", &screen_plugin);
	chat->instances.n_frontends = 1;
	chat->instances.backends = xcalloc(1, sizeof *chat->instances.backends);
	chat->instances.backends[0] = new_instance(chat, "network", &network_plugin);
	chat->instances.n_backends = 1;
	tick = loop_timer_add(chat->loop, 0, false, nothing, NULL);
	ck_assert_int_eq(chat_prepare(chat), 0);
	ck_assert_int_eq(chat_open(chat), 0);
	ck_assert_ptr_eq(network.inst, (struct mqc_instance *)chat->instances.backends[0]);
}

static void chat_end(struct chat *chat)
{
	chat_close(chat);
	chat_free_rooms(chat);
	free_instance(chat->instances.frontends[0]);
	free(chat->instances.frontends);
	free_instance(chat->instances.backends[0]);
	free(chat->instances.backends);
	loop_free(chat->loop);
	free(chat->nick);
	free(chat->stable_id);
	free(chat->state_dir);
	free(chat->set.time_format);
}

/* One loop round: what was said is published, then saved. */
static void run_round(struct chat *chat)
{
	loop_timer_arm_now(tick);
	ck_assert_int_eq(loop_iterate(chat->loop), 0);
}

/* Runs the loop until `ms` have passed on its clock. */
static void let_pass(struct chat *chat, uint32_t ms)
{
	uint64_t until = monotonic_ms() + ms;
	while (monotonic_ms() < until) {
		loop_timer_arm(tick, ms);
		ck_assert_int_eq(loop_iterate(chat->loop), 0);
	}
}

/* --- what the plugins do -------------------------------------------------- */

static void link_up(void)
{
	network.host->link_state(network.inst, MQC_LINK_UP, "connected to the test");
}

static void link_down(void)
{
	network.host->link_state(network.inst, MQC_LINK_DOWN, "lost the test");
}

static void receive(const char *payload, unsigned flags)
{
	network.host->receive(network.inst, "room", payload, strlen(payload), flags);
}

static void type_line(const char *line)
{
	screen.host->submit_line(screen.inst, line, strlen(line), MQC_LINE_COMMANDS, NULL);
}

static void ack_all(void)
{
	for (size_t i = 0; i < network.n; i++)
		network.host->acked(network.inst, network.calls[i].token, MQC_ACK_DELIVERED);
}

/* How many times the screen showed `text` as a message of `type`. */
static size_t shown(enum mqc_msg_type type, const char *text)
{
	size_t n = 0;
	for (size_t i = 0; i < screen.n; i++)
		n += screen.calls[i].type == type && strcmp(screen.calls[i].text, text) == 0;
	return n;
}

/* The last thing shown with `text`; fails when none. */
static const struct seen *last_shown(const char *text)
{
	for (size_t i = screen.n; i-- > 0;)
		if (strcmp(screen.calls[i].text, text) == 0)
			return &screen.calls[i];
	ck_abort_msg("never shown: %s", text);
	return NULL;
}

/* Rows in the outbox table of the history file. */
static int outbox_rows(void)
{
	sqlite3 *db;
	char **table;
	int rows = -1, columns;
	ck_assert_int_eq(sqlite3_open_v2(db_file, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_get_table(db, "SELECT seq FROM outbox", &table, &rows, &columns,
	                                   NULL), SQLITE_OK);
	sqlite3_free_table(table);
	sqlite3_close(db);
	return rows;
}

/* Removals of acknowledged rows are written from a timer: the loop runs
 * until they are (each round waits for the next timer, a guard's at most). */
static void run_until_outbox_empty(struct chat *chat)
{
	for (int round = 0; round < 30 && outbox_rows() > 0; round++) {
		loop_timer_arm(tick, 100);
		ck_assert_int_eq(loop_iterate(chat->loop), 0);
	}
	ck_assert_int_eq(outbox_rows(), 0);
}

/* --- received ------------------------------------------------------------- */

static const char saluda[] =
	"{\"v\":1,\"id\":\"m-1\",\"nick\":\"carla\",\"ts\":1700000000000,\"type\":\"action\","
	"\"text\":\"saluda\"}";
static const char forged[] =
	"{\"v\":1,\"id\":\"m-1\",\"nick\":\"carla\",\"ts\":1700000000000,\"type\":\"message\","
	"\"text\":\"dame tu clave\"}";

/* History as /history shows it: texts joined by '|'. */
static void join_text(void *data, const struct mqc_message *msg)
{
	struct strbuf *texts = data;
	strbuf_printf(texts, "%s%s", texts->len ? "|" : "", msg->text);
}

/* The last ten kept, as /history shows them, are `joined`. */
static void expect_kept(struct chat *chat, const char *joined)
{
	struct strbuf texts = STRBUF_INIT, reply = STRBUF_INIT;
	ck_assert(archive_show_last(chat->archive, "10", 2, NULL, join_text, &texts, &reply));
	ck_assert_str_eq(strbuf_str(&texts), joined);
	strbuf_free(&texts);
	strbuf_free(&reply);
}

/* What a backend parsed itself (IRC) is placed, sanitised and bounded
 * like a payload the core decodes. */
START_TEST(a_parsed_message_is_placed_sanitised_and_bounded)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	struct mqc_message in = {.type = MQC_MSG_MESSAGE, .nick = "bo\x1b[31mb",
	                         .text = "hi\x07 there", .room = "room"};
	size_t before = screen.n;
	network.host->receive_message(network.inst, &in);
	ck_assert_uint_eq(screen.n, before + 1);
	const struct seen *s = &screen.calls[before];
	ck_assert_ptr_null(strpbrk(s->nick, "\x1b"));
	ck_assert_ptr_null(strpbrk(s->text, "\x07"));
	/* a backend without rooms has one, named after it when it has no topic */
	ck_assert_str_eq(s->where, "network:network");
	size_t huge = 2 * 1024 * 1024;
	char *text = xmalloc(huge + 1);
	memset(text, 'x', huge);
	text[huge] = '\0';
	in.text = text;
	network.host->receive_message(network.inst, &in);
	ck_assert_uint_eq(screen.n, before + 1); /* refused, loudly (in the log) */
	free(text);
	chat_end(&chat);
}
END_TEST

START_TEST(each_message_received_is_shown_once_and_kept)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	receive("ana: hola", 0);
	const struct seen *s = last_shown("hola");
	ck_assert_int_eq(s->type, MQC_MSG_MESSAGE);
	ck_assert_str_eq(s->nick, "ana");
	ck_assert_uint_eq(s->flags, 0);

	receive(saluda, 0);
	receive(saluda, 0); /* a QoS 1 redelivery */
	ck_assert_uint_eq(shown(MQC_MSG_ACTION, "saluda"), 1);
	s = last_shown("saluda");
	ck_assert_str_eq(s->nick, "carla");
	ck_assert_str_eq(s->id, "m-1");

	receive(forged, 0); /* the same id, other words: shown, and flagged */
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "dame tu clave"), 1);
	const struct seen *warning = &screen.calls[screen.n - 1];
	ck_assert_int_eq(warning->type, MQC_MSG_STATUS);
	ck_assert(warning->flags & MQC_MSG_ERROR);
	ck_assert_ptr_nonnull(strstr(warning->text, "reuses the id of an earlier message"));

	receive("dora: fijado", MQC_MSG_RETAINED);
	receive("dora: fijado", MQC_MSG_RETAINED);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "fijado"), 1);
	ck_assert(last_shown("fijado")->flags & MQC_MSG_RETAINED);

	struct strbuf texts = STRBUF_INIT, reply = STRBUF_INIT;
	ck_assert(archive_show_last(chat.archive, "10", 2, NULL, join_text, &texts, &reply));
	ck_assert_str_eq(strbuf_str(&texts), "hola|saluda|dame tu clave|fijado");
	ck_assert_str_eq(strbuf_str(&reply), "the last 4 messages (/history 10)");
	chat_end(&chat);

	/* What mqchat --history reads: the file. */
	struct history *h = history_open(db_file, NULL);
	ck_assert_ptr_nonnull(h);
	strbuf_reset(&texts);
	ck_assert_int_eq(history_last(h, 10, join_text, &texts), 4);
	ck_assert_str_eq(strbuf_str(&texts), "hola|saluda|dame tu clave|fijado");
	history_close(h);
	strbuf_free(&texts);
	strbuf_free(&reply);
}
END_TEST

static void receive_placed(const char *room, const char *to, const char *proved,
                           const char *payload, unsigned flags)
{
	network.host->receive_payload(network.inst, room, to, proved, payload, strlen(payload),
	                              flags);
}

/* A sender the network proved is shown as it is; one whose nick is not
 * the proved name, or that nothing proved, is marked; a network that
 * proves nothing marks nobody. */
/* A payload handed over while another is being shown is made apart:
 * each is shown with its own words, and both are kept. */
START_TEST(a_payload_received_while_one_is_shown_is_made_apart)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	size_t before = screen.n;
	received_while_shown = "eva: la de dentro, algo mas larga";
	receive("ana: la de fuera", 0);
	ck_assert_uint_eq(screen.n, before + 2);
	const struct seen *inner = &screen.calls[before], *outer = &screen.calls[before + 1];
	ck_assert_str_eq(inner->nick, "eva");
	ck_assert_str_eq(inner->text, "la de dentro, algo mas larga");
	ck_assert_str_eq(outer->nick, "ana");
	ck_assert_str_eq(outer->text, "la de fuera");
	receive("ana: otra", 0); /* the chat's own arrival is free again */
	ck_assert_str_eq(last_shown("otra")->nick, "ana");
	/* Kept as taken: the outer one before it was shown. */
	expect_kept(&chat, "la de fuera|la de dentro, algo mas larga|otra");
	chat_end(&chat);
}
END_TEST

START_TEST(a_proved_sender_is_shown_as_is_and_a_claimed_one_marked)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	receive_placed("room", "", "Ana", "ana: soy yo", 0);
	ck_assert_uint_eq(last_shown("soy yo")->flags & MQC_MSG_UNVERIFIED, 0);
	receive_placed("room", "", "eve", "ana: soy ana", 0);
	ck_assert(last_shown("soy ana")->flags & MQC_MSG_UNVERIFIED);
	receive_placed("room", "", "", "ana: sin prueba", 0);
	ck_assert(last_shown("sin prueba")->flags & MQC_MSG_UNVERIFIED);
	receive_placed("room", "", NULL, "ana: sin verify", 0);
	ck_assert_uint_eq(last_shown("sin verify")->flags & MQC_MSG_UNVERIFIED, 0);
	receive_placed("", "Zoe", "bob", "bob: solo para ti", 0);
	const struct seen *pm = last_shown("solo para ti");
	ck_assert_str_eq(pm->to, "Zoe");
	ck_assert_str_eq(pm->where, "network:");
	ck_assert_uint_eq(pm->flags & MQC_MSG_UNVERIFIED, 0);
	chat_end(&chat);
}
END_TEST

/* Answers to a history request are shown as history and kept, each
 * once: not what is already here, live or answered before (by id, or by
 * its words for a plain message). */
START_TEST(history_answers_are_shown_once_and_kept)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	receive(saluda, 0); /* live: id m-1 */
	static const char older[] =
		"{\"v\":1,\"id\":\"m-0\",\"nick\":\"bea\",\"ts\":1690000000000,"
		"\"type\":\"message\",\"text\":\"antes\"}";
	receive_placed("room", "", NULL, older, MQC_MSG_HISTORY);
	receive_placed("room", "", NULL, older, MQC_MSG_HISTORY); /* two services */
	receive_placed("room", "", NULL, saluda, MQC_MSG_HISTORY);
	/* Plain messages have no id: known by their words. */
	receive("bea: en vivo", 0);
	receive_placed("room", "", NULL, "bea: en vivo", MQC_MSG_HISTORY);
	receive_placed("room", "", NULL, "bea: sin id", MQC_MSG_HISTORY);
	receive_placed("room", "", NULL, "bea: sin id", MQC_MSG_HISTORY);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "antes"), 1);
	ck_assert(last_shown("antes")->flags & MQC_MSG_HISTORY);
	ck_assert_uint_eq(shown(MQC_MSG_ACTION, "saluda"), 1);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "en vivo"), 1);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "sin id"), 1);
	ck_assert(last_shown("sin id")->flags & MQC_MSG_HISTORY);
	expect_kept(&chat, "saluda|antes|en vivo|sin id");
	chat_end(&chat);
}
END_TEST

/* --- said ----------------------------------------------------------------- */

START_TEST(a_line_said_is_shown_once_and_its_echo_not_again)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	type_line("hola a todos");
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola a todos"), 1);
	const struct seen *s = last_shown("hola a todos");
	ck_assert(s->flags & MQC_MSG_OWN);
	ck_assert_str_eq(s->nick, "bea");
	ck_assert_uint_eq(network.n, 0); /* sent at the round's end */
	run_round(&chat);
	ck_assert_uint_eq(network.n, 1);
	ck_assert_str_eq(network.calls[0].id, s->id);
	/* The broker hands our own payload back. */
	network.host->receive(network.inst, "room", network.calls[0].payload,
	                      network.calls[0].payload_len, 0);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola a todos"), 1);
	ack_all();
	chat_end(&chat);
}
END_TEST

/* A plain echo past the digest window: only the echo filter knows it. */
START_TEST(a_plain_echo_is_known_by_its_payload)
{
	wire = "plain";
	dedup_window_ms = 1;
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	type_line("hola a todos");
	run_round(&chat);
	ck_assert_uint_eq(network.n, 1);
	ck_assert_str_eq(network.calls[0].payload, "bea: hola a todos");
	let_pass(&chat, 5);
	receive(network.calls[0].payload, 0);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola a todos"), 1);
	receive(network.calls[0].payload, 0); /* someone else says the same */
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola a todos"), 2);
	ack_all();
	chat_end(&chat);
}
END_TEST

/* A plain message in flight when a node died comes again after the
 * move, later than the digest window: a repeat, also when the next node
 * dropped the link too before the copy came (a CI run showed a line
 * twice so). */
START_TEST(a_message_in_flight_repeats_after_a_move_of_two_hops)
{
	dedup_window_ms = 20;
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	receive("ana: hola", 0);
	link_down();
	let_pass(&chat, 60);
	link_up();
	let_pass(&chat, 60);
	link_down();
	link_up();
	receive("ana: hola", 0);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola"), 1);
	receive("ana: otra", 0);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "otra"), 1);
	chat_end(&chat);
}
END_TEST

/* NATS sends a message again after ack_wait when our acknowledgement died
 * with a node, on a link that stayed up, marked DUP: shown once, and the
 * same words unmarked later are said anew. */
START_TEST(a_copy_marked_as_sent_again_is_shown_once)
{
	dedup_window_ms = 20;
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	receive("ana: hola", 0);
	let_pass(&chat, 60);
	receive("ana: hola", MQC_MSG_RESENT);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola"), 1);
	receive("ana: hola", 0);
	ck_assert_uint_eq(shown(MQC_MSG_MESSAGE, "hola"), 2);
	chat_end(&chat);
}
END_TEST

START_TEST(lines_are_published_in_order_and_forgotten_once_acknowledged)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	type_line("uno");
	type_line("/me baila");
	type_line("tres");
	run_round(&chat);
	ck_assert_uint_eq(network.n, 3);
	static const char *const texts[] = {"uno", "baila", "tres"};
	for (size_t i = 0; i < 3; i++) {
		ck_assert_str_eq(network.calls[i].text, texts[i]);
		ck_assert_str_eq(network.calls[i].nick, "bea");
		ck_assert_str_eq(network.calls[i].id, last_shown(texts[i])->id);
	}
	ck_assert_int_eq(network.calls[1].type, MQC_MSG_ACTION);
	ck_assert_int_eq(outbox_rows(), 3); /* saved until the broker has them */
	ack_all();
	run_until_outbox_empty(&chat);
	chat_end(&chat);
}
END_TEST

/* --- across a restart ----------------------------------------------------- */

/* A run that says two lines with the link down, and ends: it writes the
 * ids it gave them to `out`. */
static void first_run(int out)
{
	struct chat chat;
	chat_start(&chat, 10000);
	type_line("uno");
	type_line("dos");
	run_round(&chat);
	ck_assert_uint_eq(network.n, 0);
	ck_assert_int_eq(outbox_rows(), 2);
	for (size_t i = 0; i < screen.n; i++)
		if (screen.calls[i].flags & MQC_MSG_OWN)
			ck_assert_int_eq(write(out, screen.calls[i].id, MQC_MESSAGE_ID_SIZE),
			                 MQC_MESSAGE_ID_SIZE);
	chat_end(&chat);
}

START_TEST(what_a_run_left_unacknowledged_the_next_sends_with_its_ids)
{
	int ids[2];
	ck_assert_int_eq(pipe(ids), 0);
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		first_run(ids[1]);
		config_free(&cfg);
		exit(0);
	}
	close(ids[1]);
	char first_ids[2][MQC_MESSAGE_ID_SIZE];
	size_t got = 0;
	for (ssize_t n = 1; n > 0 && got < sizeof first_ids; got += n > 0 ? (size_t)n : 0)
		n = read(ids[0], (char *)first_ids + got, sizeof first_ids - got);
	ck_assert_uint_eq(got, sizeof first_ids);
	close(ids[0]);
	int status;
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	struct chat chat;
	chat_start(&chat, 10000);
	ck_assert_uint_eq(shown(MQC_MSG_STATUS,
	                        "sending again 2 messages an earlier run left unacknowledged"),
	                  1);
	ck_assert_uint_eq(network.n, 0);
	link_up();
	ck_assert_uint_eq(network.n, 2);
	ck_assert_str_eq(network.calls[0].text, "uno");
	ck_assert_str_eq(network.calls[0].id, first_ids[0]);
	ck_assert_str_eq(network.calls[1].text, "dos");
	ck_assert_str_eq(network.calls[1].id, first_ids[1]);
	ack_all();
	run_until_outbox_empty(&chat);
	chat_end(&chat);
}
END_TEST

/* --- the exit status ------------------------------------------------------ */

START_TEST(quitting_with_lines_unacknowledged_exits_75)
{
	struct chat chat;
	chat_start(&chat, 20);
	link_up();
	type_line("uno");
	run_round(&chat);
	ck_assert_uint_eq(network.n, 1);
	screen.host->quit(screen.inst, 0);
	ck_assert_int_eq(chat_run(&chat), EX_TEMPFAIL);
	chat_end(&chat);
}
END_TEST

START_TEST(quitting_with_every_line_acknowledged_exits_with_the_code_asked)
{
	struct chat chat;
	chat_start(&chat, 10000);
	link_up();
	type_line("uno");
	run_round(&chat);
	ack_all();
	screen.host->quit(screen.inst, 3);
	ck_assert_int_eq(chat_run(&chat), 3);
	chat_end(&chat);
}
END_TEST

static Suite *message_path_suite(void)
{
	Suite *s = suite_create("message_path");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, each_message_received_is_shown_once_and_kept);
	tcase_add_test(tc, a_payload_received_while_one_is_shown_is_made_apart);
	tcase_add_test(tc, a_proved_sender_is_shown_as_is_and_a_claimed_one_marked);
	tcase_add_test(tc, history_answers_are_shown_once_and_kept);
	tcase_add_test(tc, a_parsed_message_is_placed_sanitised_and_bounded);
	tcase_add_test(tc, a_line_said_is_shown_once_and_its_echo_not_again);
	tcase_add_test(tc, a_plain_echo_is_known_by_its_payload);
	tcase_add_test(tc, a_message_in_flight_repeats_after_a_move_of_two_hops);
	tcase_add_test(tc, a_copy_marked_as_sent_again_is_shown_once);
	tcase_add_test(tc, lines_are_published_in_order_and_forgotten_once_acknowledged);
	tcase_add_test(tc, what_a_run_left_unacknowledged_the_next_sends_with_its_ids);
	tcase_add_test(tc, quitting_with_lines_unacknowledged_exits_75);
	tcase_add_test(tc, quitting_with_every_line_acknowledged_exits_with_the_code_asked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(message_path_suite());
}
