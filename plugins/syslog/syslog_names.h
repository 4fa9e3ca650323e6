/* SPDX-License-Identifier: MIT */
/*
 * The names users write in the INI file for facilities, priorities and
 * switches, and the values they stand for.
 */
#ifndef MQCHAT_SYSLOG_NAMES_H
#define MQCHAT_SYSLOG_NAMES_H

#include <stdbool.h>

/* The facility code (0..23, not yet shifted: user is 1, local3 is 19),
 * or -1 for an unknown name. */
int syslog_facility_parse(const char *name);

/* The severity (emerg 0 .. debug 7), or -1 for an unknown name. */
int syslog_severity_parse(const char *name);

/* 1 for on/yes/true/1, 0 for off/no/false/0, -1 otherwise. */
int syslog_switch_parse(const char *value);

/* The facility and severity names accepted, for error messages. */
extern const char syslog_facility_names[];
extern const char syslog_severity_names[];

/* An ident goes into "ident[pid]: ", so it must not hold what ends it:
 * 1 to 48 printable ASCII characters other than space, ':' '[' ']'. */
bool syslog_ident_valid(const char *ident);

#endif
