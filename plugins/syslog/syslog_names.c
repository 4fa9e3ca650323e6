/* SPDX-License-Identifier: MIT */
/*
 * Facility and priority names as syslog.conf(5) spells them (the values
 * are those of <syslog.h>, written out so the records we build by hand do
 * not depend on that header's macros).
 */
#include "syslog_names.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct code_name {
	const char *name;
	int code;
};

static const struct code_name facilities[] = {
	{"kern", 0},     {"user", 1},      {"mail", 2},    {"daemon", 3},
	{"auth", 4},     {"security", 4},  {"syslog", 5},  {"lpr", 6},
	{"news", 7},     {"uucp", 8},      {"cron", 9},    {"authpriv", 10},
	{"ftp", 11},     {"local0", 16},   {"local1", 17}, {"local2", 18},
	{"local3", 19},  {"local4", 20},   {"local5", 21}, {"local6", 22},
	{"local7", 23},  {NULL, -1},
};

static const struct code_name severities[] = {
	{"emerg", 0}, {"panic", 0}, {"alert", 1},   {"crit", 2},
	{"err", 3},   {"error", 3}, {"warning", 4}, {"warn", 4},
	{"notice", 5}, {"info", 6}, {"debug", 7},   {NULL, -1},
};

const char syslog_facility_names[] =
	"kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, "
	"authpriv, ftp, local0 ... local7";
const char syslog_severity_names[] =
	"emerg, alert, crit, err, warning, notice, info, debug";

static int lookup(const struct code_name *table, const char *name)
{
	for (; table->name; table++)
		if (strcasecmp(table->name, name) == 0)
			return table->code;
	return -1;
}

int syslog_facility_parse(const char *name)
{
	return lookup(facilities, name);
}

int syslog_severity_parse(const char *name)
{
	return lookup(severities, name);
}

int syslog_switch_parse(const char *value)
{
	static const char *const on[] = {"on", "yes", "true", "1"};
	static const char *const off[] = {"off", "no", "false", "0"};

	for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
		if (strcasecmp(value, on[i]) == 0)
			return 1;
		if (strcasecmp(value, off[i]) == 0)
			return 0;
	}
	return -1;
}

bool syslog_ident_valid(const char *ident)
{
	size_t len = strlen(ident);

	if (len == 0 || len > 48)
		return false;
	for (const unsigned char *c = (const unsigned char *)ident; *c; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr(":[]", *c))
			return false;
	return true;
}
