/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated byte buffer. */
#ifndef MQC_STRBUF_H
#define MQC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *data; /* NUL-terminated once anything was appended; else NULL */
	size_t len;
	size_t cap;
};

#define STRBUF_INIT {NULL, 0, 0}

void strbuf_append(struct strbuf *sb, const void *bytes, size_t len);
void strbuf_appends(struct strbuf *sb, const char *str);
void strbuf_appendc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* The contents as a C string ("" when empty); valid until the next append. */
const char *strbuf_str(const struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
/* For a buffer used again line after line: frees it when a big one grew
 * it past STRBUF_KEPT_BYTES, so that one big line does not stay in
 * memory until the next. */
#define STRBUF_KEPT_BYTES 4096
void strbuf_free_if_big(struct strbuf *sb);
/* Hand the buffer over to the caller (who frees it); sb becomes empty. */
char *strbuf_take(struct strbuf *sb);

/* malloc and friends that abort on exhaustion: a chat client has no better
 * answer to an out-of-memory machine than a clear message and an exit. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* One allocation: `head` bytes left to the caller, then copies of the `n`
 * strings of `from` (NULL: "") back to back, `copies[i]` pointing at each.
 * Freed whole. */
void *xpack_strings(size_t head, size_t n, const char *const from[], const char *copies[]);

#endif
