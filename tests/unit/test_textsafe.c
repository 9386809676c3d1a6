// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The one text-safety policy (user/textsafe.c) and every output that uses
 * it: the report's sanitizer, procfs_printable (dump text, session
 * messages), the JSON writer and the live view's cells agree on what is
 * unsafe. */
#define _XOPEN_SOURCE 700
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "procfs.h"
#include "textsafe.h"
#include "tui_text.h"

static void test_decoder(void)
{
	uint32_t cp;

	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"a", 1, &cp), 1);
	CHECK_EQ_U64(cp, 'a');
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xe4\xb8\xad", 3, &cp), 3);
	CHECK_EQ_U64(cp, 0x4e2d);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
	CHECK_EQ_U64(cp, 0x1f600);
	/* overlong, surrogate, beyond U+10FFFF, stray continuation, cut short:
	 * each invalid sequence is one maximal subpart */
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xc0\xaf", 2, &cp), 1);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xe0\x80\xaf", 3, &cp), 1);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xed\xa0\x80", 3, &cp), 1);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 1);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\x80", 1, &cp), 1);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xe4\xb8", 2, &cp), 2);
	CHECK_EQ_U64(cp, TEXT_BAD);
	CHECK_EQ_U64(text_utf8_next((const unsigned char *)"\xe4\xb8x", 3, &cp), 2);
	CHECK_EQ_U64(cp, TEXT_BAD);
}

static void test_policy(void)
{
	static const uint32_t unsafe[] = {0, 0x1b, 0x1f, 0x7f, 0x80, 0x9b, 0x9f, 0x061c, 0x200e, 0x200f,
					  0x2028, 0x2029, 0x202a, 0x202e, 0x2066, 0x2069, TEXT_BAD};
	static const uint32_t safe[] = {' ', 'a', '~', 0xa0, 0xe9, 0x4e2d, 0x2027, 0x202f, 0x2065, 0x206a, 0x1f600};

	for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++)
		CHECK(text_cp_unsafe(unsafe[i]));
	for (size_t i = 0; i < sizeof(safe) / sizeof(safe[0]); i++)
		CHECK(!text_cp_unsafe(safe[i]));
	CHECK_EQ_U64(text_cp_width('a'), 1);
	CHECK_EQ_U64(text_cp_width(0x4e2d), 2);
}

static void test_sanitize(void)
{
	char b[64];

	CHECK_STR(text_sanitize(b, sizeof(b), "a\x1b[2Jb\tc\x7f", 64), "a?[2Jb?c?");
	CHECK_STR(text_sanitize(b, sizeof(b), "\xc2\x9b" "31m", 64), "?31m");
	CHECK_STR(text_sanitize(b, sizeof(b), "x\xe2\x80\xaey", 64), "x?y");
	CHECK_STR(text_sanitize(b, sizeof(b), "\xff\xe4\xb8\xad", 64), "?\xe4\xb8\xad");
	/* the line separators too (the text report let them through before) */
	CHECK_STR(text_sanitize(b, sizeof(b), "a\xe2\x80\xa8" "b\xe2\x80\xa9", 64), "a?b?");
	/* never a split character: 4 bytes of room take "a" and not half of 中 */
	CHECK_STR(text_sanitize(b, 4, "a\xe4\xb8\xad", 64), "a");
	CHECK_STR(text_sanitize(b, 5, "a\xe4\xb8\xad", 64), "a\xe4\xb8\xad");
	/* a field without its NUL stops at srclen */
	CHECK_STR(text_sanitize(b, sizeof(b), "abcdef", 3), "abc");
}

/* The same hostile name through every output: each says '?' (JSON: an
 * escape) at the same characters. */
static void test_outputs_agree(void)
{
	static const char name[] = "a\xe2\x80\xa8" "b\xe2\x80\xae" "c\x1b" "d\xe4\xb8" "e\xe4\xb8\xad";
	char rep[64], pf[64], cell[64], *js = NULL;
	size_t jn = 0;
	FILE *f;
	struct json j;

	text_sanitize(rep, sizeof(rep), name, sizeof(name));
	CHECK_STR(rep, "a?b?c?d?e\xe4\xb8\xad");
	procfs_printable(pf, sizeof(pf), name, strlen(name));
	CHECK_STR(pf, rep);
	if (setlocale(LC_CTYPE, "C.UTF-8")) {
		tt_fit(cell, sizeof(cell), name, 11, false, true);
		CHECK_STR(cell, rep);
	}
	f = open_memstream(&js, &jn);
	CHECK(f != NULL);
	if (!f)
		return;
	json_init(&j, f, 0);
	json_str(&j, name);
	CHECK(json_finish(&j) == 0);
	fclose(f);
	CHECK_STR(js, "\"a\\u2028b\\u202ec\\u001bd\\ufffde\xe4\xb8\xad\"\n");
	free(js);
}

int main(void)
{
	RUN(test_decoder);
	RUN(test_policy);
	RUN(test_sanitize);
	RUN(test_outputs_agree);
	CHECK_DONE();
}
