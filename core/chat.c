/* SPDX-License-Identifier: MIT */
#include "chat.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "arrival.h"
#include "command.h"
#include "identity.h"
#include "sanitize.h"

/* Sources pause when this many messages wait for the window, and resume
 * once the backlog is down to QUEUE_LOW. */
#define QUEUE_HIGH 1024
#define QUEUE_LOW 256
/* Received payloads beyond this are refused, loudly: one huge message
 * must not cost the process (or a terminal) hundreds of megabytes. */
#define MAX_RECEIVED_PAYLOAD (1024 * 1024)

static struct mqc_message outgoing_message(const struct chat *chat, const struct outgoing *m)
{
	return (struct mqc_message){
		.type = m->type, .flags = MQC_MSG_OWN, .id = m->id, .nick = m->nick,
		.text = m->text, .topic = "", .sender_id = chat->stable_id, .time_ms = m->time_ms,
	};
}

/* --- delivery to frontends ----------------------------------------------- */

/* Shows `msg` to one frontend, or to all with `only` NULL. */
static void deliver(struct chat *chat, struct instance *only, const struct mqc_message *msg)
{
	for (size_t i = 0; i < chat->instances.n_frontends; i++) {
		struct instance *inst = chat->instances.frontends[i];
		if (inst->self && (!only || only == inst))
			inst->plugin->desc.deliver(inst->self, msg);
	}
}

static void status(struct chat *chat, struct instance *to, unsigned flags, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void status(struct chat *chat, struct instance *to, unsigned flags, const char *fmt, ...)
{
	struct strbuf text = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vprintf(&text, fmt, ap);
	va_end(ap);
	struct mqc_message msg = {
		.type = MQC_MSG_STATUS, .flags = flags, .id = "", .nick = "",
		.text = strbuf_str(&text), .topic = "", .sender_id = "", .time_ms = loop_wall_ms(),
	};
	deliver(chat, to, &msg);
	strbuf_free(&text);
}

/* An event (connected, outbox news) for every frontend, and for stderr as
 * well when no stdin frontend shows it there or on the terminal already. */
static void event(struct chat *chat, enum mqc_log_level level, const char *text)
{
	if (!chat->stdin_shows_events)
		log_print(NULL, level, "%s", text);
	status(chat, NULL, level <= MQC_LOG_WARNING ? MQC_MSG_ERROR : 0, "%s", text);
}

/* --- sending ------------------------------------------------------------- */

/* Done quitting when everything said was acknowledged.  With the link down,
 * a join or leave announcement alone is not worth waiting for. */
static void check_quit_done(struct chat *chat)
{
	if (chat->quitting && sendq_settled(&chat->sendq, chat->link_up))
		chat->done = true;
}

static void update_backpressure(struct chat *chat)
{
	bool full = delivery_full(chat->delivery);
	size_t backlog = sendq_backlog(&chat->sendq);
	if (chat->quitting || backlog >= QUEUE_HIGH || full)
		loop_pause_sources(chat->loop, true);
	else if (backlog <= QUEUE_LOW)
		loop_pause_sources(chat->loop, false);
}

/* Hands `m` to the backend, while the link is up (it may go down inside
 * an earlier publish). */
static int publish(void *data, const struct outgoing *m, uint64_t token)
{
	struct chat *chat = data;
	struct instance *be = chat->instances.backend;
	if (!chat->link_up)
		return -1;
	struct mqc_message msg = outgoing_message(chat, m);
	return be->plugin->desc.publish(be->self, &msg, token);
}

static void flush_queue(struct chat *chat)
{
	if (chat->link_up)
		sendq_flush(&chat->sendq, publish, chat);
	update_backpressure(chat);
}

/* What was said in one loop round is sent; at the round's end, once the
 * backend has let it go (mqtt uncorks its socket then), what the broker has
 * not acknowledged yet is saved, in one transaction: each message is on the
 * wire or on disk, and one written out at once (QoS 0) never touches the
 * disk, nor does the disk hold up one that is not. */
static void send_said(void *data)
{
	struct chat *chat = data;
	flush_queue(chat);
	loop_timer_arm_now(chat->save_timer);
}

static void save_said(void *data)
{
	struct chat *chat = data;
	delivery_save(chat->delivery, &chat->sendq);
	update_backpressure(chat); /* the outbox may be full now */
}

/* `first`: ahead of whatever waits (a join said again on reconnecting). */
static void enqueue(struct chat *chat, enum mqc_msg_type type, const char *nick,
                    const char *text, bool first)
{
	struct outgoing *m = xcalloc(1, sizeof *m);
	m->type = type;
	identity_new_message_id(m->id);
	m->nick = xstrdup(nick);
	m->text = xstrdup(text);
	m->time_ms = loop_wall_ms();
	delivery_track(chat->delivery, m, !outgoing_is_announcement(m));
	sendq_add(&chat->sendq, m, first);
	struct mqc_message msg = outgoing_message(chat, m);
	/* A broker echo of a json message is known by its identity. */
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, msg.time_ms, NULL, NULL, 0);
	archive_said(chat->archive, &msg, &ident);
	dedup_identity_free(&ident);
	deliver(chat, NULL, &msg);
	loop_timer_arm_now(chat->send_timer);
}

void chat_acked(struct chat *chat, uint64_t token, enum mqc_ack result)
{
	struct outgoing *m = sendq_acked(&chat->sendq, token);
	if (!m) {
		log_print(chat->instances.backend->name, MQC_LOG_WARNING,
		         "acknowledgement for unknown message %llu ignored (a backend bug)",
		         (unsigned long long)token);
		return;
	}
	if (result == MQC_ACK_REJECTED)
		status(chat, NULL, MQC_MSG_ERROR, "the broker refused your message \"%s\"",
		            m->text);
	delivery_done(chat->delivery, m);
	outgoing_free(m);
	if (chat->quit_timer)
		loop_timer_arm(chat->quit_timer, chat->set.quit_timeout_ms);
	flush_queue(chat);
	check_quit_done(chat);
}

void chat_note_published(struct chat *chat, const char *payload, size_t len)
{
	echo_note(&chat->echoes, dedup_digest("", payload, len), loop_now_ms());
}

/* --- lines from frontends ------------------------------------------------ */

static void say(struct chat *chat, struct instance *from, enum mqc_msg_type type,
                const char *text, size_t len, const char *nick_override)
{
	struct strbuf clean = STRBUF_INIT;
	sanitize_append(&clean, text, len);
	if (clean.len == 0 || strspn(clean.data, " ") == clean.len) {
		strbuf_free(&clean);
		return;
	}
	const char *nick = chat->nick;
	char *other = NULL;
	if (nick_override && *nick_override) {
		struct strbuf err = STRBUF_INIT;
		other = identity_clean_nick(nick_override, strlen(nick_override), &err);
		if (!other)
			log_print(from->name, MQC_LOG_WARNING, "nick '%s' refused (%s); sending as %s",
			         nick_override, strbuf_str(&err), chat->nick);
		strbuf_free(&err);
		nick = other ? other : chat->nick;
	}
	enqueue(chat, type, nick, clean.data, false);
	free(other);
	strbuf_free(&clean);
}

/* The room is told, as an action of the old nick ("* Ana ahora es Bea"),
 * which every client shows and the plain wire carries as it is. */
static void change_nick(struct chat *chat, struct instance *from, const char *arg, size_t len)
{
	struct strbuf err = STRBUF_INIT;
	char *nick = identity_clean_nick(arg, len, &err);
	if (!nick) {
		status(chat, from, MQC_MSG_ERROR, "/nick: %s", strbuf_str(&err));
		strbuf_free(&err);
		return;
	}
	strbuf_free(&err);
	if (strcmp(nick, chat->nick) == 0) {
		status(chat, from, 0, "you are already known as %s", nick);
		free(nick);
		return;
	}
	char *old = chat->nick;
	chat->nick = nick;
	if (chat->set.announce) {
		struct strbuf text = STRBUF_INIT;
		strbuf_printf(&text, "ahora es %s", nick);
		enqueue(chat, MQC_MSG_ACTION, old, strbuf_str(&text), false);
		strbuf_free(&text);
	}
	status(chat, from, 0, "you are now known as %s", nick);
	free(old);
}

/* One row a command, the descriptions aligned. */
static void show_help(struct chat *chat, struct instance *to)
{
	int width = 0;
	for (const struct command_help *h = command_help; h->usage; h++)
		if ((int)strlen(h->usage) > width)
			width = (int)strlen(h->usage);
	status(chat, to, 0, "commands:");
	for (const struct command_help *h = command_help; h->usage; h++)
		status(chat, to, 0, "  %-*s  %s", width, h->usage, h->what);
}

static void show_one(void *data, const struct mqc_message *msg)
{
	struct instance *to = data;
	to->plugin->desc.deliver(to->self, msg);
}

/* /history N or /search WORDS, to the frontend that asked, framed by the
 * line that says what was found. */
static void show_history(struct chat *chat, struct instance *to, const struct command *cmd)
{
	struct strbuf reply = STRBUF_INIT;
	bool ok = cmd->kind == CMD_HISTORY
	                  ? archive_show_last(chat->archive, cmd->arg, cmd->arg_len, NULL, show_one, to,
	                                      &reply)
	                  : archive_search(chat->archive, cmd->arg, cmd->arg_len, NULL, show_one, to,
	                                   &reply);
	status(chat, to, ok ? 0 : MQC_MSG_ERROR, "%s", strbuf_str(&reply));
	strbuf_free(&reply);
}

void chat_submit_line(struct chat *chat, struct instance *from, const char *line, size_t len,
                      unsigned flags, const char *nick)
{
	struct command cmd = command_parse(line, len, flags & MQC_LINE_COMMANDS);
	switch (cmd.kind) {
	case CMD_EMPTY:
		break;
	case CMD_SAY:
		say(chat, from, MQC_MSG_MESSAGE, cmd.arg, cmd.arg_len, nick);
		break;
	case CMD_ACTION:
		say(chat, from, MQC_MSG_ACTION, cmd.arg, cmd.arg_len, nick);
		break;
	case CMD_NICK:
		change_nick(chat, from, cmd.arg, cmd.arg_len);
		break;
	case CMD_QUIT:
		chat_quit(chat, 0);
		break;
	case CMD_HELP:
		show_help(chat, from);
		break;
	case CMD_HISTORY:
	case CMD_SEARCH:
		show_history(chat, from, &cmd);
		break;
	case CMD_UNKNOWN: {
		struct strbuf shown = STRBUF_INIT;
		sanitize_append(&shown, cmd.arg, cmd.arg_len);
		status(chat, from, MQC_MSG_ERROR,
		            "unknown command or missing argument: %s (try /help; start the line "
		            "with // to send it as text)", strbuf_str(&shown));
		strbuf_free(&shown);
		break;
	}
	}
}

/* --- from the backend ---------------------------------------------------- */

/* Too big a payload is refused, loudly: one huge message must not cost
 * the process (or a terminal) hundreds of megabytes. */
static bool too_big(const char *topic, size_t len)
{
	if (len <= MAX_RECEIVED_PAYLOAD)
		return false;
	struct strbuf where = STRBUF_INIT;
	sanitize_append(&where, topic, strlen(topic));
	log_print(NULL, MQC_LOG_WARNING, "a payload of %zu bytes on %s was not shown: "
	          "longer than %d", len, strbuf_str(&where), MAX_RECEIVED_PAYLOAD);
	strbuf_free(&where);
	return true;
}

void chat_receive(struct chat *chat, const char *topic, const void *payload, size_t len,
                  unsigned flags)
{
	if (too_big(topic, len))
		return;
	uint64_t now = loop_now_ms();
	struct arrival a;
	arrival_make(&a, topic, payload, len, flags, echo_expected(&chat->echoes, now));
	if (a.payload_digest && echo_take(&chat->echoes, a.payload_digest, now)) {
		arrival_free(&a);
		return;
	}
	enum dedup_verdict verdict = archive_check(chat->archive, &a.ident, now - chat->link_up_ms);
	if (verdict != DEDUP_REPEAT) {
		archive_store(chat->archive, &a.msg, &a.ident);
		deliver(chat, NULL, &a.msg);
	}
	if (verdict == DEDUP_CONFLICT)
		status(chat, NULL, MQC_MSG_ERROR, "the message above reuses the id of an "
		       "earlier message with other content: one of the two is not genuine");
	arrival_free(&a);
}

void chat_link_state(struct chat *chat, enum mqc_link state, const char *detail)
{
	detail = detail ? detail : "";
	switch (state) {
	case MQC_LINK_UP:
		chat->link_up = true;
		chat->link_up_ms = loop_now_ms();
		event(chat, MQC_LOG_INFO, detail);
		/* The broker may have published our Last Will while we were
		 * away: the room is told we are back. */
		if (chat->was_connected && chat->announced && !chat->quitting)
			enqueue(chat, MQC_MSG_JOIN, chat->nick, "", true);
		chat->was_connected = true;
		flush_queue(chat);
		check_quit_done(chat);
		break;
	case MQC_LINK_DOWN:
		if (chat->link_up || !chat->interactive)
			event(chat, MQC_LOG_WARNING, detail);
		chat->link_up = false;
		check_quit_done(chat);
		break;
	case MQC_LINK_FAILED:
		chat->link_up = false;
		event(chat, MQC_LOG_ERROR, detail);
		chat->exit_code = EX_UNAVAILABLE;
		chat->done = true;
		break;
	}
}

/* --- quitting ------------------------------------------------------------ */

static void quit_timed_out(void *data)
{
	struct chat *chat = data;
	chat->done = true;
}

void chat_quit(struct chat *chat, int code)
{
	if (chat->quitting)
		return;
	chat->quitting = true;
	chat->exit_code = code;
	if (chat->set.announce && chat->announced)
		enqueue(chat, MQC_MSG_LEAVE, chat->nick, "", false);
	update_backpressure(chat);
	chat->quit_timer = loop_timer_add(chat->loop, chat->set.quit_timeout_ms, false,
	                                  quit_timed_out, chat);
	check_quit_done(chat);
}

/* Reports, on stderr, every message that never got its acknowledgement:
 * nothing leaves silently.  The count is of what is listed; a join or leave
 * announcement (never kept in the outbox) is said apart. */
static int report_unacknowledged(struct chat *chat)
{
	struct outqueue unacked = {0};
	sendq_take_all(&chat->sendq, &unacked);
	size_t lost = 0;
	bool joined = false, left = false;
	for (const struct outgoing *m = unacked.head; m; m = m->next) {
		joined |= m->type == MQC_MSG_JOIN;
		left |= m->type == MQC_MSG_LEAVE;
		lost += !outgoing_is_announcement(m);
	}
	if (!lost && !joined && !left)
		return 0;
	bool kept = delivery_keeps(chat->delivery);
	if (lost)
		log_print(NULL, MQC_LOG_ERROR, "%zu message%s never acknowledged by the broker%s:",
		         lost, lost == 1 ? " was" : "s were",
		         kept ? " (kept in the outbox: the next start sends them)" : "");
	for (struct outgoing *m; (m = outqueue_pop(&unacked));) {
		if (!outgoing_is_announcement(m))
			log_print(NULL, MQC_LOG_ERROR, "not acknowledged: %s%s: %s",
			          m->type == MQC_MSG_ACTION ? "* " : "", m->nick, m->text);
		outgoing_free(m);
	}
	if (joined || left)
		log_print(NULL, MQC_LOG_ERROR, "the broker never acknowledged the announcement "
		         "that you %s the room (not kept: it is not sent again)",
		         joined && left ? "joined and left" : joined ? "joined" : "left");
	return 1;
}

/* --- signals ------------------------------------------------------------- */

static void on_signal(void *data, int fd, unsigned revents)
{
	struct chat *chat = data;
	struct signalfd_siginfo si;
	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		if (si.ssi_signo == SIGHUP) {
			for (size_t i = 0; i < chat->instances.n_frontends; i++) {
				struct instance *inst = chat->instances.frontends[i];
				if (inst->self && inst->plugin->desc.reopen)
					inst->plugin->desc.reopen(inst->self);
			}
		} else if (chat->quitting) {
			log_print(NULL, MQC_LOG_WARNING, "interrupted again: not waiting any longer");
			chat->done = true;
		} else {
			chat_quit(chat, 0);
		}
	}
}

static int watch_signals(struct chat *chat)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	chat->signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (chat->signal_fd < 0)
		return -1;
	loop_watch_add(chat->loop, chat->signal_fd, MQC_IO_IN, false, on_signal, chat);
	return 0;
}

/* --- life cycle ---------------------------------------------------------- */

static int open_instance(struct chat *chat, struct instance *inst)
{
	int rc = instance_check(inst, &chat_host);
	if (rc)
		return rc;
	inst->self = inst->plugin->desc.open((struct mqc_instance *)inst, &chat_host);
	if (inst->self)
		return 0;
	if (!inst->config_failed)
		log_print(inst->name, MQC_LOG_ERROR, "could not start (plugin %s)",
		         inst->plugin->path);
	return inst->config_failed ? EX_CONFIG : EX_UNAVAILABLE;
}

/* As a STATUS line, "who: warning: text", to the frontend `data`. */
static void log_to_frontend(void *data, const char *line, enum mqc_log_level level)
{
	struct instance *inst = data;
	struct mqc_message msg = {
		.type = MQC_MSG_STATUS, .flags = level <= MQC_LOG_WARNING ? MQC_MSG_ERROR : 0,
		.id = "", .nick = "", .text = line, .topic = "", .sender_id = "",
		.time_ms = loop_wall_ms(),
	};
	inst->plugin->desc.deliver(inst->self, &msg);
}

/* The terminal a person watches is standard error as well as the
 * frontend's that owns it: that frontend then prints log lines, above its
 * prompt. */
static void log_to_terminal(struct chat *chat)
{
	struct stat out, err;
	if (!chat->interactive || fstat(STDOUT_FILENO, &out) != 0 ||
	    fstat(STDERR_FILENO, &err) != 0 || !S_ISCHR(out.st_mode) ||
	    out.st_rdev != err.st_rdev)
		return;
	for (size_t i = 0; i < chat->instances.n_frontends; i++)
		if (loader_owns_terminal(chat->instances.frontends[i]->plugin))
			log_set_sink(log_to_frontend, chat->instances.frontends[i]);
}

static void replay_one(void *data, const struct mqc_message *msg)
{
	deliver(data, NULL, msg);
}

/* Where the backend sends: its instance, and by the keys a backend names
 * them with (mqtt's), the broker and the room.  A backend without them is
 * known by its instance alone. */
static struct outbox_dest backend_destination(const struct instance *be, struct strbuf *broker)
{
	const char *hosts = instance_value(be, "hosts");
	const char *host = instance_value(be, "host");
	const char *port = instance_value(be, "port");
	if (hosts && *hosts)
		strbuf_appends(broker, hosts);
	else if (host)
		strbuf_printf(broker, "%s:%s", host, port ? port : "");
	const char *room = instance_value(be, "topic");
	return (struct outbox_dest){be->name, strbuf_str(broker), room ? room : ""};
}

/* Queues what earlier runs left for our destination; says what waits for
 * others. */
static void claim_leftovers(struct chat *chat)
{
	struct strbuf broker = STRBUF_INIT, elsewhere = STRBUF_INIT, text = STRBUF_INIT;
	struct outbox_dest dest = backend_destination(chat->instances.backend, &broker);
	struct outqueue leftovers = {0};
	int n = delivery_claim(chat->delivery, &dest, &leftovers, &elsewhere);
	for (struct outgoing *m; (m = outqueue_pop(&leftovers));)
		sendq_add(&chat->sendq, m, false);
	if (n > 0) {
		strbuf_printf(&text, "sending again %d message%s an earlier run left "
		              "unacknowledged", n, n == 1 ? "" : "s");
		event(chat, MQC_LOG_INFO, text.data);
	}
	if (n >= 0 && elsewhere.len) {
		strbuf_reset(&text);
		strbuf_printf(&text, "the outbox keeps messages for other destinations, to be "
		              "sent only there: %s", strbuf_str(&elsewhere));
		event(chat, MQC_LOG_INFO, text.data);
	}
	strbuf_free(&text);
	strbuf_free(&elsewhere);
	strbuf_free(&broker);
}

/* History, then the outbox (in the history's file when it is open). */
static int open_storage(struct chat *chat)
{
	int rc = archive_open(&chat->archive, chat->cfg, chat->state_dir, &chat->set.archive,
	                      chat->loop);
	if (rc)
		return rc;
	struct history *store = archive_store_handle(chat->archive);
	char *path = store ? archive_database_path(chat->cfg, chat->state_dir) : NULL;
	chat->delivery = delivery_open(chat->loop, chat->set.outbox_max, chat->state_dir, store,
	                               path);
	free(path);
	return 0;
}

int chat_open(struct chat *chat)
{
	signal(SIGPIPE, SIG_IGN);
	if (watch_signals(chat) != 0) {
		log_print(NULL, MQC_LOG_ERROR, "cannot watch signals: %s", strerror(errno));
		return EX_OSERR;
	}
	int rc = open_storage(chat);
	for (size_t i = 0; !rc && i < chat->instances.n_frontends; i++)
		rc = open_instance(chat, chat->instances.frontends[i]);
	if (rc)
		return rc;
	log_to_terminal(chat);
	archive_replay(chat->archive, replay_one, chat);
	chat->send_timer = loop_timer_add(chat->loop, 0, false, send_said, chat);
	chat->save_timer = loop_timer_add(chat->loop, 0, false, save_said, chat);
	loop_timer_run_last(chat->save_timer);
	claim_leftovers(chat);
	if (chat->set.announce) {
		enqueue(chat, MQC_MSG_JOIN, chat->nick, "", false);
		chat->announced = true;
	}
	return open_instance(chat, chat->instances.backend);
}

int chat_run(struct chat *chat)
{
	while (!chat->done) {
		if (loop_iterate(chat->loop) != 0) {
			log_print(NULL, MQC_LOG_ERROR, "poll: %s", strerror(errno));
			return EX_OSERR;
		}
	}
	delivery_save(chat->delivery, &chat->sendq); /* said in the last round */
	if (report_unacknowledged(chat) && chat->exit_code != EX_UNAVAILABLE)
		return EX_TEMPFAIL;
	return chat->exit_code;
}

void chat_close(struct chat *chat)
{
	log_set_sink(NULL, NULL);
	for (size_t i = chat->instances.n_frontends; i-- > 0;) {
		struct instance *inst = chat->instances.frontends[i];
		if (inst->self)
			inst->plugin->desc.close(inst->self);
		inst->self = NULL;
	}
	if (chat->instances.backend && chat->instances.backend->self)
		chat->instances.backend->plugin->desc.close(chat->instances.backend->self);
	if (chat->instances.backend)
		chat->instances.backend->self = NULL;
	struct outqueue unsent = {0};
	sendq_take_all(&chat->sendq, &unsent);
	for (struct outgoing *m; (m = outqueue_pop(&unsent));)
		outgoing_free(m);
	delivery_close(chat->delivery);
	chat->delivery = NULL;
	archive_close(chat->archive);
	chat->archive = NULL;
	if (chat->signal_fd > 0)
		close(chat->signal_fd);
}
