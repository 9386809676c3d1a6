/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A tiny streaming JSON writer for the report and the batch lines.
 *
 * Output is always valid JSON (RFC 8259), whatever bytes the caller passes:
 *  - strings: '"' and '\' are escaped; every control byte (0x00-0x1f and
 *    0x7f) is written as \u00XX, and so are C1 controls (U+0080-U+009F),
 *    bidi controls (U+061C, U+200E/F, U+202A-U+202E, U+2066-U+2069) and
 *    U+2028/U+2029 (textsafe.h's unsafe code points), so that the file is
 *    safe to cat on a terminal and to paste into JavaScript; other valid
 *    UTF-8 is kept as it is;
 *    each invalid sequence (stray continuation byte, overlong form,
 *    surrogate, > U+10FFFF, a sequence cut short) becomes one U+FFFD,
 *    written \ufffd, following Unicode's "maximal subpart" practice;
 *  - integers: exact, the whole u64/s64 range (readers that hold numbers
 *    in doubles, like JavaScript, lose precision above 2^53: documented in
 *    docs/report.md);
 *  - doubles: NaN and +-inf are written as null (JSON has no such number;
 *    null says "no value" where 0 would be a lie); finite values with the
 *    fewest digits that read back the same (at most 17), always with a '.'
 *    or an exponent so typed readers see a float, '.' as the decimal point
 *    whatever the locale.
 * Misuse (a value without a key inside an object, a key in an array, an
 * end with nothing open, nesting deeper than JSON_MAX_DEPTH) is not written
 * and makes json_finish() fail, so tests catch it.
 *
 * Layout: indent > 0 puts every member on its own line; indent 0 writes
 * one line (the --batch --format json lines).  A container opened with an
 * *_inline call keeps all its content on one line even when indenting
 * (short arrays such as series points).
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
	FILE *f;
	int indent;
	int depth;
	int inline_from;  /* depth of the outermost inline container, 0 = none */
	bool key_pending; /* a key was written, its value not yet */
	bool top_done;    /* the top-level value is complete */
	bool misuse;
	bool is_obj[JSON_MAX_DEPTH + 1]; /* [depth]: the open container is an object */
	bool empty[JSON_MAX_DEPTH + 1];  /* [depth]: nothing written in it yet */
};

void json_init(struct json *j, FILE *f, int indent);
/* Ends the document with a newline.  0 when the document is complete and
 * well formed and the stream had no write error, else -1. */
int json_finish(struct json *j);

void json_obj(struct json *j);
void json_arr(struct json *j);
void json_obj_inline(struct json *j);
void json_arr_inline(struct json *j);
void json_end(struct json *j); /* closes the innermost object or array */

void json_key(struct json *j, const char *key);

void json_str(struct json *j, const char *s); /* NULL: null */
void json_strn(struct json *j, const char *s, size_t n); /* stops at a NUL or n bytes */
void json_bytes(struct json *j, const void *s, size_t n); /* exactly n bytes, NUL as \u0000 */
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_num(struct json *j, double v); /* non-finite: null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value */
void json_kv_str(struct json *j, const char *key, const char *s);
void json_kv_strn(struct json *j, const char *key, const char *s, size_t n);
void json_kv_u64(struct json *j, const char *key, uint64_t v);
void json_kv_i64(struct json *j, const char *key, int64_t v);
void json_kv_num(struct json *j, const char *key, double v);
void json_kv_bool(struct json *j, const char *key, bool v);
void json_kv_null(struct json *j, const char *key);
void json_kv_obj(struct json *j, const char *key);
void json_kv_arr(struct json *j, const char *key);

/* The double formatting of json_num(), for other writers: "null" for a
 * non-finite v.  buf must hold at least 32 bytes. */
char *json_fmt_double(char *buf, size_t len, double v);

#endif
