/* SPDX-License-Identifier: MIT */
/*
 * Flood control ([core] rate_limit): which received messages are shown,
 * and how many of each sender were folded.
 *
 * A sender is a network, a room (or a private conversation) and a nick,
 * or the message's sender_id when it carries one.  Each is measured over
 * a sliding window of the rate's period, approximated by two fixed
 * windows (the last one weighted by how much of it the sliding window
 * still covers): a message is shown while fewer than `count` messages of
 * its sender arrived within the last period, folded ones included.  So a
 * sender who keeps flooding stays folded until its pace falls under the
 * limit, and no sender ever fills a screen faster than `count` a period.
 *
 * What was folded is said later, per sender, through flood_take_due():
 * when the sender is under the limit again (before its next message
 * shown, or once its window has emptied), at the latest one period after
 * the first message folded since the last report (so at most once a
 * period while a flood lasts), and at exit (`all`).  Every folded message
 * is reported exactly once.
 *
 * The table is bounded: past `capacity` senders the least recently heard
 * is forgotten (its count, if any, is reported at the next call).
 */
#ifndef MQC_FLOOD_H
#define MQC_FLOOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mqchat/plugin.h>

#include "strbuf.h"

/* `count` messages per `period_ms`; count 0: no limit. */
struct flood_rate {
	uint32_t count;
	uint32_t period_ms;
};

/* Parses a rate_limit value: "off", "" or "0" (no limit), or
 * "MESSAGES/PERIOD" such as "20/10s" (period units ms s m h d; a bare
 * number is seconds).  False with why in `err`. */
bool flood_parse_rate(const char *text, struct flood_rate *out, struct strbuf *err);

struct flood;

/* The table of senders at most `capacity` long (0: FLOOD_DEFAULT_SENDERS).
 * Free with flood_free(). */
#define FLOOD_DEFAULT_SENDERS 4096
struct flood *flood_new(const struct flood_rate *rate, size_t capacity);
void flood_free(struct flood *f);

/* Whether `msg`, received at `now_ms` (monotonic), may be shown: false
 * when its sender is over the limit, and the message is counted. */
bool flood_admit(struct flood *f, const struct mqc_message *msg, uint64_t now_ms);

/* Senders with folded messages not reported yet: 0 means nothing is
 * left to say (a timer need not run). */
size_t flood_pending(const struct flood *f);

/* How often a timer should call flood_take_due() while flood_pending():
 * a tenth of the period, from 100 ms to 1 s. */
uint32_t flood_check_interval_ms(const struct flood *f);

/* A sender's folded messages since its last report. */
struct flood_report {
	char *nick, *network, *room, *to;
	uint64_t count;
};

struct flood_reports {
	struct flood_report *items;
	size_t n;
};

/* Moves into `out` (emptied first) the reports due at `now_ms`; with
 * `all`, every count not reported yet (at exit).  Free with
 * flood_reports_free(). */
void flood_take_due(struct flood *f, uint64_t now_ms, bool all, struct flood_reports *out);
void flood_reports_free(struct flood_reports *r);

/* "eve: 480 more messages suppressed", with `where` " (NETWORK:ROOM)" or
 * " (private)" after the count, appended to `out`. */
void flood_report_text(const struct flood_report *r, bool where, struct strbuf *out);

#endif
