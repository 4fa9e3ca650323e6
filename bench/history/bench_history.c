/* SPDX-License-Identifier: MIT */
/*
 * History store benchmark: fills a fresh database the way the core does
 * (history_add per message, one history_flush per batch), then measures
 * the replay of the last 100 messages and full-text searches over it.
 *
 * Usage: bench_history DIR [MESSAGES [BATCH]]
 *   DIR       an existing directory for the database (removed by `run`)
 *   MESSAGES  how many to store (default 1000000)
 *   BATCH     messages per flush (default 256: the slice the core writes,
 *             FLUSH_BATCH in core/archive.c)
 *
 * Prints a Markdown table.  Deterministic: the same messages every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup.h"
#include "history.h"

#define REPLAY_RUNS 51
#define SEARCH_RUNS 15
#define SEARCH_LIMIT 20
#define VOCABULARY 20000
#define SLOW_FLUSH_MS 50

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void)
{
	/* xorshift64*: fast, deterministic, good enough to pick words */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static double uniform(void)
{
	return (double)(rng() >> 11) / (double)(1ull << 53);
}

static char *words[VOCABULARY];

/* Pronounceable made-up words, so the index sees realistic token lengths;
 * word i is distinct for every i. */
static void make_vocabulary(void)
{
	static const char *syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo",
	                                  "bre", "cha", "dul", "fen", "gor", "hia", "jun",
	                                  "pla", "que", "tro", "xim", "zel"};
	for (size_t i = 0; i < VOCABULARY; i++) {
		char w[32] = "";
		size_t n = i;
		do {
			strcat(w, syllables[n % 20]);
			n /= 20;
		} while (n);
		words[i] = strdup(w);
	}
}

/* Skewed like real speech: a few words are everywhere, most are rare. */
static size_t pick_word(void)
{
	double u = uniform();
	return (size_t)(u * u * u * VOCABULARY);
}

static void make_text(char *text, size_t size)
{
	size_t n = 4 + rng() % 11, len = 0;
	text[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *w = words[pick_word()];
		size_t wl = strlen(w);
		if (len + wl + 2 >= size)
			break;
		if (i)
			text[len++] = ' ';
		memcpy(text + len, w, wl + 1);
		len += wl;
	}
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, compare_double);
	return v[n / 2];
}

static size_t delivered;
static void count_message(void *data, const struct mqc_message *msg)
{
	(void)data;
	delivered += msg->text[0] != '\0';
}

static const char *nicks[] = {"Ana", "Bo", "Cy", "Dee", "Eva", "Fer", "Gus", "Hal"};
static const int64_t t0 = INT64_C(1732570000000);

/* The keys of the newest messages added, for the lookups after a
 * restart. */
static char *recent_keys[HISTORY_KEYS_RECALLED];

/* Message number `i`, buffered with history_add under its key, as the core
 * stores a json message (the time history_add takes is added to *add_ms). */
static void add_message(struct history *h, long i, double *add_ms)
{
	char text[256], id[32];
	make_text(text, sizeof text);
	snprintf(id, sizeof id, "%016lx", (unsigned long)i * 2654435761ul);
	struct mqc_message msg = {.type = MQC_MSG_MESSAGE, .id = id,
	                          .nick = nicks[i % 8], .text = text, .topic = "room",
	                          .sender_id = "0123456789abcdef", .time_ms = t0 + i};
	struct dedup_identity ident;
	dedup_identify(&ident, &msg, msg.time_ms, NULL, NULL, 0);
	double a = now_ms();
	history_add(h, &msg, ident.key.data, t0 + i);
	*add_ms += now_ms() - a;
	char **kept = &recent_keys[i % HISTORY_KEYS_RECALLED];
	free(*kept);
	*kept = strbuf_take(&ident.key);
	dedup_identity_free(&ident);
}

static void die(const char *what, struct history *h)
{
	fprintf(stderr, "bench_history: %s: %s\n", what, h ? history_error(h) : "");
	exit(1);
}

/* What each phase measured, printed at the end. */
struct results {
	long total, batch;
	double insert_rate, add_us, mean_flush, p99_flush, worst_flush;
	long slow_flushes; /* over SLOW_FLUSH_MS: a visible stall in the loop */
	double replay_ms;
	double search_ms; /* the median over every query's runs */
	double per_query[5];
	size_t found[5];
	double prune_ms, fresh_search_ms;
	double first_lookup_ms, lookup_us;
	long flood;
	double flood_rate, catch_up_ms;
	size_t slices;
};

/* The searches measured: a common, a middling and a rare word, two words,
 * and one that is in no message. */
static struct {
	const char *label;
	char text[128];
} queries[5] = {{"common word", ""}, {"middling word", ""}, {"rare word", ""},
                {"two words", ""}, {"no match", "zzzunknownzzz"}};
#define N_QUERIES (sizeof queries / sizeof queries[0])

static void make_queries(void)
{
	snprintf(queries[0].text, sizeof queries[0].text, "%s", words[0]);
	snprintf(queries[1].text, sizeof queries[1].text, "%s", words[VOCABULARY / 10]);
	snprintf(queries[2].text, sizeof queries[2].text, "%s", words[VOCABULARY - 3]);
	snprintf(queries[3].text, sizeof queries[3].text, "%s %s", words[3],
	         words[VOCABULARY / 4]);
}

/* Stores `total` messages as the core does: add per message, flush per
 * batch. */
static void measure_inserts(struct history *h, struct results *res)
{
	double add_ms = 0, flush_ms = 0;
	size_t n_flushes = 0;
	double *flush_times = malloc((size_t)(res->total / res->batch + 1) * sizeof *flush_times);
	if (!flush_times)
		die("out of memory", NULL);
	for (long i = 0; i < res->total; i++) {
		add_message(h, i, &add_ms);
		if ((i + 1) % res->batch == 0 || i + 1 == res->total) {
			double f = now_ms();
			if (history_flush(h) < 0)
				die("flush", h);
			double took = now_ms() - f;
			flush_times[n_flushes++] = took;
			flush_ms += took;
			if (took > res->worst_flush)
				res->worst_flush = took;
			res->slow_flushes += took > SLOW_FLUSH_MS;
		}
	}
	res->insert_rate = (double)res->total / ((add_ms + flush_ms) / 1e3);
	res->add_us = add_ms * 1e3 / (double)res->total;
	res->mean_flush = flush_ms / (double)n_flushes;
	qsort(flush_times, n_flushes, sizeof *flush_times, compare_double);
	res->p99_flush = flush_times[n_flushes * 99 / 100];
	free(flush_times);
}

/* The replay of the last 100, REPLAY_RUNS times. */
static void measure_replay(struct history *h, struct results *res)
{
	double replay[REPLAY_RUNS];
	for (size_t r = 0; r < REPLAY_RUNS; r++) {
		delivered = 0;
		double a = now_ms();
		if (history_last(h, 100, count_message, NULL) != 100)
			die("replay", h);
		replay[r] = now_ms() - a;
	}
	res->replay_ms = median(replay, REPLAY_RUNS);
}

/* Each query, SEARCH_RUNS times. */
static void measure_searches(struct history *h, struct results *res)
{
	double all[N_QUERIES * SEARCH_RUNS];
	for (size_t q = 0; q < N_QUERIES; q++) {
		double runs[SEARCH_RUNS];
		for (size_t r = 0; r < SEARCH_RUNS; r++) {
			delivered = 0;
			double a = now_ms();
			int n = history_search(h, queries[q].text, SEARCH_LIMIT, count_message, NULL);
			runs[r] = now_ms() - a;
			if (n < 0)
				die("search", h);
			res->found[q] = (size_t)n;
			all[q * SEARCH_RUNS + r] = runs[r];
		}
		res->per_query[q] = median(runs, SEARCH_RUNS);
	}
	res->search_ms = median(all, N_QUERIES * SEARCH_RUNS);
}

/* Retention at start-up: the oldest 1 % go. */
static void measure_prune(struct history *h, struct results *res)
{
	double start = now_ms();
	int64_t pruned = history_prune(h, res->total - res->total / 100, 0, t0 + res->total);
	res->prune_ms = now_ms() - start;
	if (pruned != res->total / 100)
		die("prune", h);
}

/* What `mqchat --search` does: open, search once (closing `h` first); the
 * store opened again. */
static struct history *measure_fresh_search(struct history *h, const char *path,
                                            struct results *res)
{
	if (history_close(h) < 0)
		die("close", NULL);
	struct strbuf err = STRBUF_INIT;
	double start = now_ms();
	h = history_open(path, &err);
	if (!h || history_search(h, queries[1].text, SEARCH_LIMIT, count_message, NULL) < 0)
		die("reopen and search", h);
	res->fresh_search_ms = now_ms() - start;
	strbuf_free(&err);
	return h;
}

/* Stored-message lookups after a restart: the first loads the filter of
 * every stored id key, the others are a filter hit and an index lookup. */
static void measure_lookups(struct history *h, struct results *res)
{
	double lookups[REPLAY_RUNS];
	/* Of the newest keys kept, those the prune left (all of them unless
	 * MESSAGES is small). */
	long kept = res->total - res->total / 100;
	long recalled = kept < HISTORY_KEYS_RECALLED ? kept : HISTORY_KEYS_RECALLED;
	for (size_t r = 0; r < REPLAY_RUNS; r++) {
		long back = (long)(r * 79) % recalled;
		const char *key = recent_keys[(res->total - 1 - back) % HISTORY_KEYS_RECALLED];
		double a = now_ms();
		if (!history_has_message(h, key))
			die("has_message", h);
		lookups[r] = now_ms() - a;
	}
	res->first_lookup_ms = lookups[0];
	res->lookup_us = median(lookups, REPLAY_RUNS) * 1e3;
}

/* A flood of a tenth more: stored without the full-text index (the core's
 * flushes while a whole batch waits), which catches up afterwards in the
 * slices an idle loop writes. */
static void measure_flood(struct history *h, struct results *res)
{
	long total = res->total, flood = total / 10;
	double add_ms = 0, flush_ms = 0;
	for (long i = total; i < total + flood; i++) {
		add_message(h, i, &add_ms);
		if ((i + 1 - total) % res->batch == 0 || i + 1 == total + flood) {
			double f = now_ms();
			if (history_flush_some(h, (size_t)res->batch, true) < 0)
				die("flush during a flood", h);
			flush_ms += now_ms() - f;
		}
	}
	double start = now_ms();
	size_t slices = 0;
	for (; history_has_idle_work(h); slices++)
		if (history_flush_some(h, 0, false) < 0)
			die("indexing after a flood", h);
	res->catch_up_ms = now_ms() - start;
	res->flood = flood;
	res->flood_rate = (double)flood / ((add_ms + flush_ms) / 1e3);
	res->slices = slices;
}

static void print_results(const struct results *res)
{
	long total = res->total, batch = res->batch;
	printf("| measure (%ld messages, flush every %ld) | result | target |\n", total, batch);
	printf("|---|---|---|\n");
	printf("| insert rate (add + batched flush) | %.0f messages/s | |\n", res->insert_rate);
	printf("| history_add alone | %.2f µs/message | |\n", res->add_us);
	printf("| flush of %ld messages (mean / p99 / worst) | %.2f ms / %.2f ms / %.2f ms | |\n",
	       batch, res->mean_flush, res->p99_flush, res->worst_flush);
	printf("| flushes over %d ms | %ld of %ld | |\n", SLOW_FLUSH_MS, res->slow_flushes,
	       (total + batch - 1) / batch);
	printf("| replay of the last 100 (median of %d) | %.3f ms | ≤ 5 ms |\n", REPLAY_RUNS,
	       res->replay_ms);
	printf("| stored-message lookup after a restart: first (loads the filter) / median of %d "
	       "| %.3f ms / %.2f µs | |\n",
	       REPLAY_RUNS, res->first_lookup_ms, res->lookup_us);
	printf("| search, newest %d matches (median of all queries) | %.3f ms | ≤ 50 ms |\n",
	       SEARCH_LIMIT, res->search_ms);
	printf("| retention: delete the oldest %ld | %.1f ms | |\n", total / 100, res->prune_ms);
	printf("| open + first search (as `mqchat --search`) | %.3f ms | |\n",
	       res->fresh_search_ms);
	for (size_t q = 0; q < N_QUERIES; q++)
		printf("| search: %s `%s` (%zu shown; median of %d) | %.3f ms | ≤ 50 ms |\n",
		       queries[q].label, queries[q].text, res->found[q], SEARCH_RUNS,
		       res->per_query[q]);
	printf("| then a flood of %ld more: insert rate, index deferred | %.0f messages/s | |\n",
	       res->flood, res->flood_rate);
	printf("| indexing the flood afterwards (%zu idle slices of up to %d) | %.0f ms, "
	       "%.0f messages/s | |\n",
	       res->slices, HISTORY_INDEX_SLICE, res->catch_up_ms,
	       (double)res->flood / (res->catch_up_ms / 1e3));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [MESSAGES [BATCH]]\n", argv[0]);
		return 2;
	}
	struct results res = {.total = argc > 2 ? atol(argv[2]) : 1000000,
	                      .batch = argc > 3 ? atol(argv[3]) : 256};
	if (res.total < 100 || res.batch < 1) {
		fprintf(stderr, "bench_history: MESSAGES >= 100 and BATCH >= 1\n");
		return 2;
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/history.db", argv[1]);
	struct strbuf err = STRBUF_INIT;
	struct history *h = history_open(path, &err);
	if (!h) {
		fprintf(stderr, "bench_history: %s\n", strbuf_str(&err));
		return 1;
	}
	strbuf_free(&err);
	history_load_ids(h); /* as the core does at start */
	make_vocabulary();
	make_queries();

	measure_inserts(h, &res);
	measure_replay(h, &res);
	measure_searches(h, &res);
	measure_prune(h, &res);
	h = measure_fresh_search(h, path, &res);
	measure_lookups(h, &res);
	measure_flood(h, &res);
	print_results(&res);

	for (size_t i = 0; i < HISTORY_KEYS_RECALLED; i++)
		free(recent_keys[i]);
	if (history_close(h) < 0)
		return 1;
	for (size_t i = 0; i < VOCABULARY; i++)
		free(words[i]);
	return 0;
}
