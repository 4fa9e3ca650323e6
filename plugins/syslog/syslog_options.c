/* SPDX-License-Identifier: MIT */
/*
 * Every value is checked when the instance opens, so a typo stops mqchat
 * with exit 78 and "FILE:LINE: [section] key: ..." instead of logging to
 * the wrong place for months.
 */
#include "syslog_options.h"

#include "syslog_names.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

const struct mqc_key syslog_option_keys[] = {
	{"ident", "mqchat", 0, "program name in each record (\"ident[pid]: ...\")"},
	{"facility", "user", 0, "kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0..local7"},
	{"priority", "info", 0, "severity of messages: emerg alert crit err warning notice info debug"},
	{"event_priority", "notice", 0, "severity of joins, leaves and connection events"},
	{"format", "{nick}: {text}", 0, "template of each record's text"},
	{"pid", "on", 0, "on | off: write [pid] after the ident"},
	{"own", "on", 0, "on | off: log the messages this user sends too"},
	{"max_length", "2048", 0, "bytes of text per record; longer text is cut and marked"},
	{"socket", SYSLOG_DEFAULT_SOCKET, MQC_KEY_PATH, "the syslog socket (AF_UNIX datagram)"},
	{"journal", "auto", 0, "auto | on | off: use journald's native protocol (auto: when its socket exists and `socket` is the default)"},
	{"journal_socket", SYSLOG_DEFAULT_JOURNAL_SOCKET, MQC_KEY_PATH, "journald's native socket"},
	{NULL, NULL, 0, NULL},
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

static bool read_facility(const struct reader *r, struct syslog_options *opt)
{
	const char *value = value_of(r, "facility");

	opt->facility = syslog_facility_parse(value);
	if (opt->facility >= 0)
		return true;
	r->host->config_error(r->inst, "facility", "unknown facility \"%s\" (use one of: %s)",
	                      value, syslog_facility_names);
	return false;
}

static bool read_severity(const struct reader *r, const char *key, int *out)
{
	const char *value = value_of(r, key);

	*out = syslog_severity_parse(value);
	if (*out >= 0)
		return true;
	r->host->config_error(r->inst, key, "unknown priority \"%s\" (use one of: %s)",
	                      value, syslog_severity_names);
	return false;
}

static bool read_switch(const struct reader *r, const char *key, bool *out)
{
	const char *value = value_of(r, key);
	int on = syslog_switch_parse(value);

	if (on >= 0) {
		*out = on;
		return true;
	}
	r->host->config_error(r->inst, key, "expected on or off, not \"%s\"", value);
	return false;
}

static bool read_max_length(const struct reader *r, struct syslog_options *opt)
{
	const char *value = value_of(r, "max_length");
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(value, &end, 10);
	if (value[0] >= '0' && value[0] <= '9' && *end == '\0' && errno == 0 &&
	    n >= SYSLOG_MAX_LENGTH_MIN && n <= SYSLOG_MAX_LENGTH_MAX) {
		opt->max_length = n;
		return true;
	}
	r->host->config_error(r->inst, "max_length",
	                      "expected a number of bytes from %d to %d, not \"%s\"",
	                      SYSLOG_MAX_LENGTH_MIN, SYSLOG_MAX_LENGTH_MAX, value);
	return false;
}

/* journald or plain syslog, and the socket that goes with it.  With
 * "auto", a user who names a `socket` gets that socket; one who does not
 * gets journald where it runs. */
static bool read_destination(const struct reader *r, struct syslog_options *opt)
{
	const char *mode = value_of(r, "journal");
	const char *socket_path = value_of(r, "socket");
	const char *journal_path = value_of(r, "journal_socket");

	if (strcmp(mode, "auto") == 0) {
		opt->journal = strcmp(socket_path, SYSLOG_DEFAULT_SOCKET) == 0 &&
		               access(journal_path, F_OK) == 0;
	} else {
		int on = syslog_switch_parse(mode);
		if (on < 0) {
			r->host->config_error(r->inst, "journal",
			                      "expected auto, on or off, not \"%s\"", mode);
			return false;
		}
		opt->journal = on;
	}
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
	ok &= read_facility(&r, opt);
	ok &= read_severity(&r, "priority", &opt->priority);
	ok &= read_severity(&r, "event_priority", &opt->event_priority);
	ok &= read_switch(&r, "pid", &opt->with_pid);
	ok &= read_switch(&r, "own", &opt->own);
	ok &= read_max_length(&r, opt);
	ok &= read_destination(&r, opt);
	return ok;
}
