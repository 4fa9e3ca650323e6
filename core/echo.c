/* SPDX-License-Identifier: MIT */
#include "echo.h"

bool echo_expected(const struct echo_filter *f, uint64_t now_ms)
{
	return now_ms < f->until_ms;
}

void echo_note(struct echo_filter *f, uint64_t digest, uint64_t now_ms)
{
	uint64_t expires = now_ms + ECHO_WINDOW_MS;
	f->recent[f->next].digest = digest;
	f->recent[f->next].expires_ms = expires;
	f->next = (f->next + 1) % ECHO_FILTER_SIZE;
	if (f->used < ECHO_FILTER_SIZE)
		f->used++;
	f->until_ms = expires;
}

bool echo_take(struct echo_filter *f, uint64_t digest, uint64_t now_ms)
{
	if (!echo_expected(f, now_ms))
		return false;
	for (size_t i = 0; i < f->used; i++) {
		if (f->recent[i].digest == digest && f->recent[i].expires_ms > now_ms) {
			f->recent[i].expires_ms = 0;
			return true;
		}
	}
	return false;
}
