/* SPDX-License-Identifier: MIT */
/*
 * The names users write in the INI file for facilities and priorities,
 * declared as the words of their keys, and the values they stand for.
 */
#ifndef MQCHAT_SYSLOG_NAMES_H
#define MQCHAT_SYSLOG_NAMES_H

#include <stdbool.h>

/* Facility names as syslog.conf(5) spells them, NULL-ended, and the code
 * of each (0..23, not yet shifted: user is 1, local3 is 19). */
extern const char *const syslog_facility_words[];
extern const int syslog_facility_codes[];

/* Priority names, NULL-ended, and the severity of each (emerg 0 .. debug 7). */
extern const char *const syslog_severity_words[];
extern const int syslog_severity_codes[];

/* An ident goes into "ident[pid]: ", so it must not hold what ends it:
 * 1 to 48 printable ASCII characters other than space, ':' '[' ']'. */
bool syslog_ident_valid(const char *ident);

#endif
