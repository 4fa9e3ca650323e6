/* SPDX-License-Identifier: MIT */
#include "echo.h"

bool echo_expected(const struct echo_filter *f, size_t len, uint64_t now_ms)
{
	return now_ms < f->until_ms && f->lengths[len & 0xFF];
}

/* Forgets entry i, counted in lengths while not taken. */
static void forget(struct echo_filter *f, size_t i)
{
	if (f->recent[i].expires_ms)
		f->lengths[f->recent[i].len & 0xFF]--;
	f->recent[i].expires_ms = 0;
}

void echo_note(struct echo_filter *f, uint64_t digest, size_t len, uint64_t now_ms)
{
	uint64_t expires = now_ms + ECHO_WINDOW_MS;
	if (f->used == ECHO_FILTER_SIZE)
		forget(f, f->next);
	f->recent[f->next].digest = digest;
	f->recent[f->next].expires_ms = expires;
	f->recent[f->next].len = len;
	f->lengths[len & 0xFF]++;
	f->next = (f->next + 1) % ECHO_FILTER_SIZE;
	if (f->used < ECHO_FILTER_SIZE)
		f->used++;
	f->until_ms = expires;
}

bool echo_take(struct echo_filter *f, uint64_t digest, size_t len, uint64_t now_ms)
{
	if (!echo_expected(f, len, now_ms))
		return false;
	for (size_t i = 0; i < f->used; i++) {
		if (f->recent[i].digest == digest && f->recent[i].len == len &&
		    f->recent[i].expires_ms > now_ms) {
			forget(f, i);
			return true;
		}
	}
	return false;
}
