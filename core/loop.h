/* SPDX-License-Identifier: MIT */
/*
 * The one poll() loop that owns every descriptor.  Its timeout is the next
 * timer's due time, so an idle process sleeps until something happens.
 * Watches and timers removed inside a callback are only marked, and freed
 * once the dispatch that might still reach them is over.
 */
#ifndef MQC_LOOP_H
#define MQC_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_watch;
struct loop_timer;

typedef void (*loop_io_fn)(void *data, int fd, unsigned revents);
typedef void (*loop_timer_fn)(void *data);

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* `events`: POLLIN/POLLOUT bits.  `source`: whose input this descriptor
 * is, paused with loop_pause_source(); NULL for one that is no input. */
struct loop_watch *loop_watch_add(struct loop *loop, int fd, unsigned events,
                                  const void *source, loop_io_fn fn, void *data);
void loop_watch_update(struct loop_watch *w, unsigned events);
void loop_watch_remove(struct loop_watch *w);

struct loop_timer *loop_timer_add(struct loop *loop, uint32_t ms, bool repeat,
                                  loop_timer_fn fn, void *data);
void loop_timer_arm(struct loop_timer *t, uint32_t ms);
/* Due now: runs once this round's descriptor callbacks are done (or, when
 * armed by a late timer, at the start of the next round, with a zero poll
 * timeout). */
void loop_timer_arm_now(struct loop_timer *t);
/* Makes `t` a late timer: in a round it runs after every other timer due,
 * those they arm for now included.  For work that must come last (what
 * the others left undone is then known). */
void loop_timer_run_last(struct loop_timer *t);
/* Whether `t` is due at some time (a one-shot timer is disarmed as it runs). */
bool loop_timer_armed(const struct loop_timer *t);
void loop_timer_remove(struct loop_timer *t);

/* Stop (true) or resume (false) polling for input every watch of `source`. */
void loop_pause_source(struct loop *loop, const void *source, bool paused);

/* Waits for and dispatches one round of events.  Returns -1 on a poll()
 * failure other than EINTR. */
int loop_iterate(struct loop *loop);


#endif
