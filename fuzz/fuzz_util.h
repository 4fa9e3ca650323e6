/* SPDX-License-Identifier: MIT */
/*
 * What every fuzz target shares: an exact-size copy of the input (so that
 * AddressSanitizer catches a read one byte past it), a check that aborts
 * with a readable reason (libFuzzer then saves the input), and an
 * independent judge of "safe to show" text, written apart from the
 * sanitiser so that one bug cannot hide in both.
 */
#ifndef MQC_FUZZ_UTIL_H
#define MQC_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy of exactly `size` bytes, no terminator; free() it. */
char *fuzz_copy(const uint8_t *data, size_t size);

/* Aborts, naming `what`, unless `ok`. */
void fuzz_require(bool ok, const char *what);

/* The length of the UTF-8 sequence at `s` (len > 0) with its code point in
 * *cp, or 0 with the reason in *why. */
size_t fuzz_utf8_sequence(const char *s, size_t len, unsigned *cp, const char **why);

/*
 * NULL when `len` bytes at `s` are what a frontend may receive: valid
 * UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), no C0 or C1 control character, no DEL, no bidi override or
 * isolate, no line or paragraph separator.  Otherwise a reason.
 */
const char *fuzz_unsafe_text(const char *s, size_t len);

/* Aborts, printing the text and `what`, unless fuzz_unsafe_text() is NULL. */
void fuzz_require_safe(const char *s, size_t len, const char *what);

/* Splits the input at NUL bytes: the next piece of *data (NUL-terminated
 * copy, free() it), or "" once the input is used up. */
char *fuzz_take_string(const uint8_t **data, size_t *size);

#endif
