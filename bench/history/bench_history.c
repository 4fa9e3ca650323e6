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

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR [MESSAGES [BATCH]]\n", argv[0]);
		return 2;
	}
	long total = argc > 2 ? atol(argv[2]) : 1000000;
	long batch = argc > 3 ? atol(argv[3]) : 256;
	if (total < 100 || batch < 1) {
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
	history_load_ids(h); /* as the core does at start */
	make_vocabulary();

	/* --- insert, as the core does: add per message, flush per batch -- */
	double add_ms = 0, flush_ms = 0, worst_flush = 0;
	size_t n_flushes = 0;
	double *flush_times = malloc((size_t)(total / batch + 1) * sizeof *flush_times);
	if (!flush_times)
		die("out of memory", NULL);
	long slow_flushes = 0; /* over SLOW_FLUSH_MS: a visible stall in the loop */
	for (long i = 0; i < total; i++) {
		add_message(h, i, &add_ms);
		if ((i + 1) % batch == 0 || i + 1 == total) {
			double f = now_ms();
			if (history_flush(h) < 0)
				die("flush", h);
			double took = now_ms() - f;
			flush_times[n_flushes++] = took;
			flush_ms += took;
			if (took > worst_flush)
				worst_flush = took;
			slow_flushes += took > SLOW_FLUSH_MS;
		}
	}
	double insert_rate = (double)total / ((add_ms + flush_ms) / 1e3);

	/* --- replay of the last 100 ---------------------------------------- */
	double replay[REPLAY_RUNS];
	for (size_t r = 0; r < REPLAY_RUNS; r++) {
		delivered = 0;
		double a = now_ms();
		if (history_last(h, 100, count_message, NULL) != 100)
			die("replay", h);
		replay[r] = now_ms() - a;
	}

	/* --- full-text search ---------------------------------------------- */
	char common[64], middling[64], rare[64], pair[128], absent[] = "zzzunknownzzz";
	snprintf(common, sizeof common, "%s", words[0]);
	snprintf(middling, sizeof middling, "%s", words[VOCABULARY / 10]);
	snprintf(rare, sizeof rare, "%s", words[VOCABULARY - 3]);
	snprintf(pair, sizeof pair, "%s %s", words[3], words[VOCABULARY / 4]);
	const char *queries[] = {common, middling, rare, pair, absent};
	const char *labels[] = {"common word", "middling word", "rare word", "two words",
	                        "no match"};
	size_t n_queries = sizeof queries / sizeof queries[0];
	double per_query[5], all[5 * SEARCH_RUNS];
	size_t found[5];
	for (size_t q = 0; q < n_queries; q++) {
		double runs[SEARCH_RUNS];
		for (size_t r = 0; r < SEARCH_RUNS; r++) {
			delivered = 0;
			double a = now_ms();
			int n = history_search(h, queries[q], SEARCH_LIMIT, count_message, NULL);
			runs[r] = now_ms() - a;
			if (n < 0)
				die("search", h);
			found[q] = (size_t)n;
			all[q * SEARCH_RUNS + r] = runs[r];
		}
		per_query[q] = median(runs, SEARCH_RUNS);
	}

	/* --- retention at start-up: the oldest 1 % go ----------------------- */
	double prune_start = now_ms();
	int64_t pruned = history_prune(h, total - total / 100, 0, t0 + total);
	double prune_ms = now_ms() - prune_start;
	if (pruned != total / 100)
		die("prune", h);

	/* --- what `mqchat --search` does: open, search once, close -------- */
	if (history_close(h) < 0)
		die("close", NULL);
	double fresh_start = now_ms();
	h = history_open(path, &err);
	if (!h || history_search(h, middling, SEARCH_LIMIT, count_message, NULL) < 0)
		die("reopen and search", h);
	double fresh_search = now_ms() - fresh_start;

	/* --- stored-message lookup after a restart: the first loads the
	 * filter of every stored id key, the others are a filter hit and an
	 * index lookup ------------------------------------------------------ */
	double lookups[REPLAY_RUNS], first_lookup = 0;
	for (size_t r = 0; r < REPLAY_RUNS; r++) {
		long back = (long)(r * 79) % HISTORY_KEYS_RECALLED;
		const char *key = recent_keys[(total - 1 - back) % HISTORY_KEYS_RECALLED];
		double a = now_ms();
		if (!history_has_message(h, key))
			die("has_message", h);
		lookups[r] = now_ms() - a;
		if (r == 0)
			first_lookup = lookups[0];
	}

	/* --- a flood: stored without the full-text index (the core's flushes
	 * while a whole batch waits), which catches up afterwards in the
	 * slices an idle loop writes -------------------------------------- */
	long flood = total / 10;
	double flood_add_ms = 0, flood_flush_ms = 0;
	for (long i = total; i < total + flood; i++) {
		add_message(h, i, &flood_add_ms);
		if ((i + 1 - total) % batch == 0 || i + 1 == total + flood) {
			double f = now_ms();
			if (history_flush_some(h, (size_t)batch, true) < 0)
				die("flush during a flood", h);
			flood_flush_ms += now_ms() - f;
		}
	}
	double catch_up_start = now_ms();
	size_t slices = 0;
	for (; history_has_idle_work(h); slices++)
		if (history_flush_some(h, 0, false) < 0)
			die("indexing after a flood", h);
	double catch_up_ms = now_ms() - catch_up_start;

	printf("| measure (%ld messages, flush every %ld) | result | target |\n", total, batch);
	printf("|---|---|---|\n");
	printf("| insert rate (add + batched flush) | %.0f messages/s | |\n", insert_rate);
	printf("| history_add alone | %.2f µs/message | |\n", add_ms * 1e3 / (double)total);
	double mean_flush = flush_ms / (double)n_flushes;
	qsort(flush_times, n_flushes, sizeof *flush_times, compare_double);
	printf("| flush of %ld messages (mean / p99 / worst) | %.2f ms / %.2f ms / %.2f ms | |\n",
	       batch, mean_flush, flush_times[n_flushes * 99 / 100], worst_flush);
	printf("| flushes over %d ms | %ld of %ld | |\n", SLOW_FLUSH_MS, slow_flushes,
	       (total + batch - 1) / batch);
	printf("| replay of the last 100 (median of %d) | %.3f ms | ≤ 5 ms |\n", REPLAY_RUNS,
	       median(replay, REPLAY_RUNS));
	printf("| stored-message lookup after a restart: first (loads the filter) / median of %d "
	       "| %.3f ms / %.2f µs | |\n",
	       REPLAY_RUNS, first_lookup, median(lookups, REPLAY_RUNS) * 1e3);
	printf("| search, newest %d matches (median of all queries) | %.3f ms | ≤ 50 ms |\n",
	       SEARCH_LIMIT, median(all, n_queries * SEARCH_RUNS));
	printf("| retention: delete the oldest %ld | %.1f ms | |\n", total / 100, prune_ms);
	printf("| open + first search (as `mqchat --search`) | %.3f ms | |\n", fresh_search);
	for (size_t q = 0; q < n_queries; q++)
		printf("| search: %s `%s` (%zu shown; median of %d) | %.3f ms | ≤ 50 ms |\n",
		       labels[q], queries[q], found[q], SEARCH_RUNS, per_query[q]);
	printf("| then a flood of %ld more: insert rate, index deferred | %.0f messages/s | |\n",
	       flood, (double)flood / ((flood_add_ms + flood_flush_ms) / 1e3));
	printf("| indexing the flood afterwards (%zu idle slices of up to %d) | %.0f ms, "
	       "%.0f messages/s | |\n",
	       slices, HISTORY_INDEX_SLICE, catch_up_ms, (double)flood / (catch_up_ms / 1e3));

	free(flush_times);
	for (size_t i = 0; i < HISTORY_KEYS_RECALLED; i++)
		free(recent_keys[i]);
	strbuf_free(&err);
	if (history_close(h) < 0)
		return 1;
	for (size_t i = 0; i < VOCABULARY; i++)
		free(words[i]);
	return 0;
}
