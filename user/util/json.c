// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "json.h"
#include "textsafe.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json *j, FILE *f, int indent)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->indent = indent < 0 ? 0 : indent;
}

int json_finish(struct json *j)
{
	if (j->depth || j->key_pending || !j->top_done)
		j->misuse = true;
	fputc('\n', j->f);
	return j->misuse || ferror(j->f) ? -1 : 0;
}

static bool one_line(const struct json *j)
{
	return !j->indent || j->inline_from;
}

static void newline(struct json *j, int depth)
{
	fputc('\n', j->f);
	for (int i = 0; i < depth * j->indent; i++)
		fputc(' ', j->f);
}

/* Separator and layout before a key (in an object) or a value (in an array
 * or at the top).  false: misuse, write nothing. */
static bool begin_item(struct json *j, bool is_key)
{
	int d = j->depth;

	if (d == 0) {
		if (is_key || j->top_done)
			return j->misuse = true, false;
		return true;
	}
	if (j->is_obj[d] && !is_key) {
		/* a value in an object must follow its key */
		if (!j->key_pending)
			return j->misuse = true, false;
		j->key_pending = false;
		return true;
	}
	if (j->is_obj[d] != is_key || j->key_pending)
		return j->misuse = true, false;
	if (!j->empty[d])
		fputs(one_line(j) && j->indent ? ", " : ",", j->f);
	j->empty[d] = false;
	if (!one_line(j))
		newline(j, d);
	return true;
}

/* After a complete value: the top-level document may be done. */
static void end_value(struct json *j)
{
	if (j->depth == 0)
		j->top_done = true;
}

static void open_container(struct json *j, bool obj, bool inl)
{
	if (j->depth >= JSON_MAX_DEPTH) {
		j->misuse = true;
		return;
	}
	if (!begin_item(j, false))
		return;
	fputc(obj ? '{' : '[', j->f);
	j->depth++;
	j->is_obj[j->depth] = obj;
	j->empty[j->depth] = true;
	if (inl && !j->inline_from)
		j->inline_from = j->depth;
}

void json_obj(struct json *j) { open_container(j, true, false); }
void json_arr(struct json *j) { open_container(j, false, false); }
void json_obj_inline(struct json *j) { open_container(j, true, true); }
void json_arr_inline(struct json *j) { open_container(j, false, true); }

void json_end(struct json *j)
{
	int d = j->depth;

	if (d == 0 || j->key_pending) {
		j->misuse = true;
		return;
	}
	if (!j->empty[d] && !one_line(j))
		newline(j, d - 1);
	fputc(j->is_obj[d] ? '}' : ']', j->f);
	if (j->inline_from == d)
		j->inline_from = 0;
	j->depth--;
	end_value(j);
}

/* Does byte c need more than a copy inside a JSON string? */
static inline bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

static void write_string(struct json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', j->f);
	while (i < n) {
		size_t run = i;
		while (run < n && plain_byte(s[run]))
			run++;
		if (run > i) {
			fwrite(s + i, 1, run - i, j->f);
			i = run;
			continue;
		}
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', j->f);
			fputc(c, j->f);
			i++;
		} else if (c < 0x80) {
			fprintf(j->f, "\\u%04x", c); /* control bytes and DEL */
			i++;
		} else {
			uint32_t cp;
			size_t len = text_utf8_next(s + i, n - i, &cp);
			/* valid but unsafe (C1, bidi, U+2028/9): written as \uXXXX
			 * although JSON allows them raw; lossless */
			if (cp == TEXT_BAD)
				fputs("\\ufffd", j->f);
			else if (text_cp_unsafe(cp))
				fprintf(j->f, "\\u%04x", (unsigned)cp);
			else
				fwrite(s + i, 1, len, j->f);
			i += len;
		}
	}
	fputc('"', j->f);
}

void json_key(struct json *j, const char *key)
{
	if (!key || !begin_item(j, true))
		return;
	write_string(j, key, strlen(key));
	fputs(j->indent ? ": " : ":", j->f);
	j->key_pending = true;
}

void json_strn(struct json *j, const char *s, size_t n)
{
	if (!begin_item(j, false))
		return;
	if (s)
		write_string(j, s, strnlen(s, n));
	else
		fputs("null", j->f);
	end_value(j);
}

void json_bytes(struct json *j, const void *s, size_t n)
{
	if (!begin_item(j, false))
		return;
	write_string(j, s ? s : "", s ? n : 0);
	end_value(j);
}

void json_str(struct json *j, const char *s)
{
	json_strn(j, s, s ? strlen(s) : 0);
}

static void write_raw(struct json *j, const char *text)
{
	if (!begin_item(j, false))
		return;
	fputs(text, j->f);
	end_value(j);
}

void json_u64(struct json *j, uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRIu64, v);
	write_raw(j, b);
}

void json_i64(struct json *j, int64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "%" PRId64, v);
	write_raw(j, b);
}

char *json_fmt_double(char *buf, size_t len, double v)
{
	char tmp[64];
	size_t o = 0;
	bool frac = false, sep = false;

	if (!isfinite(v)) {
		snprintf(buf, len, "null");
		return buf;
	}
	/* the fewest significant digits (15..17) that read back as v; both
	 * snprintf and strtod use the same locale, so the check holds */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* whatever the locale's decimal point is (even several bytes), it is
	 * the only run of characters outside [0-9+-eE]: make it '.' */
	for (const char *p = tmp; *p && o + 3 < len; p++) {
		if ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' || *p == 'e' || *p == 'E') {
			buf[o++] = *p;
			sep = false;
			if (*p == 'e' || *p == 'E')
				frac = true;
		} else if (!sep) {
			buf[o++] = '.';
			sep = frac = true;
		}
	}
	if (!frac && o + 3 < len) {
		buf[o++] = '.';
		buf[o++] = '0';
	}
	buf[o] = 0;
	return buf;
}

void json_num(struct json *j, double v)
{
	char b[40];
	write_raw(j, json_fmt_double(b, sizeof(b), v));
}

void json_bool(struct json *j, bool v) { write_raw(j, v ? "true" : "false"); }
void json_null(struct json *j) { write_raw(j, "null"); }

void json_kv_str(struct json *j, const char *key, const char *s) { json_key(j, key); json_str(j, s); }
void json_kv_strn(struct json *j, const char *key, const char *s, size_t n) { json_key(j, key); json_strn(j, s, n); }
void json_kv_u64(struct json *j, const char *key, uint64_t v) { json_key(j, key); json_u64(j, v); }
void json_kv_i64(struct json *j, const char *key, int64_t v) { json_key(j, key); json_i64(j, v); }
void json_kv_num(struct json *j, const char *key, double v) { json_key(j, key); json_num(j, v); }
void json_kv_bool(struct json *j, const char *key, bool v) { json_key(j, key); json_bool(j, v); }
void json_kv_null(struct json *j, const char *key) { json_key(j, key); json_null(j); }
void json_kv_obj(struct json *j, const char *key) { json_key(j, key); json_obj(j); }
void json_kv_arr(struct json *j, const char *key) { json_key(j, key); json_arr(j); }
