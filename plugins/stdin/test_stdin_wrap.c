/* SPDX-License-Identifier: MIT */
/* Unit tests of the terminal's own wrapping (stdin_wrap.c). */
#include "stdin_wrap.h"
#include "check_run.h"

#include <check.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static char out[8192];

static const char *wrap(const char *in, unsigned width)
{
	size_t n = stdin_wrap(in, strlen(in), width, stdin_wrap_indent(width), out);
	ck_assert_uint_eq(n, stdin_wrap(in, strlen(in), width, stdin_wrap_indent(width), NULL));
	out[n] = '\0';
	return out;
}

START_TEST(rows_fill_the_width_then_continue_indented)
{
	ck_assert_str_eq(wrap("0123456789012345678901234567890", 30),
	                 "012345678901234567890123456789\r\n    0");
	ck_assert_str_eq(wrap("012345678901234567890123456789", 30),
	                 "012345678901234567890123456789");
	ck_assert_str_eq(wrap("abcdefgh", 5), "abcde\r\n fgh");
}
END_TEST

START_TEST(columns_are_counted_as_the_terminal_does)
{
	/* A wide character that does not fit starts the next row whole. */
	ck_assert_str_eq(wrap("abcd\u4e2d", 5), "abcd\r\n \u4e2d");
	/* Colour sequences take no column, nor does a combining mark. */
	ck_assert_str_eq(wrap("\033[38;5;3mab\033[0mcde\u0301", 5), "\033[38;5;3mab\033[0mcde\u0301");
	ck_assert_str_eq(wrap("", 5), "");
}
END_TEST

START_TEST(left_edge_marks)
{
	ck_assert(stdin_wrap_starts_with("-- x", 4, "--"));
	ck_assert(stdin_wrap_starts_with("\033[2m-- x", 8, "--"));
	ck_assert(stdin_wrap_starts_with("\xcc\x81--", 4, "--")); /* U+0301 first */
	ck_assert(!stdin_wrap_starts_with(" -- x", 5, "--"));
	ck_assert(!stdin_wrap_starts_with("-", 1, "--"));
	ck_assert(!stdin_wrap_starts_with("", 0, "--"));
}
END_TEST

/* Whatever the text, every row fits and only the first starts at the
 * left edge; taking the indents out gives the text back. */
START_TEST(any_text_wraps_with_the_invariants)
{
	static const char *const pieces[] = {"a", " ", "-", "\u4e2d", "\u0301", "\033[1m", "\xff"};
	srand(1);
	for (int round = 0; round < 2000; round++) {
		char in[600] = "";
		for (int k = rand() % 120; k > 0; k--)
			strcat(in, pieces[rand() % 7]);
		unsigned width = 2 + (unsigned)(rand() % 60), indent = stdin_wrap_indent(width);
		wrap(in, width);
		char back[8192] = "";
		const char *row = out;
		for (int r = 0;; r++) {
			const char *end = strstr(row, "\r\n");
			size_t len = end ? (size_t)(end - row) : strlen(row);
			if (r > 0) {
				ck_assert(strspn(row, " ") >= indent);
				row += indent, len -= indent;
			}
			char piece[8192];
			memcpy(piece, row, len);
			piece[len] = '\0';
			/* The widest piece is 2 columns: a row is never over. */
			wchar_t wide[8192];
			size_t n = mbstowcs(wide, piece, 8192);
			if (n != (size_t)-1 && !strchr(piece, '\033'))
				ck_assert_int_le(wcswidth(wide, n) + (r ? (int)indent : 0), (int)width);
			strcat(back, piece);
			if (!end)
				break;
			row = end + 2;
		}
		ck_assert_str_eq(back, in);
	}
}
END_TEST

int main(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	Suite *s = suite_create("stdin_wrap");
	TCase *tc = tcase_create("wrap");
	tcase_add_test(tc, rows_fill_the_width_then_continue_indented);
	tcase_add_test(tc, columns_are_counted_as_the_terminal_does);
	tcase_add_test(tc, left_edge_marks);
	tcase_add_test(tc, any_text_wraps_with_the_invariants);
	suite_add_tcase(s, tc);
	return check_run(s);
}
