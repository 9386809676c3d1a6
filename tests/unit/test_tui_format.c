// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The live view's pure parts: sparklines, cell text (fitting, sanitizing,
 * numbers), and the copy of the model with its ordering and filters. */
#include <locale.h>
#include <math.h>
#include "check.h"
#include "agg.h"
#include "synth.h"
#include "spark.h"
#include "tui_int.h"
#include "tui_snap.h"
#include "tui_text.h"

#define MB (1024.0 * 1024)
#define MS 1000000ull

/* ---- sparklines ---- */

static void test_spark_levels(void)
{
	double v[] = {10, 20, 30, 40, 50, 60, 70, 80};
	unsigned char lv[16];
	double lo, hi;

	CHECK_EQ_U64(spark_levels(v, 8, 16, lv, &lo, &hi), 8); /* a short series is not stretched */
	CHECK(lo == 10 && hi == 80);
	for (int i = 0; i < 8; i++)
		CHECK_EQ_U64(lv[i], i);
	/* flat: all at the bottom */
	double flat[] = {5, 5, 5};
	CHECK_EQ_U64(spark_levels(flat, 3, 10, lv, NULL, NULL), 3);
	CHECK(lv[0] == 0 && lv[1] == 0 && lv[2] == 0);
	CHECK_EQ_U64(spark_levels(v, 0, 10, lv, &lo, &hi), 0);
}

static void test_spark_resample_keeps_spikes(void)
{
	double v[100];
	unsigned char lv[10];

	for (int i = 0; i < 100; i++)
		v[i] = 100;
	v[37] = 1000; /* one short spike among 100 points */
	v[0] = 0;
	CHECK_EQ_U64(spark_levels(v, 100, 10, lv, NULL, NULL), 10);
	CHECK_EQ_U64(lv[3], SPARK_LEVELS - 1); /* column 3 covers 30..39: the max is kept */
	CHECK_EQ_U64(lv[5], 1);                /* 100 of 0..1000 rounds to level 1 */
	/* every value lands in exactly one column, the last one too */
	v[99] = 2000;
	spark_levels(v, 100, 7, lv, NULL, NULL);
	CHECK_EQ_U64(lv[6], SPARK_LEVELS - 1);
}

static void test_spark_text(void)
{
	unsigned char lv[] = {0, 3, 7, 9};
	char buf[64];

	CHECK_STR(spark_text(buf, sizeof(buf), lv, 4, false), "_=@@"); /* levels past the top clamp */
	CHECK_STR(spark_text(buf, sizeof(buf), lv, 3, true), "\u2581\u2584\u2588");
	/* whole glyphs only: 7 bytes hold two 3-byte glyphs */
	CHECK_STR(spark_text(buf, 7, lv, 3, true), "\u2581\u2584");
	CHECK_STR(spark_text(buf, 1, lv, 3, true), "");
	CHECK_EQ_U64(spark_level_of(-1), 0);
	CHECK_EQ_U64(spark_level_of(NAN), 0);
	CHECK_EQ_U64(spark_level_of(0.5), 4);
	CHECK_EQ_U64(spark_level_of(2), SPARK_LEVELS - 1);
}

/* ---- cell text ---- */

static void test_fit_pads_and_cuts(void)
{
	char b[64];

	CHECK_EQ_U64(tt_fit(b, sizeof(b), "abc", 5, false, true), 3);
	CHECK_STR(b, "abc  ");
	tt_fit(b, sizeof(b), "abc", 5, true, true);
	CHECK_STR(b, "  abc");
	CHECK_EQ_U64(tt_fit(b, sizeof(b), "abcdef", 4, false, true), 4);
	CHECK_STR(b, "abcd");
	tt_fit(b, sizeof(b), NULL, 2, false, true);
	CHECK_STR(b, "  ");
	tt_fit(b, 4, "abcdef", 10, false, true); /* a small buffer: cut, still terminated */
	CHECK_STR(b, "abc");
}

static void test_fit_hostile_text(void)
{
	char b[64];

	/* an escape sequence in a process name: the ESC becomes '?' */
	tt_fit(b, sizeof(b), "\x1b[31mEVIL", 10, false, true);
	CHECK_STR(b, "?[31mEVIL ");
	tt_fit(b, sizeof(b), "a\tb\x7f" "c\r", 6, false, true);
	CHECK_STR(b, "a?b?c?");
	/* C1 control U+009B (CSI) in UTF-8, and a raw 0x9b byte */
	tt_fit(b, sizeof(b), "x\xc2\x9by\x9bz", 5, false, true);
	CHECK_STR(b, "x?y?z");
	/* invalid UTF-8: a truncated sequence (one '?' for its maximal subpart,
	 * as every output says it: textsafe.h), an overlong form, a surrogate */
	tt_fit(b, sizeof(b), "\xe4\xb8" "A\xc0\xaf" "B\xed\xa0\x80", 9, false, true);
	CHECK_STR(b, "?A??B??? ");
}

static void test_fit_wide_characters(void)
{
	char b[64];

	/* two CJK characters are four columns */
	CHECK_EQ_U64(tt_width("\u8bed\u97f3", true), 4);
	CHECK_EQ_U64(tt_fit(b, sizeof(b), "\u8bed\u97f3x", 6, false, true), 5);
	CHECK_STR(b, "\u8bed\u97f3x ");
	/* a wide character never straddles the edge */
	CHECK_EQ_U64(tt_fit(b, sizeof(b), "a\u8bed", 2, false, true), 1);
	CHECK_STR(b, "a ");
	/* without UTF-8 every byte >= 0x80 is one '?' */
	CHECK_EQ_U64(tt_fit(b, sizeof(b), "\u8bed", 4, false, false), 3);
	CHECK_STR(b, "??? ");
	/* a combining mark has no width of its own: shown as '?' */
	tt_fit(b, sizeof(b), "e\xcc\x81", 3, false, true);
	CHECK_STR(b, "e? ");
}

static void test_contains(void)
{
	CHECK(tt_contains("python3 asr_server.py", "ASR"));
	CHECK(tt_contains("wl_hog", ""));
	CHECK(!tt_contains("wl_hog", "wl_hogs"));
	CHECK(!tt_contains("", "x"));
}

static void test_numbers(void)
{
	char b[32];

	CHECK_STR(tt_elapsed(b, sizeof(b), 12.34), "12.3s");
	CHECK_STR(tt_elapsed(b, sizeof(b), -1), "0.0s");
	CHECK_STR(tt_elapsed(b, sizeof(b), 245), "4m05s");
	CHECK_STR(tt_elapsed(b, sizeof(b), 7380), "2h03m");
	CHECK_STR(tt_elapsed(b, sizeof(b), 3 * 86400 + 4 * 3600 + 10), "3d04h");
	CHECK_STR(tt_signed_bytes(b, sizeof(b), 1.5 * MB), "+1.5M");
	CHECK_STR(tt_signed_bytes(b, sizeof(b), -320 * 1024.0), "-320K");
	CHECK_STR(tt_signed_bytes(b, sizeof(b), 0.2), "0");
	CHECK_STR(tt_pct(b, sizeof(b), 45.21), "45.2");
	CHECK_STR(tt_pct(b, sizeof(b), 1600.4), "1600");
	CHECK_STR(tt_pct(b, sizeof(b), -0.01), "0.0");
	CHECK_STR(tt_ns(b, sizeof(b), 101.7e6), "102ms");
	CHECK_STR(tt_ns(b, sizeof(b), 33.3e6), "33.3ms");
	CHECK_STR(tt_ns(b, sizeof(b), 1.2e9), "1.20s");
	for (double ns = 1; ns < 1e12; ns *= 1.37)
		CHECK(strlen(tt_ns(b, sizeof(b), ns)) <= 6);
}

/* ---- the copy of the model ---- */

static struct agg *A;

static void to_agg(const struct ev_hdr *h)
{
	agg_event(A, h);
}

/* ---- record builders: synth.h, in the short forms of this file ---- */

/* CMD("a\0b"): a command line with its NULs and its length */
#define CMD(s) s, sizeof(s) - 1

static void proc(__u64 ts, __u32 pid, enum vigil_role role, const char *comm, const char *cmd, size_t len)
{
	synth_proc(ts, pid, 1, role, comm, cmd, len, 0);
}

static void rss(__u64 ts, __u32 pid, double anon)
{
	synth_rss(ts, pid, pid, 0, (__s64)anon, -1, 0);
}

/* prev blocks, next runs (0: idle) */
static void sw(__u64 ts, __u32 cpu, __u32 prev, __u32 next)
{
	SW_BLOCK(ts, cpu, prev, prev, next, next);
}

/* three processes over one second: an asr worker running 60 % of the
 * second and growing, a hostile-named camera process, an idle other */
static void build_model(void)
{
	A = agg_new(NULL);
	agg_set_ncpus(A, 2);
	proc(1, 100, ROLE_ASR, "python3", CMD("python3\0asr_server.py\0--model\0sensevoice"));
	proc(2, 200, ROLE_CAMERA, "\x1b[31mEVIL", CMD("\x1b]0;pwned\x07"));
	proc(3, 300, ROLE_OTHER, "sleeper", CMD("sleeper"));
	for (int i = 0; i <= 10; i++)
		rss(10 + (__u64)i * 100 * MS, 100, (100 + 10.0 * i) * MB);
	rss(20, 200, 5 * MB);
	sw(100 * MS, 0, 0, 100);
	sw(700 * MS, 0, 100, 0);
	sw(200 * MS, 1, 0, 200);
	sw(300 * MS, 1, 200, 0);
	agg_settle(A, 1000 * MS);
}

static struct finding leak_of(__u64 id, bool active, enum finding_severity sev)
{
	struct finding f;

	memset(&f, 0, sizeof(f));
	f.kind = FIND_LEAK;
	f.severity = sev;
	f.proc_id = id;
	f.pid = 100;
	f.active = active;
	snprintf(f.comm, sizeof(f.comm), "python3");
	snprintf(f.summary, sizeof(f.summary), "grows \x1b[2J 6 MB/s");
	return f;
}

static void test_snap_numbers(void)
{
	struct tui_snap s = {0};
	const struct agg_proc *p;

	build_model();
	p = agg_find(A, 100);
	struct finding f = leak_of(p->id, true, SEV_CRIT);
	const struct finding *fp[] = {&f};

	CHECK_EQ_U64(tui_snap_take(&s, A, fp, 1, 1.0), 0);
	CHECK_EQ_U64(s.nrows, 3);
	long i = tui_snap_find(&s, p->id);
	CHECK(i >= 0);
	const struct tui_row *r = &s.rows[i];
	/* shares and rates over the event time the counters cover (pview.h):
	 * the scheduler's events start at 100 ms, so 600 ms of 900 */
	CHECK(fabs(r->cpu_pct - 600.0 / 9) < 0.01);
	CHECK(r->rss_known && r->rss == (__u64)(200 * MB));
	/* 100 MB in 1 s: 6000 MB per minute, as the text snapshot computes it */
	CHECK(fabs(r->rss_trend_per_min - 6000 * MB) < MB);
	CHECK(fabs(r->rss_trend_per_min - agg_rss_trend_per_min(&p->rss)) < 1);
	CHECK_EQ_U64(r->nseries, 11);
	CHECK(r->series[10] == (float)(200 * MB));
	CHECK_STR(r->cmdline, "python3 asr_server.py --model sensevoice");
	CHECK_EQ_U64(r->badges, TUI_BADGE(FIND_LEAK));
	CHECK_EQ_U64(r->badges_crit, TUI_BADGE(FIND_LEAK));
	CHECK(fabs(s.cpu_busy_pct[0] - 600.0 / 9) < 0.01 && fabs(s.cpu_busy_pct[1] - 100.0 / 9) < 0.01);
	CHECK_EQ_U64(s.nfindings, 1);
	CHECK_STR(s.findings[0].summary, "grows ?[2J 6 MB/s");
	/* findings only: badges follow, numbers stay */
	f.active = false;
	CHECK_EQ_U64(tui_snap_take_findings(&s, fp, 1), 0);
	CHECK_EQ_U64(s.rows[i].badges, TUI_BADGE(FIND_LEAK));
	CHECK_EQ_U64(s.rows[i].badges_active, 0);
	CHECK(fabs(s.rows[i].cpu_pct - 600.0 / 9) < 0.01);
	tui_snap_free(&s);
	agg_free(A);
}

static void test_snap_hostile_names(void)
{
	struct tui_snap s = {0};

	build_model();
	tui_snap_take(&s, A, NULL, 0, 1.0);
	long i = tui_snap_find(&s, agg_find(A, 200)->id);
	CHECK(i >= 0);
	CHECK_STR(s.rows[i].comm, "?[31mEVIL");
	CHECK(!strchr(s.rows[i].cmdline, '\x1b') && !strchr(s.rows[i].cmdline, '\x07'));
	tui_snap_free(&s);
	agg_free(A);
}

static void test_order_groups_sort_filter(void)
{
	struct tui_snap s = {0};
	struct tui_order o = {.key = tui_col_find("cpu_pct"), .role = -1};
	size_t idx[8], n;

	build_model();
	tui_snap_take(&s, A, NULL, 0, 1.0);
	/* grouped asr, camera, other whatever the sort column */
	n = tui_snap_order(&s, &o, idx);
	CHECK_EQ_U64(n, 3);
	CHECK(s.rows[idx[0]].pid == 100 && s.rows[idx[1]].pid == 200 && s.rows[idx[2]].pid == 300);
	o.key = tui_col_find("pid");
	o.invert = true;
	n = tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 100 && s.rows[idx[2]].pid == 300);
	/* role filter */
	o.role = ROLE_CAMERA;
	n = tui_snap_order(&s, &o, idx);
	CHECK(n == 1 && s.rows[idx[0]].pid == 200);
	/* substring filter on comm or command line, any case */
	o.role = -1;
	o.filter = "SENSEVOICE";
	n = tui_snap_order(&s, &o, idx);
	CHECK(n == 1 && s.rows[idx[0]].pid == 100);
	o.filter = "sleep";
	n = tui_snap_order(&s, &o, idx);
	CHECK(n == 1 && s.rows[idx[0]].pid == 300);
	o.filter = "nothing like it";
	CHECK_EQ_U64(tui_snap_order(&s, &o, idx), 0);
	tui_snap_free(&s);
	agg_free(A);
}

/* three asr processes a, b, c (pids 10, 11, 12) with these RSS; when ran,
 * on CPU 10 %, 30 % and 20 % of the second */
static void three_asr(bool ran, double rss_a, double rss_b, double rss_c)
{
	A = agg_new(NULL);
	proc(1, 10, ROLE_ASR, "a", CMD("a"));
	proc(1, 11, ROLE_ASR, "b", CMD("b"));
	proc(1, 12, ROLE_ASR, "c", CMD("c"));
	if (ran) {
		sw(0, 0, 0, 10);
		sw(100 * MS, 0, 10, 11);
		sw(400 * MS, 0, 11, 12);
		sw(600 * MS, 0, 12, 0);
	}
	rss(5, 10, rss_a);
	rss(5, 11, rss_b);
	rss(5, 12, rss_c);
	agg_settle(A, 1000 * MS);
}

static void test_order_within_group(void)
{
	struct tui_snap s = {0};
	struct tui_order o = {.key = tui_col_find("cpu_pct"), .role = -1};
	size_t idx[8];

	three_asr(true, 30 * MB, 10 * MB, 20 * MB);
	tui_snap_take(&s, A, NULL, 0, 1.0);
	tui_snap_order(&s, &o, idx); /* CPU: 30 % b, 20 % c, 10 % a */
	CHECK(s.rows[idx[0]].pid == 11 && s.rows[idx[1]].pid == 12 && s.rows[idx[2]].pid == 10);
	o.key = tui_col_find("rss_bytes");
	tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 10 && s.rows[idx[1]].pid == 12 && s.rows[idx[2]].pid == 11);
	o.invert = true;
	tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 11 && s.rows[idx[2]].pid == 10);
	o.key = tui_col_find("comm");
	o.invert = false;
	tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 10 && s.rows[idx[2]].pid == 12);
	tui_snap_free(&s);
	agg_free(A);
}

/* ties of the sort column fall back to the process view's order
 * (pview_cmp: CPU, then RSS, then pid), as in the text snapshot */
static void test_order_ties_follow_pview(void)
{
	struct tui_snap s = {0};
	struct tui_order o = {.key = tui_col_find("cpu_pct"), .role = -1};
	size_t idx[8];

	three_asr(false, 10 * MB, 30 * MB, 20 * MB);
	tui_snap_take(&s, A, NULL, 0, 1.0);
	/* nobody ran: every CPU% is 0, so the largest RSS first */
	tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 11 && s.rows[idx[1]].pid == 12 && s.rows[idx[2]].pid == 10);
	/* a column where all are equal too (the heap) */
	o.key = tui_col_find("heap_bytes");
	tui_snap_order(&s, &o, idx);
	CHECK(s.rows[idx[0]].pid == 11 && s.rows[idx[1]].pid == 12 && s.rows[idx[2]].pid == 10);
	tui_snap_free(&s);
	agg_free(A);
}

/* ---- table layout ---- */

static int layout_width(const int w[TUI_COLS_MAX])
{
	int total = -1; /* no separator after the last column */

	for (int c = 0; c < TUI_COLS_MAX; c++)
		total += w[c] ? w[c] + 1 : 0;
	return total;
}

static bool shown(int vis, const char *id)
{
	int c = tui_col_find(id);

	CHECK(c >= 0);
	return c >= 0 && (vis & (1 << c));
}

static void test_layout(void)
{
	int w[TUI_COLS_MAX], vis;
	size_t n;
	const struct tui_col *cols = tui_cols(&n);

	/* the live columns are the process view's fields with a live title, in
	 * the table's order, then the view's own two */
	size_t live = 0;
	for (size_t k = 0; k < pview_nfields; k++)
		live += pview_fields[k].live.title != NULL;
	CHECK_EQ_U64(n, live + 2);
	CHECK_STR(cols[0].id, "pid");
	CHECK_STR(cols[n - 2].id, "finding");
	CHECK_STR(cols[n - 1].id, "cmdline");
	for (size_t c = 0, k = 0; c + 2 < n; c++, k++) {
		while (!pview_fields[k].live.title)
			k++;
		CHECK(cols[c].field == &pview_fields[k]);
	}
	/* 80 columns: everything but the command line, MAPPED and HEAP */
	vis = tui_layout(80, w);
	CHECK(layout_width(w) <= 80);
	for (size_t c = 0; c + 1 < n; c++)
		CHECK(!!(vis & (1 << c)) == (strcmp(cols[c].id, "anon_map_bytes") && strcmp(cols[c].id, "heap_bytes")));
	CHECK(!shown(vis, "cmdline") && !w[tui_col_find("cmdline")]);
	/* wide: every column, the command line takes the rest */
	vis = tui_layout(200, w);
	CHECK_EQ_U64(vis, (1u << n) - 1);
	CHECK_EQ_U64(layout_width(w), 200);
	/* narrow: the columns that always stay */
	vis = tui_layout(40, w);
	CHECK(shown(vis, "pid") && shown(vis, "comm") && shown(vis, "cpu_pct") && shown(vis, "rss_bytes") &&
	      shown(vis, "finding"));
	for (int width = 40; width < 300; width++) {
		tui_layout(width, w);
		CHECK(layout_width(w) <= (width < 43 ? 43 : width)); /* 43: the columns that never go */
	}
}

/* the cells are the pview fields' live fills over the interval */
static void test_snap_cells(void)
{
	struct tui_snap s = {0};
	int cpu = tui_col_find("cpu_pct"), trend = tui_col_find("rss_trend_bytes_per_min"),
	    rss = tui_col_find("rss_bytes"), rq = tui_col_find("runq_p50_ns");

	build_model();
	tui_snap_take(&s, A, NULL, 0, 1.0);
	long i = tui_snap_find(&s, agg_find(A, 100)->id);
	CHECK(i >= 0);
	CHECK_STR(s.rows[i].cell[cpu], "66.7");
	CHECK_STR(s.rows[i].cell[rss], "200M");
	CHECK_STR(s.rows[i].cell[trend], "+5.9G"); /* the live view signs a trend */
	CHECK(s.rows[i].key[cpu] > 66.6 && s.rows[i].key[cpu] < 66.7);
	CHECK(rq >= 0 && s.rows[i].cell[rq][0]);
	tui_snap_free(&s);
	agg_free(A);
}

int main(void)
{
	/* wcwidth() answers for UTF-8 only under a UTF-8 LC_CTYPE, as in the view */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "en_US.UTF-8");
	synth_sink = to_agg;
	RUN(test_spark_levels);
	RUN(test_spark_resample_keeps_spikes);
	RUN(test_spark_text);
	RUN(test_fit_pads_and_cuts);
	RUN(test_fit_hostile_text);
	RUN(test_fit_wide_characters);
	RUN(test_contains);
	RUN(test_numbers);
	RUN(test_snap_numbers);
	RUN(test_snap_hostile_names);
	RUN(test_order_groups_sort_filter);
	RUN(test_order_within_group);
	RUN(test_order_ties_follow_pview);
	RUN(test_layout);
	RUN(test_snap_cells);
	CHECK_DONE();
}
