/* SPDX-License-Identifier: MIT */
/*
 * The syslog frontend: logs the conversation, one record per message.
 *
 * Records are datagrams written without waiting to the log socket (see
 * syslog_sink.c for why glibc's syslog() is not used).  When the socket is
 * full or missing, records are counted as lost rather than queued or
 * retried in a loop; a one-second timer looks for the socket again, and
 * the first record that gets through after losses is preceded by one that
 * says how many were lost.
 *
 * Where journald runs, the records go to it in its native protocol,
 * carrying MQCHAT_NICK, MQCHAT_TOPIC, MQCHAT_ID, MQCHAT_TYPE and
 * MQCHAT_NETWORK, MQCHAT_ROOM, MQCHAT_TO so `journalctl MQCHAT_NICK=ana`
 * finds them.  With more than one room joined a record says where its
 * message belongs ("[one:ops] ") unless the format shows it.
 */
#include <mqchat/msg_type.h>
#include <mqchat/plugin.h>

#include "syslog_escape.h"
#include "syslog_options.h"
#include "syslog_record.h"
#include "syslog_sink.h"
#include "where.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 1000
/* MQCHAT_NICK, _TOPIC and _ID are for searching, not reading: a topic of
 * 64 KiB would only push a journal datagram past the socket's limit. */
#define FIELD_MAX 1024
/* The severity of "N records dropped" and the least one of error STATUS. */
#define SEVERITY_WARNING 4

struct syslog_self {
	struct mqc_instance *inst;
	const struct mqc_host *host;
	struct syslog_options opt;
	struct mqc_template *format;
	bool format_shows_where; /* `format` has {network} or {room} */

	struct syslog_sink sink;
	struct mqc_timer *retry; /* exists only while records are being lost */
	uint64_t dropped;        /* lost since the last record that got through */
	bool outage_reported;    /* the operator was told the socket is gone */

	char *rendered; /* max_length + 8: see render_body() */
	char *body;     /* max_length + 1 */
	char *field;    /* FIELD_MAX + 1 */
	struct syslog_buf record;
};

/* ---------------------------------------------------------------------
 * Building records
 * --------------------------------------------------------------------- */

static bool journal_text_field(struct syslog_self *s, const char *name,
                               const char *value)
{
	size_t len;

	if (!value || !*value)
		return true; /* an unknown nick is no field, not an empty one */
	len = syslog_escape(value, strlen(value), s->field, FIELD_MAX);
	return syslog_record_journal_field(&s->record, name, s->field, len);
}

static bool journal_number_field(struct syslog_self *s, const char *name,
                                 long long value)
{
	char num[24];
	int len = snprintf(num, sizeof num, "%lld", value);

	return syslog_record_journal_field(&s->record, name, num, (size_t)len);
}

/* MQCHAT_NETWORK, _ROOM and _TO, from a core that has them (ABI 1.3). */
static bool journal_where_fields(struct syslog_self *s, const struct mqc_message *msg)
{
	if (!MQC_HOST_HAS(s->host, room_count))
		return true;
	return journal_text_field(s, "MQCHAT_NETWORK", msg->network) &&
	       journal_text_field(s, "MQCHAT_ROOM", msg->room) &&
	       journal_text_field(s, "MQCHAT_TO", msg->to);
}

/* The fields every journal record carries, MESSAGE first. */
static bool journal_common(struct syslog_self *s, int severity,
                           const char *body, size_t body_len)
{
	syslog_buf_reset(&s->record);
	return syslog_record_journal_field(&s->record, "MESSAGE", body, body_len) &&
	       journal_number_field(s, "PRIORITY", severity) &&
	       journal_number_field(s, "SYSLOG_FACILITY", s->opt.facility) &&
	       journal_text_field(s, "SYSLOG_IDENTIFIER", s->opt.ident) &&
	       (!s->opt.with_pid || journal_number_field(s, "SYSLOG_PID", getpid()));
}

/* Builds the record for `body` in s->record; `msg` adds the journal's
 * MQCHAT_* fields (NULL for records of our own, like the loss notice). */
static bool build_record(struct syslog_self *s, int severity, const char *body,
                         size_t body_len, const struct mqc_message *msg)
{
	if (!s->opt.journal)
		return syslog_record_line(&s->record, s->opt.facility * 8 + severity,
		                          time(NULL), s->opt.ident,
		                          s->opt.with_pid ? (long)getpid() : -1, body,
		                          body_len);
	if (!journal_common(s, severity, body, body_len))
		return false;
	if (!msg)
		return true;
	return journal_text_field(s, "MQCHAT_NICK", msg->nick) &&
	       journal_text_field(s, "MQCHAT_TOPIC", msg->topic) &&
	       journal_text_field(s, "MQCHAT_ID", msg->id) &&
	       journal_text_field(s, "MQCHAT_TYPE", mqc_msg_type_name(msg->type)) &&
	       journal_where_fields(s, msg);
}

/* ---------------------------------------------------------------------
 * Sending, counting what is lost
 * --------------------------------------------------------------------- */

static void retry_tick(void *data);

static void start_retrying(struct syslog_self *s)
{
	if (!s->retry)
		s->retry = s->host->timer_add(s->inst, RETRY_MS, true, retry_tick, s);
}

static void record_lost(struct syslog_self *s, int err)
{
	s->dropped++;
	if (!s->outage_reported) {
		s->host->log(s->inst, MQC_LOG_WARNING,
		             "log socket %s: %s; counting the records lost until it takes them again",
		             s->sink.path, strerror(err));
		s->outage_reported = true;
	}
	start_retrying(s);
}

/* Tells the log, and the operator, how many records were lost.  False if
 * the log still takes nothing. */
static bool send_drop_notice(struct syslog_self *s)
{
	char text[128];
	int len = snprintf(text, sizeof text,
	                   "%" PRIu64 " record%s dropped while the log socket was unavailable",
	                   s->dropped, s->dropped == 1 ? "" : "s");

	if (!build_record(s, SEVERITY_WARNING, text, (size_t)len, NULL))
		return false;
	if (s->opt.journal &&
	    !journal_number_field(s, "MQCHAT_DROPPED", (long long)s->dropped))
		return false;
	if (syslog_sink_send(&s->sink, s->record.data, s->record.len) != 0)
		return false;
	s->host->log(s->inst, MQC_LOG_WARNING, "%s", text);
	s->dropped = 0;
	s->outage_reported = false;
	return true;
}

static void emit(struct syslog_self *s, int severity, const char *body,
                 size_t body_len, const struct mqc_message *msg)
{
	int err;

	if (!syslog_sink_connected(&s->sink)) {
		/* The retry timer reconnects; until then nothing is tried. */
		record_lost(s, ENOTCONN);
		return;
	}
	if (s->dropped > 0 && !send_drop_notice(s)) {
		record_lost(s, EAGAIN);
		return;
	}
	if (!build_record(s, severity, body, body_len, msg)) {
		record_lost(s, ENOMEM);
		return;
	}
	err = syslog_sink_send(&s->sink, s->record.data, s->record.len);
	if (err != 0)
		record_lost(s, err);
}

static void retry_tick(void *data)
{
	struct syslog_self *s = data;

	if (syslog_sink_connect(&s->sink) != 0)
		return;
	if (s->dropped > 0 && !send_drop_notice(s))
		return;
	if (s->outage_reported) {
		s->host->log(s->inst, MQC_LOG_INFO, "log socket %s takes records again",
		             s->sink.path);
		s->outage_reported = false;
	}
	s->host->timer_remove(s->retry);
	s->retry = NULL;
}

/* ---------------------------------------------------------------------
 * Messages
 * --------------------------------------------------------------------- */

static int severity_of(const struct syslog_self *s, const struct mqc_message *msg)
{
	switch (msg->type) {
	case MQC_MSG_MESSAGE:
	case MQC_MSG_ACTION:
		return s->opt.priority;
	case MQC_MSG_STATUS:
		/* A reported problem is at least a warning. */
		if ((msg->flags & MQC_MSG_ERROR) && s->opt.event_priority > SEVERITY_WARNING)
			return SEVERITY_WARNING;
		return s->opt.event_priority;
	case MQC_MSG_JOIN:
	case MQC_MSG_LEAVE:
		break;
	}
	return s->opt.event_priority;
}

/* True when the core carries rooms and more than one is joined. */
static bool many_rooms(const struct syslog_self *s)
{
	return MQC_HOST_HAS(s->host, room_count) && s->host->room_count(s->inst) > 1;
}

/* Where `msg` belongs ("[one:ops] ", common/where.h) while more than one
 * room is joined and the format does not say it, into s->rendered; its
 * length.  0 too when it would take the whole record. */
static size_t render_where(struct syslog_self *s, const struct mqc_message *msg)
{
	bool private = MQC_HOST_HAS(s->host, room_count) && msg->to && *msg->to;
	if (s->format_shows_where || !(many_rooms(s) || private))
		return 0;
	size_t len = where_prefix(msg, false, NULL);
	if (len >= s->opt.max_length)
		return 0;
	return where_prefix(msg, false, s->rendered);
}

/* Renders the template into s->rendered, which is 8 bytes longer than
 * max_length: when the core had to cut, what it wrote is still longer than
 * max_length, so syslog_escape() cuts again and adds the visible marker. */
static size_t render_body(struct syslog_self *s, const struct mqc_message *msg)
{
	size_t head = render_where(s, msg);
	size_t len = s->host->template_render(s->format, msg, 0, s->rendered + head,
	                                      s->opt.max_length + 8 - head);

	return syslog_escape(s->rendered, head + len, s->body, s->opt.max_length);
}

static void syslog_deliver(void *self, const struct mqc_message *msg)
{
	struct syslog_self *s = self;

	/* History replays are old news: logging them again at every start
	 * would duplicate the log. */
	if (msg->flags & MQC_MSG_HISTORY)
		return;
	if ((msg->flags & MQC_MSG_OWN) && !s->opt.own)
		return;
	size_t len = render_body(s, msg);
	emit(s, severity_of(s, msg), s->body, len, msg);
}

/* ---------------------------------------------------------------------
 * Open, close, reopen
 * --------------------------------------------------------------------- */

static void syslog_close(void *self)
{
	struct syslog_self *s = self;

	if (s->dropped > 0)
		s->host->log(s->inst, MQC_LOG_WARNING,
		             "%" PRIu64 " record%s dropped: the log socket %s was still unavailable at exit",
		             s->dropped, s->dropped == 1 ? "" : "s", s->sink.path);
	if (s->retry)
		s->host->timer_remove(s->retry);
	syslog_sink_close(&s->sink);
	if (s->format)
		s->host->template_free(s->format);
	syslog_buf_free(&s->record);
	free(s->rendered);
	free(s->body);
	free(s->field);
	free(s);
}

/* A missing socket is no reason to refuse to start: the daemon may come
 * later.  Records are counted as lost until it does. */
static void connect_or_wait(struct syslog_self *s)
{
	int err = syslog_sink_connect(&s->sink);

	if (err == 0)
		return;
	s->host->log(s->inst, MQC_LOG_WARNING,
	             "log socket %s: %s; records are counted as lost until it appears",
	             s->sink.path, strerror(err));
	s->outage_reported = true;
	start_retrying(s);
}

static int syslog_check(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct syslog_options opt = {0};
	bool ok = syslog_options_read(&opt, inst, host);
	struct mqc_template *format = host->template_new(inst, "format",
	                                                 host->config(inst, "format"));

	if (format)
		host->template_free(format);
	return ok && format ? 0 : -1;
}

static void *syslog_open(struct mqc_instance *inst, const struct mqc_host *host)
{
	struct syslog_self *s = calloc(1, sizeof *s);
	bool ok;

	if (!s) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		return NULL;
	}
	s->inst = inst;
	s->host = host;
	s->sink.fd = -1;
	ok = syslog_options_read(&s->opt, inst, host);
	s->format = host->template_new(inst, "format", host->config(inst, "format"));
	s->format_shows_where = where_in_template(host->config(inst, "format"));
	if (!ok || !s->format) {
		syslog_close(s);
		return NULL;
	}
	syslog_sink_init(&s->sink, s->opt.socket); /* length checked already */
	s->rendered = malloc(s->opt.max_length + 8);
	s->body = malloc(s->opt.max_length + 1);
	s->field = malloc(FIELD_MAX + 1);
	if (!s->rendered || !s->body || !s->field) {
		host->log(inst, MQC_LOG_ERROR, "out of memory");
		syslog_close(s);
		return NULL;
	}
	connect_or_wait(s);
	return s;
}

/* SIGHUP: a restarted log daemon may have bound a new socket. */
static void syslog_reopen(void *self)
{
	struct syslog_self *s = self;

	syslog_sink_close(&s->sink);
	if (syslog_sink_connect(&s->sink) != 0)
		start_retrying(s);
}

MQC_PLUGIN_DEFINE(
	.name = "syslog",
	.version = "1.0",
	.kind = MQC_PLUGIN_FRONTEND,
	.description = "logs the conversation to syslog or journald, one record per message",
	.keys = syslog_option_keys,
	.open = syslog_open,
	.close = syslog_close,
	.reopen = syslog_reopen,
	.deliver = syslog_deliver,
	.check = syslog_check);
