/* SPDX-License-Identifier: MIT */
/*
 * Facility and priority names as syslog.conf(5) spells them (the values
 * are those of <syslog.h>, written out so the records we build by hand do
 * not depend on that header's macros).
 */
#include "syslog_names.h"

#include <stddef.h>
#include <string.h>

const char *const syslog_facility_words[] = {
	"kern", "user", "mail", "daemon", "auth", "security", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "local0", "local1", "local2", "local3",
	"local4", "local5", "local6", "local7", NULL,
};
const int syslog_facility_codes[] = {
	0, 1, 2, 3, 4, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23,
};

const char *const syslog_severity_words[] = {
	"emerg", "panic", "alert", "crit", "err", "error", "warning", "warn", "notice",
	"info", "debug", NULL,
};
const int syslog_severity_codes[] = {0, 0, 1, 2, 3, 3, 4, 4, 5, 6, 7};

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
