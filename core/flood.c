/* SPDX-License-Identifier: MIT */
#include "flood.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fnv.h"
#include "keytype.h"

/*
 * Senders live in an array that grows to `capacity`; a chained hash index
 * finds them, and two lists thread through them by position: every sender
 * from the most to the least recently heard (the one forgotten first
 * comes last), and those with folded messages not yet reported.
 */

#define NONE UINT32_MAX
#define MAX_COUNT 1000000
#define MAX_PERIOD_MS 86400000

enum { LRU, PENDING, N_LISTS };

struct link {
	uint32_t prev, next;
};

struct sender {
	uint64_t hash;
	char *network, *room, *to, *id, *nick; /* id: sender_id, else the nick */
	uint64_t window_start; /* monotonic ms; the current window's start */
	uint64_t prev, cur;    /* arrivals in the window before, and in this one */
	uint64_t folded;       /* not shown, not reported yet */
	uint64_t since_ms;     /* the first of them */
	bool back_under;       /* a message of it was shown since: report now */
	uint32_t chain;        /* next in its hash bucket */
	struct link links[N_LISTS];
};

struct list {
	uint32_t head, tail;
	size_t len;
};

struct flood {
	struct flood_rate rate;
	struct sender *senders;
	size_t n, allocated, capacity;
	uint32_t *buckets;
	size_t bucket_mask;
	struct list lists[N_LISTS];
	struct flood_reports forgotten; /* counts of senders forgotten, due */
};

bool flood_parse_rate(const char *text, struct flood_rate *out, struct strbuf *err)
{
	*out = (struct flood_rate){0};
	bool on = true;
	if (!*text || (config_parse_bool(text, &on) && !on))
		return true;
	char *slash;
	errno = 0;
	unsigned long long count = strtoull(text, &slash, 10);
	bool ok = isdigit((unsigned char)*text) && *slash == '/' && errno == 0 && count >= 1 &&
	          count <= MAX_COUNT;
	if (ok) {
		const struct mqc_key period = {.name = "period", .type = MQC_KEY_NUMBER,
		                               .unit = MQC_UNIT_MS, .min = 1, .max = MAX_PERIOD_MS};
		struct strbuf text_period = STRBUF_INIT, ignored = STRBUF_INIT;
		strbuf_appends(&text_period, slash + 1);
		if (text_period.len && strspn(text_period.data, "0123456789") == text_period.len)
			strbuf_appends(&text_period, "s"); /* a bare number is seconds */
		int64_t ms = 0;
		ok = keytype_parse(&period, strbuf_str(&text_period), &ms, &ignored);
		*out = (struct flood_rate){(uint32_t)count, (uint32_t)ms};
		strbuf_free(&text_period);
		strbuf_free(&ignored);
	}
	if (!ok) {
		*out = (struct flood_rate){0};
		strbuf_printf(err, "'%s' is not off or MESSAGES/PERIOD such as 20/10s (messages "
		              "from 1 to %d, a period from 1ms to 1d; units: ms s m h d)", text,
		              MAX_COUNT);
	}
	return ok;
}

struct flood *flood_new(const struct flood_rate *rate, size_t capacity)
{
	struct flood *f = xcalloc(1, sizeof *f);
	f->rate = *rate;
	f->capacity = capacity ? capacity : FLOOD_DEFAULT_SENDERS;
	size_t buckets = 1;
	while (buckets < 2 * f->capacity)
		buckets <<= 1;
	f->buckets = xmalloc(buckets * sizeof *f->buckets);
	memset(f->buckets, 0xff, buckets * sizeof *f->buckets);
	f->bucket_mask = buckets - 1;
	for (size_t l = 0; l < N_LISTS; l++)
		f->lists[l] = (struct list){NONE, NONE, 0};
	return f;
}

static void sender_free(struct sender *s)
{
	free(s->network);
	free(s->room);
	free(s->to);
	free(s->id);
	free(s->nick);
}

void flood_free(struct flood *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		sender_free(&f->senders[i]);
	free(f->senders);
	free(f->buckets);
	flood_reports_free(&f->forgotten);
	free(f);
}

/* --- the two lists ------------------------------------------------------- */

static void list_unlink(struct flood *f, int l, uint32_t i)
{
	struct link *k = &f->senders[i].links[l];
	struct list *list = &f->lists[l];
	if (k->prev != NONE)
		f->senders[k->prev].links[l].next = k->next;
	else
		list->head = k->next;
	if (k->next != NONE)
		f->senders[k->next].links[l].prev = k->prev;
	else
		list->tail = k->prev;
	*k = (struct link){NONE, NONE};
	list->len--;
}

static void list_push_front(struct flood *f, int l, uint32_t i)
{
	struct list *list = &f->lists[l];
	f->senders[i].links[l] = (struct link){NONE, list->head};
	if (list->head != NONE)
		f->senders[list->head].links[l].prev = i;
	else
		list->tail = i;
	list->head = i;
	list->len++;
}

/* --- finding a sender ---------------------------------------------------- */

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* Who sent `msg`: its sender_id when it has one, else its nick. */
static const char *sender_id_of(const struct mqc_message *msg)
{
	return *or_empty(msg->sender_id) ? msg->sender_id : or_empty(msg->nick);
}

static uint64_t sender_hash(const struct mqc_message *msg)
{
	const char *parts[] = {msg->network, msg->room, msg->to, sender_id_of(msg)};
	uint64_t h = FNV1A64_INIT;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		h = fnv1a64(h, or_empty(parts[i]), strlen(or_empty(parts[i])) + 1);
	return h;
}

static bool sender_is(const struct sender *s, uint64_t hash, const struct mqc_message *msg)
{
	return s->hash == hash && strcmp(s->network, or_empty(msg->network)) == 0 &&
	       strcmp(s->room, or_empty(msg->room)) == 0 && strcmp(s->to, or_empty(msg->to)) == 0 &&
	       strcmp(s->id, sender_id_of(msg)) == 0;
}

static uint32_t *bucket_of(struct flood *f, uint64_t hash)
{
	return &f->buckets[(size_t)(hash ^ hash >> 32) & f->bucket_mask];
}

static struct flood_report report_of(const struct sender *s)
{
	return (struct flood_report){xstrdup(s->nick), xstrdup(s->network), xstrdup(s->room),
	                             xstrdup(s->to), s->folded};
}

static void reports_add(struct flood_reports *r, struct flood_report item)
{
	r->items = xrealloc(r->items, (r->n + 1) * sizeof *r->items);
	r->items[r->n++] = item;
}

/* Takes the least recently heard sender out of the table (its count kept
 * for the next report) and returns its free place. */
static uint32_t forget_oldest(struct flood *f)
{
	uint32_t i = f->lists[LRU].tail;
	struct sender *s = &f->senders[i];
	if (s->folded) {
		reports_add(&f->forgotten, report_of(s));
		list_unlink(f, PENDING, i);
	}
	list_unlink(f, LRU, i);
	uint32_t *p = bucket_of(f, s->hash);
	while (*p != i)
		p = &f->senders[*p].chain;
	*p = s->chain;
	sender_free(s);
	return i;
}

static uint32_t add_sender(struct flood *f, uint64_t hash, const struct mqc_message *msg,
                           uint64_t now_ms)
{
	uint32_t i;
	if (f->n < f->capacity) {
		if (f->n == f->allocated) {
			f->allocated = f->allocated ? 2 * f->allocated : 16;
			f->senders = xrealloc(f->senders, f->allocated * sizeof *f->senders);
		}
		i = (uint32_t)f->n++;
	} else {
		i = forget_oldest(f);
	}
	struct sender *s = &f->senders[i];
	*s = (struct sender){
		.hash = hash, .network = xstrdup(or_empty(msg->network)),
		.room = xstrdup(or_empty(msg->room)), .to = xstrdup(or_empty(msg->to)),
		.id = xstrdup(sender_id_of(msg)), .nick = xstrdup(or_empty(msg->nick)),
		.window_start = now_ms, .links = {{NONE, NONE}, {NONE, NONE}},
	};
	uint32_t *b = bucket_of(f, hash);
	s->chain = *b;
	*b = i;
	list_push_front(f, LRU, i);
	return i;
}

/* The sender of `msg`, added if new, made the most recently heard. */
static struct sender *find_sender(struct flood *f, const struct mqc_message *msg,
                                  uint64_t now_ms)
{
	uint64_t hash = sender_hash(msg);
	uint32_t i = *bucket_of(f, hash);
	while (i != NONE && !sender_is(&f->senders[i], hash, msg))
		i = f->senders[i].chain;
	if (i == NONE) {
		i = add_sender(f, hash, msg, now_ms); /* may move the array */
	} else {
		list_unlink(f, LRU, i);
		list_push_front(f, LRU, i);
	}
	return &f->senders[i];
}

/* --- the window ---------------------------------------------------------- */

/* Moves the sender's windows on to the one `now_ms` falls in. */
static void roll(const struct flood *f, struct sender *s, uint64_t now_ms)
{
	uint64_t period = f->rate.period_ms;
	if (now_ms < s->window_start + period)
		return;
	uint64_t windows = (now_ms - s->window_start) / period;
	s->prev = windows == 1 ? s->cur : 0;
	s->cur = 0;
	s->window_start += windows * period;
}

/* Arrivals within the period up to `now_ms`: this window's, and the last
 * one's weighted by the part the sliding window still covers. */
static uint64_t arrivals(const struct flood *f, struct sender *s, uint64_t now_ms)
{
	roll(f, s, now_ms);
	uint64_t period = f->rate.period_ms;
	uint64_t covered = period - (now_ms - s->window_start);
	return s->cur + s->prev * covered / period;
}

bool flood_admit(struct flood *f, const struct mqc_message *msg, uint64_t now_ms)
{
	struct sender *s = find_sender(f, msg, now_ms);
	bool under = arrivals(f, s, now_ms) < f->rate.count;
	if (s->cur < UINT32_MAX) /* bounded, so that prev * covered cannot overflow */
		s->cur++;
	if (under) {
		s->back_under = s->folded > 0;
		return true;
	}
	if (!s->folded) {
		s->since_ms = now_ms;
		list_push_front(f, PENDING, (uint32_t)(s - f->senders));
	}
	s->folded++;
	return false;
}

size_t flood_pending(const struct flood *f)
{
	return f->lists[PENDING].len + f->forgotten.n;
}

uint32_t flood_check_interval_ms(const struct flood *f)
{
	uint32_t ms = f->rate.period_ms / 10;
	return ms < 100 ? 100 : ms > 1000 ? 1000 : ms;
}

static bool report_due(const struct flood *f, struct sender *s, uint64_t now_ms)
{
	return s->back_under || now_ms >= s->since_ms + f->rate.period_ms ||
	       arrivals(f, s, now_ms) < f->rate.count;
}

void flood_take_due(struct flood *f, uint64_t now_ms, bool all, struct flood_reports *out)
{
	*out = f->forgotten;
	f->forgotten = (struct flood_reports){0};
	/* Oldest first: the order they began to be folded in. */
	for (uint32_t i = f->lists[PENDING].tail, before; i != NONE; i = before) {
		struct sender *s = &f->senders[i];
		before = s->links[PENDING].prev;
		if (!all && !report_due(f, s, now_ms))
			continue;
		reports_add(out, report_of(s));
		s->folded = 0;
		s->back_under = false;
		list_unlink(f, PENDING, i);
	}
}

void flood_reports_free(struct flood_reports *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].nick);
		free(r->items[i].network);
		free(r->items[i].room);
		free(r->items[i].to);
	}
	free(r->items);
	*r = (struct flood_reports){0};
}

void flood_report_text(const struct flood_report *r, bool where, struct strbuf *out)
{
	strbuf_printf(out, "%s: %" PRIu64 " more message%s suppressed", r->nick, r->count,
	              r->count == 1 ? "" : "s");
	if (where && *r->to)
		strbuf_appends(out, " (private)");
	else if (where)
		strbuf_printf(out, " (%s:%s)", r->network, r->room);
}
