// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* json: the writer's output must parse (strict reader in json_check.h) and
 * say exactly what was written, for every byte and every number. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include "check.h"
#include "json_check.h"
#include "json.h"

/* output of one writer session */
struct out {
	char *buf;
	size_t len;
	FILE *f;
	struct json j;
};

static void out_open(struct out *o, int indent)
{
	memset(o, 0, sizeof(*o));
	o->f = open_memstream(&o->buf, &o->len);
	json_init(&o->j, o->f, indent);
}

/* finishes, closes, returns json_finish()'s result */
static int out_close(struct out *o)
{
	int rc = json_finish(&o->j);
	fclose(o->f);
	return rc;
}

/* A one-value document: the string s[0..n) written with json_bytes. */
static char *string_doc(const char *s, size_t n)
{
	struct out o;
	out_open(&o, 0);
	json_bytes(&o.j, s, n);
	CHECK(out_close(&o) == 0);
	return o.buf;
}

static void test_control_bytes(void)
{
	for (unsigned c = 0; c < 0x80; c++) {
		char in[3] = {'a', (char)c, 'b'};
		char *doc = string_doc(in, 3);
		char want[16], err[160];
		struct jv v;

		if (c < 0x20 || c == 0x7f) {
			/* every control byte as \u00XX, never raw */
			snprintf(want, sizeof(want), "\"a\\u%04x", c);
			CHECK(!strncmp(doc, want, strlen(want)));
		}
		for (size_t k = 0; doc[k]; k++)
			CHECK((unsigned char)doc[k] >= 0x20 || doc[k] == '\n');
		CHECK(json_parse(doc, strlen(doc), &v, err, sizeof(err)));
		CHECK(v.type == JV_STR && v.len == 3 && !memcmp(v.str, in, 3));
		jv_free(&v);
		free(doc);
	}
}

static void test_quotes_backslash(void)
{
	const char in[] = "say \"hi\" \\ back\\\\slash / \"";
	char *doc = string_doc(in, strlen(in));
	char err[160];
	struct jv v;

	CHECK_STR(doc, "\"say \\\"hi\\\" \\\\ back\\\\\\\\slash / \\\"\"\n");
	CHECK(json_parse(doc, strlen(doc), &v, err, sizeof(err)));
	CHECK(v.type == JV_STR && !strcmp(v.str, in));
	jv_free(&v);
	free(doc);
}

/* json_strn stops at the NUL of a fixed-size field (comm[16]) */
static void test_strn_stops_at_nul(void)
{
	struct out o;
	char comm[16] = "python3";
	char full[16];

	memset(full, 'x', sizeof(full)); /* no NUL at all */
	out_open(&o, 0);
	json_arr(&o.j);
	json_strn(&o.j, comm, sizeof(comm));
	json_strn(&o.j, full, sizeof(full));
	json_str(&o.j, NULL);
	json_end(&o.j);
	CHECK(out_close(&o) == 0);
	CHECK_STR(o.buf, "[\"python3\",\"xxxxxxxxxxxxxxxx\",null]\n");
	free(o.buf);
}

static void test_invalid_utf8(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"\x80", "\\ufffd"},                      /* stray continuation */
		{"a\xff" "b", "a\\ufffdb"},                 /* never valid */
		{"\xc0\xaf", "\\ufffd\\ufffd"},           /* overlong '/' */
		{"\xc1\xbf", "\\ufffd\\ufffd"},
		{"\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd"}, /* overlong, 3 bytes */
		{"\xed\xa0\x80", "\\ufffd\\ufffd\\ufffd"}, /* UTF-16 surrogate */
		{"\xf4\x90\x80\x80", "\\ufffd\\ufffd\\ufffd\\ufffd"}, /* > U+10FFFF */
		{"\xf5\x80", "\\ufffd\\ufffd"},
		{"\xe2\x82", "\\ufffd"},                  /* cut short at the end: one U+FFFD */
		{"\xe2\x82" "A", "\\ufffdA"},               /* cut short before ASCII */
		{"\xf0\x9f\x98" "x", "\\ufffdx"},
		{"\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"}, /* U+1F600 stays raw */
		{"\xc3\xa9\xe4\xb8\xad", "\xc3\xa9\xe4\xb8\xad"}, /* é中 */
		{"\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029"},  /* JS line separators */
		{"\xc2\x9b[31m", "\\u009b[31m"},            /* C1 CSI: escaped (lossless) */
		{"a\xe2\x80\xae" "b", "a\\u202eb"},         /* bidi override */
		{"\xc2\xa0", "\xc2\xa0"},                   /* NBSP: first code point after C1, raw */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *doc = string_doc(cases[i].in, strlen(cases[i].in));
		char want[64], err[160];
		struct jv v;

		snprintf(want, sizeof(want), "\"%s\"\n", cases[i].want);
		CHECK_STR(doc, want);
		CHECK(json_parse(doc, strlen(doc), &v, err, sizeof(err)));
		jv_free(&v);
		free(doc);
	}
}

static void test_random_bytes(void)
{
	unsigned seed = 12345;

	for (int iter = 0; iter < 20000; iter++) {
		char in[64], err[160];
		size_t n = (seed = seed * 1103515245 + 12345) % sizeof(in);
		struct jv v;

		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245 + 12345;
			/* mostly high bytes so that UTF-8 sequences happen */
			in[k] = (char)((seed >> 16) & 1 ? 0x80 | (seed >> 8) : (seed >> 8));
		}
		char *doc = string_doc(in, n);
		bool ok = json_parse(doc, strlen(doc), &v, err, sizeof(err));
		CHECK(ok);
		if (!ok)
			printf("  input %d: %s\n", iter, err);
		else
			jv_free(&v);
		free(doc);
	}
}

static char *num_doc(double d)
{
	struct out o;
	out_open(&o, 0);
	json_num(&o.j, d);
	CHECK(out_close(&o) == 0);
	return o.buf;
}

static void test_doubles(void)
{
	static const struct {
		double v;
		const char *want;
	} exact[] = {
		{0.1, "0.1\n"}, {3.0, "3.0\n"}, {-2.5, "-2.5\n"}, {0.0, "0.0\n"}, {-0.0, "-0.0\n"},
		{1e20, "1e+20\n"}, {123456789012.25, "123456789012.25\n"},
	};
	double roundtrip[] = {1.0 / 3, 2.0 / 3, 0.1 + 0.2, 1e300, -1e-300, 5e-324, 1.7976931348623157e308, 12.345};
	char *doc;

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		doc = num_doc(exact[i].v);
		CHECK_STR(doc, exact[i].want);
		free(doc);
	}
	for (size_t i = 0; i < sizeof(roundtrip) / sizeof(roundtrip[0]); i++) {
		struct jv v;
		char err[160];
		doc = num_doc(roundtrip[i]);
		CHECK(json_parse(doc, strlen(doc), &v, err, sizeof(err)));
		CHECK(v.type == JV_NUM && v.is_float && v.num == roundtrip[i]);
		free(doc);
	}
	/* NaN and infinities are not numbers in JSON: null (documented) */
	double bad[] = {NAN, -NAN, INFINITY, -INFINITY};
	for (size_t i = 0; i < 4; i++) {
		doc = num_doc(bad[i]);
		CHECK_STR(doc, "null\n");
		free(doc);
	}
}

static void test_integers(void)
{
	struct out o;
	struct jv v;
	char err[160];

	out_open(&o, 0);
	json_obj(&o.j);
	json_kv_u64(&o.j, "umax", UINT64_MAX);
	json_kv_u64(&o.j, "zero", 0);
	json_kv_i64(&o.j, "imin", INT64_MIN);
	json_kv_i64(&o.j, "imax", INT64_MAX);
	json_kv_u64(&o.j, "big", (1ULL << 53) + 1);
	json_end(&o.j);
	CHECK(out_close(&o) == 0);
	CHECK(json_parse(o.buf, o.len, &v, err, sizeof(err)));
	CHECK_STR(jv_get(&v, "umax")->raw, "18446744073709551615");
	CHECK_STR(jv_get(&v, "imin")->raw, "-9223372036854775808");
	CHECK_STR(jv_get(&v, "imax")->raw, "9223372036854775807");
	CHECK_STR(jv_get(&v, "big")->raw, "9007199254740993");
	CHECK_STR(jv_get(&v, "zero")->raw, "0");
	CHECK(!jv_get(&v, "zero")->is_float);
	jv_free(&v);
	free(o.buf);
}

/* the same document pretty and on one line: same tree */
static void write_sample(struct json *j)
{
	json_obj(j);
	json_kv_str(j, "a", "x");
	json_kv_arr(j, "list");
	json_u64(j, 1);
	json_obj(j);
	json_kv_bool(j, "t", true);
	json_kv_null(j, "n");
	json_end(j);
	json_arr(j); /* empty */
	json_end(j);
	json_end(j);
	json_key(j, "pts");
	json_arr(j);
	for (int i = 0; i < 3; i++) {
		json_arr_inline(j);
		json_num(j, i * 0.5);
		json_u64(j, (uint64_t)i);
		json_end(j);
	}
	json_end(j);
	json_kv_obj(j, "empty");
	json_end(j);
	json_end(j);
}

static void test_layout(void)
{
	struct out a, b;
	struct jv va, vb;
	char err[160];

	out_open(&a, 2);
	write_sample(&a.j);
	CHECK(out_close(&a) == 0);
	out_open(&b, 0);
	write_sample(&b.j);
	CHECK(out_close(&b) == 0);
	CHECK(json_parse(a.buf, a.len, &va, err, sizeof(err)));
	CHECK(json_parse(b.buf, b.len, &vb, err, sizeof(err)));
	/* one line: a single newline, at the end */
	CHECK(strchr(b.buf, '\n') == b.buf + b.len - 1);
	CHECK_STR(b.buf, "{\"a\":\"x\",\"list\":[1,{\"t\":true,\"n\":null},[]],\"pts\":[[0.0,0],[0.5,1],[1.0,2]],\"empty\":{}}\n");
	/* inline containers stay on one line while indenting */
	CHECK(strstr(a.buf, "\n    [0.5, 1],\n") != NULL);
	CHECK(strstr(a.buf, "\n  \"empty\": {}\n}") != NULL);
	CHECK(jv_is(&va, "list.1.t", JV_BOOL) && jv_is(&va, "list.1.n", JV_NULL));
	CHECK(jv_num(&va, "pts.2.0") == 1.0 && jv_num(&vb, "pts.2.1") == 2);
	jv_free(&va);
	jv_free(&vb);
	free(a.buf);
	free(b.buf);
}

static void test_depth(void)
{
	struct out o;
	struct jv v;
	char err[160];

	out_open(&o, 1);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_arr(&o.j);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_end(&o.j);
	CHECK(out_close(&o) == 0);
	CHECK(json_parse(o.buf, o.len, &v, err, sizeof(err)));
	jv_free(&v);
	free(o.buf);

	/* one level deeper is refused, and the output still parses */
	out_open(&o, 0);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_arr(&o.j);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_end(&o.j);
	CHECK(out_close(&o) == -1);
	free(o.buf);
}

/* misuse is not written and makes json_finish() fail */
static void test_misuse(void)
{
	struct out o;

	out_open(&o, 0); /* value without a key in an object */
	json_obj(&o.j);
	json_u64(&o.j, 1);
	json_end(&o.j);
	CHECK(out_close(&o) == -1);
	CHECK_STR(o.buf, "{}\n");
	free(o.buf);

	out_open(&o, 0); /* key in an array */
	json_arr(&o.j);
	json_key(&o.j, "k");
	json_end(&o.j);
	CHECK(out_close(&o) == -1);
	free(o.buf);

	out_open(&o, 0); /* key without a value */
	json_obj(&o.j);
	json_key(&o.j, "k");
	json_end(&o.j);
	CHECK(out_close(&o) == -1);
	free(o.buf);

	out_open(&o, 0); /* unclosed */
	json_obj(&o.j);
	CHECK(out_close(&o) == -1);
	free(o.buf);

	out_open(&o, 0); /* two top-level values */
	json_u64(&o.j, 1);
	json_u64(&o.j, 2);
	CHECK(out_close(&o) == -1);
	CHECK_STR(o.buf, "1\n");
	free(o.buf);

	out_open(&o, 0); /* nothing at all */
	CHECK(out_close(&o) == -1);
	free(o.buf);
}

/* keys are escaped like values */
static void test_hostile_keys(void)
{
	struct out o;
	struct jv v;
	char err[160];

	out_open(&o, 2);
	json_obj(&o.j);
	json_kv_u64(&o.j, "a\"b\n\x1b[2J", 1);
	json_end(&o.j);
	CHECK(out_close(&o) == 0);
	CHECK(json_parse(o.buf, o.len, &v, err, sizeof(err)));
	CHECK(v.n == 1 && !strcmp(v.keys[0], "a\"b\n\x1b[2J"));
	CHECK(!strchr(o.buf, '\x1b'));
	jv_free(&v);
	free(o.buf);
}

/* the decimal point is '.' whatever LC_NUMERIC says */
static bool locale_skipped;

static void test_locale(void)
{
	static const char *locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8", "de_DE"};
	const char *used = NULL;

	for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]) && !used; i++)
		if (setlocale(LC_NUMERIC, locales[i]))
			used = locales[i];
	if (!used) {
		locale_skipped = true;
		return;
	}
	char *doc = num_doc(1234.5);
	CHECK_STR(doc, "1234.5\n");
	free(doc);
	setlocale(LC_NUMERIC, "C");
}

static void test_fmt_double_api(void)
{
	char b[40];
	CHECK_STR(json_fmt_double(b, sizeof(b), NAN), "null");
	CHECK_STR(json_fmt_double(b, sizeof(b), 42), "42.0");
}

int main(void)
{
	RUN(test_control_bytes);
	RUN(test_quotes_backslash);
	RUN(test_strn_stops_at_nul);
	RUN(test_invalid_utf8);
	RUN(test_random_bytes);
	RUN(test_doubles);
	RUN(test_integers);
	RUN(test_layout);
	RUN(test_depth);
	RUN(test_misuse);
	RUN(test_hostile_keys);
	test_locale();
	if (locale_skipped)
		printf("SKIP test_locale: no locale with a decimal comma (try LOCPATH, see docs/report.md)\n");
	else
		RUN(test_locale);
	RUN(test_fmt_double_api);
	CHECK_DONE();
}
