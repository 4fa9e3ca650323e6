/* SPDX-License-Identifier: MIT */
/*
 * Every value is checked when the instance opens, so a typo stops mqchat
 * with exit 78 and "FILE:LINE: [section] key: ..." instead of logging to
 * the wrong place for months.
 */
#include "syslog_options.h"

#include "syslog_names.h"

#include <string.h>
#include <sys/un.h>
#include <unistd.h>

/* The words of `journal`, in the order host->config_word() counts them:
 * "auto", then every spelling of on and of off an on/off key takes. */
static const char *const journal_words[] = {"auto", "on", "yes", "true", "1",
                                            "off", "no", "false", "0", NULL};
#define JOURNAL_FIRST_OFF 5
enum { JOURNAL_AUTO, JOURNAL_ON, JOURNAL_OFF };

const struct mqc_key syslog_option_keys[] = {
	{.name = "ident", .def = "mqchat",
	 .help = "program name in each record (\"ident[pid]: ...\")"},
	{.name = "facility", .def = "user",
	 .help = "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, "
	         "ftp, local0..local7",
	 .type = MQC_KEY_WORD, .words = syslog_facility_words},
	{.name = "priority", .def = "info",
	 .help = "severity of messages: emerg alert crit err warning notice info debug",
	 .type = MQC_KEY_WORD, .words = syslog_severity_words},
	{.name = "event_priority", .def = "notice",
	 .help = "severity of joins, leaves and connection events",
	 .type = MQC_KEY_WORD, .words = syslog_severity_words},
	{.name = "format", .def = "{nick}: {text}", .help = "template of each record's text"},
	{.name = "pid", .def = "on", .help = "on | off: write [pid] after the ident",
	 .type = MQC_KEY_BOOL},
	{.name = "own", .def = "on", .help = "on | off: log the messages this user sends too",
	 .type = MQC_KEY_BOOL},
	{.name = "max_length", .def = "2048",
	 .help = "bytes of text per record; longer text is cut and marked",
	 .type = MQC_KEY_NUMBER, .unit = MQC_UNIT_BYTES, .min = SYSLOG_MAX_LENGTH_MIN,
	 .max = SYSLOG_MAX_LENGTH_MAX},
	{.name = "socket", .def = SYSLOG_DEFAULT_SOCKET, .flags = MQC_KEY_PATH,
	 .help = "the syslog socket (AF_UNIX datagram)"},
	{.name = "journal", .def = "auto",
	 .help = "auto | on | off: use journald's native protocol (auto: when its socket "
	         "exists and `socket` is the default)",
	 .type = MQC_KEY_WORD, .words = journal_words},
	{.name = "journal_socket", .def = SYSLOG_DEFAULT_JOURNAL_SOCKET, .flags = MQC_KEY_PATH,
	 .help = "journald's native socket"},
	{.name = NULL},
};

/* What every reader below needs. */
struct reader {
	struct mqc_instance *inst;
	const struct mqc_host *host;
};

static const char *value_of(const struct reader *r, const char *key)
{
	return r->host->config(r->inst, key);
}

static bool read_ident(const struct reader *r, struct syslog_options *opt)
{
	const char *value = value_of(r, "ident");

	if (syslog_ident_valid(value)) {
		memcpy(opt->ident, value, strlen(value) + 1);
		return true;
	}
	r->host->config_error(r->inst, "ident",
	                      "\"%s\": 1 to 48 printable ASCII characters, no spaces, ':', '[' or ']'",
	                      value);
	return false;
}

/* journald or plain syslog, and the socket that goes with it.  With
 * "auto", a user who names a `socket` gets that socket; one who does not
 * gets journald where it runs. */
static bool read_destination(const struct reader *r, struct syslog_options *opt)
{
	int word = r->host->config_word(r->inst, "journal");
	int mode = word == 0 ? JOURNAL_AUTO : word < JOURNAL_FIRST_OFF ? JOURNAL_ON : JOURNAL_OFF;
	const char *socket_path = value_of(r, "socket");
	const char *journal_path = value_of(r, "journal_socket");

	if (mode == JOURNAL_AUTO)
		opt->journal = strcmp(socket_path, SYSLOG_DEFAULT_SOCKET) == 0 &&
		               access(journal_path, F_OK) == 0;
	else
		opt->journal = mode == JOURNAL_ON;
	opt->socket = opt->journal ? journal_path : socket_path;
	size_t len = strlen(opt->socket);
	if (len > 0 && len < sizeof ((struct sockaddr_un *)0)->sun_path)
		return true;
	r->host->config_error(r->inst, opt->journal ? "journal_socket" : "socket",
	                      "a socket path must be 1 to %zu bytes long",
	                      sizeof ((struct sockaddr_un *)0)->sun_path - 1);
	return false;
}

bool syslog_options_read(struct syslog_options *opt, struct mqc_instance *inst,
                         const struct mqc_host *host)
{
	const struct reader r = {inst, host};
	bool ok = true;

	ok &= read_ident(&r, opt);
	opt->facility = syslog_facility_codes[host->config_word(inst, "facility")];
	opt->priority = syslog_severity_codes[host->config_word(inst, "priority")];
	opt->event_priority = syslog_severity_codes[host->config_word(inst, "event_priority")];
	opt->with_pid = host->config_bool(inst, "pid");
	opt->own = host->config_bool(inst, "own");
	opt->max_length = (size_t)host->config_number(inst, "max_length");
	ok &= read_destination(&r, opt);
	return ok;
}
