/* SPDX-License-Identifier: MIT */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "clock.h"
#include "strbuf.h"

struct loop_watch {
	struct loop *loop;
	int fd;
	unsigned events;
	const void *source; /* whose input this is; NULL: not an input */
	bool removed;
	loop_io_fn fn;
	void *data;
};

struct loop_timer {
	struct loop *loop;
	size_t slot; /* its place in loop->timers and loop->dues */
	uint32_t period; /* 0: one-shot */
	bool removed;
	bool last; /* see loop_timer_run_last */
	loop_timer_fn fn;
	void *data;
};

struct loop {
	struct loop_watch **watches;
	size_t n_watches;
	struct loop_timer **timers;
	/* Each timer's due time (monotonic ms; 0: disarmed), beside the
	 * others: every round reads them all two to four times, and a room's
	 * receiver wakes with cold caches, where a due time in each timer's
	 * own allocation cost a miss each. */
	uint64_t *dues;
	size_t n_timers;
	struct pollfd *pfds;
	size_t pfd_cap;
	const void **paused; /* sources not read now */
	size_t n_paused;
	bool garbage; /* something was removed: compact after dispatch */
};

struct loop *loop_new(void)
{
	return xcalloc(1, sizeof(struct loop));
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	for (size_t i = 0; i < loop->n_watches; i++)
		free(loop->watches[i]);
	for (size_t i = 0; i < loop->n_timers; i++)
		free(loop->timers[i]);
	free(loop->watches);
	free(loop->timers);
	free(loop->dues);
	free(loop->pfds);
	free(loop->paused);
	free(loop);
}

struct loop_watch *loop_watch_add(struct loop *loop, int fd, unsigned events,
                                  const void *source, loop_io_fn fn, void *data)
{
	struct loop_watch *w = xcalloc(1, sizeof *w);
	*w = (struct loop_watch){loop, fd, events, source, false, fn, data};
	loop->watches = xrealloc(loop->watches, (loop->n_watches + 1) * sizeof *loop->watches);
	loop->watches[loop->n_watches++] = w;
	return w;
}

void loop_watch_update(struct loop_watch *w, unsigned events)
{
	w->events = events;
}

void loop_watch_remove(struct loop_watch *w)
{
	if (!w)
		return;
	w->removed = true;
	w->loop->garbage = true;
}

struct loop_timer *loop_timer_add(struct loop *loop, uint32_t ms, bool repeat,
                                  loop_timer_fn fn, void *data)
{
	struct loop_timer *t = xcalloc(1, sizeof *t);
	*t = (struct loop_timer){loop, loop->n_timers, repeat ? ms : 0, false, false, fn, data};
	loop->timers = xrealloc(loop->timers, (loop->n_timers + 1) * sizeof *loop->timers);
	loop->dues = xrealloc(loop->dues, (loop->n_timers + 1) * sizeof *loop->dues);
	loop->timers[loop->n_timers++] = t;
	loop_timer_arm(t, ms);
	return t;
}

static uint64_t *due_of(const struct loop_timer *t)
{
	return &t->loop->dues[t->slot];
}

void loop_timer_arm(struct loop_timer *t, uint32_t ms)
{
	*due_of(t) = ms ? monotonic_ms() + ms : 0;
	if (t->period && ms)
		t->period = ms;
}

void loop_timer_arm_now(struct loop_timer *t)
{
	*due_of(t) = 1; /* before any time the clock can tell: due at once (0: disarmed) */
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return *due_of(t) != 0;
}

void loop_timer_run_last(struct loop_timer *t)
{
	t->last = true;
}

void loop_timer_remove(struct loop_timer *t)
{
	if (!t)
		return;
	t->removed = true;
	*due_of(t) = 0;
	t->loop->garbage = true;
}

static bool is_paused(const struct loop *loop, const void *source)
{
	for (size_t i = 0; i < loop->n_paused; i++)
		if (loop->paused[i] == source)
			return true;
	return false;
}

void loop_pause_source(struct loop *loop, const void *source, bool paused)
{
	if (paused == is_paused(loop, source))
		return;
	if (paused) {
		loop->paused = xrealloc(loop->paused, (loop->n_paused + 1) * sizeof *loop->paused);
		loop->paused[loop->n_paused++] = source;
		return;
	}
	for (size_t i = 0; i < loop->n_paused; i++)
		if (loop->paused[i] == source)
			loop->paused[i] = loop->paused[--loop->n_paused];
}

static unsigned effective_events(const struct loop *loop, const struct loop_watch *w)
{
	if (w->source && loop->n_paused && is_paused(loop, w->source))
		return w->events & ~(unsigned)POLLIN;
	return w->events;
}

static int poll_timeout(const struct loop *loop)
{
	uint64_t next = 0;
	for (size_t i = 0; i < loop->n_timers; i++) {
		uint64_t due = loop->dues[i];
		if (due && (!next || due < next))
			next = due;
	}
	if (!next)
		return -1;
	uint64_t now = monotonic_ms();
	return next <= now ? 0 : (int)(next - now < 60000000 ? next - now : 60000000);
}

static void collect_garbage(struct loop *loop)
{
	size_t j = 0;
	for (size_t i = 0; i < loop->n_watches; i++) {
		if (loop->watches[i]->removed)
			free(loop->watches[i]);
		else
			loop->watches[j++] = loop->watches[i];
	}
	loop->n_watches = j;
	j = 0;
	for (size_t i = 0; i < loop->n_timers; i++) {
		struct loop_timer *t = loop->timers[i];
		if (t->removed) {
			free(t);
			continue;
		}
		loop->dues[j] = loop->dues[i];
		t->slot = j;
		loop->timers[j++] = t;
	}
	loop->n_timers = j;
	loop->garbage = false;
}

/* Runs the (late or not) timers due by `now`; true if any ran. */
static bool run_due_pass(struct loop *loop, uint64_t now, bool late)
{
	bool ran = false;
	/* Timers added by a callback land past n and wait for the next round. */
	size_t n = loop->n_timers;
	for (size_t i = 0; i < n; i++) {
		if (!loop->dues[i] || loop->dues[i] > now)
			continue;
		struct loop_timer *t = loop->timers[i];
		if (t->removed || t->last != late)
			continue;
		loop->dues[i] = t->period ? now + t->period : 0;
		t->fn(t->data);
		ran = true;
	}
	return ran;
}

/* Timers armed for now by others run in the same round, wherever they
 * stand in the list (a few passes at most: one re-arming itself for now
 * forever waits for the next round); the late ones after them.  Due times
 * are compared with the round's start, so a repeating timer runs once a
 * round however long its callback takes. */
#define TIMER_PASSES 4

static void run_due_timers(struct loop *loop)
{
	uint64_t now = monotonic_ms();
	for (int pass = 0; pass < TIMER_PASSES && run_due_pass(loop, now, false); pass++)
		;
	run_due_pass(loop, now, true);
}

int loop_iterate(struct loop *loop)
{
	size_t n = loop->n_watches;
	if (n > loop->pfd_cap) {
		loop->pfds = xrealloc(loop->pfds, n * sizeof *loop->pfds);
		loop->pfd_cap = n;
	}
	/* Watches with nothing to wait for are still listed (fd -1 is
	 * ignored by poll) so pfds[i] keeps matching watches[i]. */
	for (size_t i = 0; i < n; i++) {
		const struct loop_watch *w = loop->watches[i];
		unsigned ev = effective_events(loop, w);
		loop->pfds[i] = (struct pollfd){.fd = (ev || !w->source) ? w->fd : -1,
		                                .events = (short)ev};
	}
	int ready = poll(loop->pfds, n, poll_timeout(loop));
	if (ready < 0 && errno != EINTR)
		return -1;
	for (size_t i = 0; ready > 0 && i < n; i++) {
		struct loop_watch *w = loop->watches[i];
		unsigned rev = (unsigned)loop->pfds[i].revents;
		if (!rev || w->removed)
			continue;
		if (rev & POLLNVAL) {
			/* A plugin closed a descriptor it still watches: drop the
			 * watch rather than spin on it. */
			w->removed = true;
			loop->garbage = true;
			continue;
		}
		w->fn(w->data, w->fd, rev);
	}
	run_due_timers(loop);
	if (loop->garbage)
		collect_garbage(loop);
	return 0;
}
