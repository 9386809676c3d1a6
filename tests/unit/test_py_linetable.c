// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* py_linetable against CPython itself: each interpreter present runs
 * tests/workloads/py_lines_truth.py, which writes, for every code object of
 * a few stdlib modules and a synthetic source built for the formats' corners,
 * the raw line table and the line the interpreter gives for every byte
 * offset (co_lines() or dis.findlinestarts(), and the C function
 * PyCode_Addr2Line); every one of those offsets must decode to the same
 * line.  Then the formats' own documented examples, and hostile tables
 * (cut real tables, random bytes, endless varints) under ASan/UBSan.
 *
 *   test_py_linetable              every interpreter below that exists
 *   test_py_linetable FIXTURE...   fixtures written by py_lines_truth.py */
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "rand.h"
#include "py_linetable.h"

#define TRUTH_SCRIPT "tests/workloads/py_lines_truth.py"
#define PYENV "/root/.pyenv/versions/"
#define MISMATCHES_SHOWN 5
/* the synthetic source's last function starts past line 300000: a fixture
 * whose lines stay below this missed the long varints */
#define FAR_LINE 300000

struct interp {
	const char *path;
	bool required; /* CI has Debian's; pyenv's are extra */
};

static const struct interp interps[] = {
	{ PYENV "3.8.18/bin/python3", false },	{ PYENV "3.9.18/bin/python3", false },
	{ PYENV "3.10.13/bin/python3", false }, { PYENV "3.11.7/bin/python3", false },
	{ PYENV "3.12.1/bin/python3", false },	{ PYENV "3.13.0/bin/python3", false },
	{ "/usr/bin/python3.11", true },
};

/* one fixture's tally, and the code objects kept for the truncation test */
struct tally {
	char version[32];
	int kind;
	unsigned long codes, by_lines, by_addr2line, by_cuts, mismatches, max_line, no_line;
	unsigned long end_count;
	bool ended;
	char why[256]; /* a malformed fixture */
};

struct code {
	char name[200];
	int first;
	unsigned ncode;
	unsigned char *tab;
	size_t len;
};

static bool parse_hex(const char *hex, struct code *c)
{
	size_t n = strlen(hex);

	c->len = 0;
	c->tab = malloc(n / 2 + 1);
	if (!c->tab)
		return false;
	if (!strcmp(hex, "-"))
		return true;
	if (n % 2)
		return false;
	for (size_t i = 0; i < n; i += 2) {
		unsigned v;

		if (sscanf(hex + i, "%2x", &v) != 1)
			return false;
		c->tab[c->len++] = (unsigned char)v;
	}
	return true;
}

/* "TAG n v0 v1 ..." into a fresh array of n values */
static long *parse_values(char *line, const char *tag, unsigned long *n)
{
	size_t tl = strlen(tag);
	char *p, *end;
	long *v;

	if (strncmp(line, tag, tl) || line[tl] != ' ')
		return NULL;
	*n = strtoul(line + tl + 1, &p, 10);
	if (*n > 100000000 || !(v = calloc(*n + 1, sizeof(*v))))
		return NULL;
	for (unsigned long i = 0; i < *n; i++) {
		v[i] = strtol(p, &end, 10);
		if (end == p) {
			free(v);
			return NULL;
		}
		p = end;
	}
	return v;
}

/* every offset of one code object against the interpreter's answers */
static void check_answers(struct tally *t, const struct code *c, const char *what, const long *want,
			  unsigned long n, unsigned long *count)
{
	for (unsigned long off = 0; off < n; off++) {
		unsigned got = py_linetable_line(t->kind, c->tab, c->len, c->first, (unsigned)off);

		(*count)++;
		if ((long)got == want[off]) {
			if (want[off] > (long)t->max_line)
				t->max_line = want[off];
			if (count == &t->by_lines)
				t->no_line += want[off] == 0;
			continue;
		}
		if (t->mismatches++ < MISMATCHES_SHOWN)
			printf("  mismatch %s %s firstlineno=%d offset=%lu: decoded %u, %s says %ld\n",
			       t->version, c->name, c->first, off, got, what, want[off]);
	}
}

/* A cut table may lose ranges (their offsets decode to 0) but must never
 * give a wrong line: the cut falls inside a range, whose bytes are then
 * incomplete.  The old lnotab has no ends (its last line runs on), so there
 * only the absence of a crash is asked. */
static void check_cuts(struct tally *t, const struct code *c, const long *want, unsigned long n)
{
	size_t step = c->len / 24 + 1;

	for (size_t cut = 0; cut < c->len; cut += cut < 8 ? 1 : step) {
		/* the first offsets and 64 spread over the code: a walk per call */
		for (unsigned long j = 0; j < 80 && j < n; j++) {
			unsigned long off = j < 16 ? j : (j - 16) * n / 64;
			unsigned got = py_linetable_line(t->kind, c->tab, cut, c->first, (unsigned)off);

			t->by_cuts++;
			if (t->kind != PY_LT_LNOTAB && got && (long)got != want[off] &&
			    t->mismatches++ < MISMATCHES_SHOWN)
				printf("  cut mismatch %s %s at %zu/%zu offset=%lu: decoded %u, CPython %ld\n",
				       t->version, c->name, cut, c->len, off, got, want[off]);
		}
	}
}

/* "CODE qualname firstlineno ncode hex" */
static bool parse_code(char *line, struct code *c)
{
	char *save, *tok[5];

	for (int i = 0; i < 5; i++)
		if (!(tok[i] = strtok_r(i ? NULL : line, " ", &save)))
			return false;
	if (strcmp(tok[0], "CODE") || strtok_r(NULL, " ", &save))
		return false;
	snprintf(c->name, sizeof(c->name), "%s", tok[1]);
	c->first = atoi(tok[2]);
	c->ncode = (unsigned)strtoul(tok[3], NULL, 10);
	return parse_hex(tok[4], c);
}

static void read_fixture(FILE *f, struct tally *t)
{
	char *line = NULL, *addr2line = NULL;
	size_t cap = 0, cap2 = 0;
	struct code c = { 0 };

	while (getline(&line, &cap, f) > 0) {
		unsigned long nl, na;
		long *lines, *a2l;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "VERSION %31s KIND %d", t->version, &t->kind) == 2)
			continue;
		if (sscanf(line, "END %lu", &t->end_count) == 1) {
			t->ended = true;
			continue;
		}
		if (strncmp(line, "CODE ", 5)) {
			snprintf(t->why, sizeof(t->why), "unexpected line: %.60s", line);
			break;
		}
		if (!parse_code(line, &c) || getline(&line, &cap, f) <= 0 ||
		    getline(&addr2line, &cap2, f) <= 0) {
			snprintf(t->why, sizeof(t->why), "%s: bad table or missing answers", c.name);
			break;
		}
		lines = parse_values(line, "LINES", &nl);
		a2l = parse_values(addr2line, "ADDR2LINE", &na);
		if (!lines || !a2l || nl < c.ncode || na < c.ncode) {
			snprintf(t->why, sizeof(t->why), "%s: bad LINES/ADDR2LINE", c.name);
			free(lines);
			free(a2l);
			break;
		}
		t->codes++;
		check_answers(t, &c, t->kind == PY_LT_LNOTAB ? "dis.findlinestarts" : "co_lines", lines, nl,
			      &t->by_lines);
		check_answers(t, &c, "PyCode_Addr2Line", a2l, na, &t->by_addr2line);
		check_cuts(t, &c, lines, nl);
		free(lines);
		free(a2l);
		free(c.tab);
		c.tab = NULL;
	}
	free(c.tab);
	free(line);
	free(addr2line);
}

/* the verdict on one fixture, as one PASS/FAIL line named after its interpreter */
static void judge(const char *label, struct tally *t)
{
	char name[128];

	snprintf(name, sizeof(name), "cpython_%s", t->version[0] ? t->version : label);
	if (t->why[0])
		printf("FAIL %s: fixture from %s: %s\n", name, label, t->why);
	else if (!t->ended || t->end_count != t->codes)
		printf("FAIL %s: fixture from %s ends early (%lu code objects read)\n", name, label,
		       t->codes);
	else if (t->kind < PY_LT_LNOTAB || t->kind > PY_LT_LOCATIONS)
		printf("FAIL %s: fixture from %s has no kind\n", name, label);
	else if (t->mismatches)
		printf("FAIL %s: %lu of %lu answers differ from CPython (%s)\n", name, t->mismatches,
		       t->by_lines + t->by_addr2line + t->by_cuts, label);
	else if (t->codes < 100 || t->max_line < FAR_LINE)
		printf("FAIL %s: too little checked: %lu code objects, highest line %lu (%s)\n", name,
		       t->codes, t->max_line, label);
	else
		printf("PASS %s: kind %d, %lu code objects; %lu offsets as %s says, %lu as PyCode_Addr2Line says (%lu of them without a line, lines up to %lu), %lu on cut tables; 0 mismatches (%s)\n",
		       name, t->kind, t->codes, t->by_lines,
		       t->kind == PY_LT_LNOTAB ? "dis.findlinestarts" : "co_lines", t->by_addr2line,
		       t->no_line, t->max_line, t->by_cuts, label);
	if (t->why[0] || !t->ended || t->mismatches || t->codes < 100 || t->max_line < FAR_LINE)
		check_total_failed++;
	fflush(stdout);
}

static void check_interpreter(const struct interp *in)
{
	struct tally t = { 0 };
	char cmd[512];
	FILE *f;
	int st;

	if (access(in->path, X_OK)) {
		if (in->required) {
			printf("FAIL cpython %s: not installed (Debian's python3.11, which CI has)\n", in->path);
			check_total_failed++;
		} else {
			printf("SKIP cpython %s: not installed\n", in->path);
		}
		return;
	}
	if (access(TRUTH_SCRIPT, R_OK)) {
		printf("FAIL cpython %s: %s not found (run from the repository's top)\n", in->path, TRUTH_SCRIPT);
		check_total_failed++;
		return;
	}
	/* -I: no PYTHON* variables, no user site; the interpreter as shipped */
	snprintf(cmd, sizeof(cmd), "'%s' -I %s", in->path, TRUTH_SCRIPT);
	f = popen(cmd, "r");
	if (!f) {
		printf("FAIL cpython %s: popen failed\n", in->path);
		check_total_failed++;
		return;
	}
	read_fixture(f, &t);
	st = pclose(f);
	if (!t.why[0] && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)))
		snprintf(t.why, sizeof(t.why), "%s exited with status %d", TRUTH_SCRIPT, st);
	judge(in->path, &t);
}

static void check_file(const char *path)
{
	struct tally t = { 0 };
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("FAIL fixture %s: cannot open\n", path);
		check_total_failed++;
		return;
	}
	read_fixture(f, &t);
	fclose(f);
	judge(path, &t);
}

/* ---- the formats' own documented examples ---- */

/* Objects/lnotab_notes.txt: offsets 0, 6, 50, 350, 361 start lines 1, 2,
 * 7, 207, 208; the 300-byte step and the 200-line jump are split. */
static void test_lnotab_doc_example(void)
{
	static const unsigned char t[] = { 6, 1, 44, 5, 255, 0, 45, 127, 0, 73, 11, 1 };
	static const struct { unsigned off, line; } want[] = {
		{ 0, 1 }, { 5, 1 }, { 6, 2 }, { 49, 2 }, { 50, 7 }, { 304, 7 }, { 349, 7 },
		{ 350, 207 }, { 360, 207 }, { 361, 208 }, { 100000, 208 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, t, sizeof(t), 1, want[i].off), want[i].line);
	/* no table: the whole code is on the first line; negative increments */
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, NULL, 0, 42, 10), 42);
	static const unsigned char back[] = { 4, 3, 4, 0xfe /* -2 */ };
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, back, sizeof(back), 10, 3), 10);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, back, sizeof(back), 10, 4), 13);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, back, sizeof(back), 10, 8), 11);
}

/* Objects/lnotab_notes.txt (3.10): ranges 0-6 line 1, 6-50 line 2, 50-350
 * line 7, 350-360 none, 360-376 line 8, 376-380 line 208 (first line 0). */
static void test_linetable_doc_example(void)
{
	static const unsigned char t[] = { 6, 1, 44, 1, 254, 5, 46, 0, 10, 0x80, 16, 1, 0, 127, 4, 73 };
	static const struct { unsigned off, line; } want[] = {
		{ 0, 1 }, { 5, 1 }, { 6, 2 }, { 49, 2 }, { 50, 7 }, { 303, 7 }, { 304, 7 }, { 349, 7 },
		{ 350, 0 }, { 359, 0 }, { 360, 8 }, { 375, 8 }, { 376, 208 }, { 379, 208 }, { 380, 0 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ_U64(py_linetable_line(PY_LT_LINETABLE, t, sizeof(t), 0, want[i].off), want[i].line);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LINETABLE, NULL, 0, 42, 0), 0);
}

/* Objects/locations.md: one entry of each form, built from the spec by hand
 * (first byte 1cccclll; varint 200 = 0x48 0x03; svarint s = varint 2|s|+sign) */
static void test_locations_spec(void)
{
	static const unsigned char t[] = {
		0x80 | (3 << 3) | 1, 0x25,               /* short form, 2 units: line 10, offsets 0-3 */
		0x80 | (12 << 3) | 0, 4, 9,              /* one-line form +2, 1 unit: line 12, 4-5 */
		0x80 | (13 << 3) | 2, 0x48, 0x03,        /* no columns, svarint +100: line 112, 6-11 */
		0x80 | (15 << 3) | 0,                    /* no location: 12-13 */
		0x80 | (14 << 3) | 0, 0x7b, 0x03, 1, 5, 9, /* long form, svarint -125 (varint 251): line -13 -> none */
		0x80 | (13 << 3) | 7, 0x48, 0x03,        /* +100: line 87, 16-31 */
		0x80 | (10 << 3) | 0, 1, 2,              /* one-line form +0: line 87, 32-33 */
	};
	static const struct { unsigned off, line; } want[] = {
		{ 0, 10 }, { 3, 10 }, { 4, 12 }, { 5, 12 }, { 6, 112 }, { 11, 112 }, { 12, 0 }, { 13, 0 },
		{ 14, 0 }, { 15, 0 }, { 16, 87 }, { 31, 87 }, { 32, 87 }, { 33, 87 }, { 34, 0 }, { 1000, 0 },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, t, sizeof(t), 10, want[i].off), want[i].line);
	/* an entry whose field runs into the next entry's first byte, or past
	 * the end, is malformed: no line from there on, the earlier ones kept */
	static const unsigned char cut[] = { 0x80 | (13 << 3), 0x04, 0x80 | (13 << 3), 0x48 };
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, cut, sizeof(cut), 1, 0), 3);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, cut, sizeof(cut), 1, 2), 0);
	static const unsigned char stray[] = { 0x80 | (13 << 3), 0x44, 0x80 | (15 << 3) };
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, stray, sizeof(stray), 1, 0), 0);
	/* a table that does not start with an entry's first byte (read as one,
	 * 0x04 0x05 would be a short form of 5 units on line 1) */
	static const unsigned char bad[] = { 0x04, 0x05, 0x80 | (13 << 3), 0x04 };
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, bad, sizeof(bad), 1, 0), 0);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, bad + 2, 2, 1, 0), 3);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, NULL, 0, 1, 0), 0);
	CHECK_EQ_U64(py_linetable_line((enum py_linetable_kind)9, t, sizeof(t), 10, 0), 0);
}

/* ---- hostile tables ---- */

/* varints of 100000 chunks: consumed in one pass, the line clamped, never
 * an overflow (UBSan) nor a line beyond what CPython could have */
static void test_endless_varints(void)
{
	size_t n = 100000, len = n + 8;
	unsigned char *t = malloc(len);
	struct timespec a, b;

	if (!t) {
		CHECK(t);
		return;
	}
	for (int sign = 0; sign < 2; sign++) {
		size_t i = 0;

		t[i++] = 0x80 | (13 << 3); /* no columns: the delta only */
		t[i++] = 0x40 | 0x3e | sign;
		while (i < n)
			t[i++] = 0x7f;
		t[i++] = 0x3f;
		t[i++] = 0x80 | (13 << 3);
		t[i++] = 0x02; /* +1: still clamped */
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (unsigned off = 0; off < 6; off++)
			CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, t, i, 1, off), 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		/* 6 walks of 100 kB: linear time, far below a second even under ASan */
		CHECK(b.tv_sec - a.tv_sec < 2);
	}
	/* the same endless varint in a long form's column field */
	memset(t, 0x7f, len);
	t[0] = 0x80 | (14 << 3);
	t[1] = 0x02;
	t[2] = 0x00;
	CHECK_EQ_U64(py_linetable_line(PY_LT_LOCATIONS, t, len, 1, 0), 0);
	free(t);
}

/* deltas that would overflow an int if summed naively */
static void test_line_overflow(void)
{
	size_t n = 40000;
	unsigned char *t = malloc(n);

	if (!t) {
		CHECK(t);
		return;
	}
	for (size_t i = 0; i < n; i += 2) {
		t[i] = 1;
		t[i + 1] = 127;
	}
	/* 20000 * 127 added to INT_MAX - 5: past INT_MAX from the first step */
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, t, n, 2147483642, 0), 2147483642);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, t, n, 2147483642, 100000), 0);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LINETABLE, t, n, 2147483642, 19999), 0);
	for (size_t i = 0; i < n; i += 2)
		t[i + 1] = 0x81; /* -127 */
	CHECK_EQ_U64(py_linetable_line(PY_LT_LNOTAB, t, n, -2147483647 - 1, 30000), 0);
	CHECK_EQ_U64(py_linetable_line(PY_LT_LINETABLE, t, n, 100, 0), 0);
	free(t);
}

/* random bytes of every kind and length: any answer but a crash, and an
 * offset past everything a table could cover decodes to 0 (3.10+) */
static void test_random_bytes(void)
{
	__u64 seed = 0x5eed14ull;
	unsigned char t[512];

	for (int round = 0; round < 20000; round++) {
		size_t len = xorshift64(&seed) % sizeof(t);
		int first = (int)(xorshift64(&seed) % 100000) - 50;

		for (size_t i = 0; i < len; i++)
			t[i] = (unsigned char)xorshift64(&seed);
		for (int k = PY_LT_LNOTAB; k <= PY_LT_LOCATIONS; k++) {
			for (int q = 0; q < 4; q++) {
				unsigned off = (unsigned)(xorshift64(&seed) % (len * 16 + 2));
				unsigned got = py_linetable_line(k, t, len, first, off);

				CHECK(got <= 2147483647u);
			}
			/* a 3.10 range is < 256 bytes, a 3.11 one 16: 256 * len covers both */
			if (k != PY_LT_LNOTAB)
				CHECK_EQ_U64(py_linetable_line(k, t, len, first, (unsigned)(len * 256 + 1)), 0);
		}
	}
}

int main(int argc, char **argv)
{
	RUN(test_lnotab_doc_example);
	RUN(test_linetable_doc_example);
	RUN(test_locations_spec);
	RUN(test_endless_varints);
	RUN(test_line_overflow);
	RUN(test_random_bytes);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			check_file(argv[i]);
	} else {
		for (size_t i = 0; i < sizeof(interps) / sizeof(interps[0]); i++)
			check_interpreter(&interps[i]);
	}
	CHECK_DONE();
}
