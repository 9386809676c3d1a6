// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The detail view of one process: its findings with their evidence, memory
 * (RSS sparkline over the trace, breakdown, calls), its allocation sites
 * when the trace samples them, CPU (run-queue histogram, who held its CPU).
 * A scrolling page, so it works in 80x24. */
#define _GNU_SOURCE
#include "tui_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "evidence.h"
#include "format.h"
#include "site_evidence.h"
#include "spark.h"
#include "targets.h"
#include "textsafe.h"
#include "tui_text.h"

#define IND 2   /* indent of the page */
#define LBL 11  /* width of the labels on the left */
#define BAR_MAX 30

/* Lines are numbered from the top of the page; only those between top and
 * top + h land on the screen. */
struct page {
	struct tui *t;
	int n;     /* lines so far */
	int top;   /* first line shown */
	int y0, h; /* where the page is on screen */
};

static int page_y(const struct page *p)
{
	return p->n >= p->top && p->n < p->top + p->h ? p->y0 + p->n - p->top : -1;
}

/* a segment of the current line at column x */
static void seg(struct page *p, int x, int cols, const char *text, enum tui_attr a)
{
	int y = page_y(p);

	if (y >= 0)
		tui_put(p->t, y, x, cols, text, a, false);
}

/* a whole line: a label in bold, then text */
static void __attribute__((format(printf, 4, 5)))
line(struct page *p, const char *label, enum tui_attr a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (label) {
		seg(p, IND, LBL, label, TA_BOLD);
		seg(p, IND + LBL, COLS - IND - LBL, buf, a);
	} else {
		seg(p, IND, COLS - IND, buf, a);
	}
	p->n++;
}

static void heading(struct page *p, const char *title)
{
	p->n += p->n > 0; /* a blank line before each section but the first */
	seg(p, 0, COLS, title, TA_GROUP);
	p->n++;
}

/* long text over up to max_lines lines of the page's width */
static void wrapped(struct page *p, const char *label, const char *text, int max_lines)
{
	int w = COLS - IND - LBL, len = (int)strlen(text), off = 0;

	for (int i = 0; i < max_lines && (off < len || i == 0); i++) {
		char part[TUI_TEXT_MAX + 1];
		/* cut by bytes at a character boundary; tui_put measures columns */
		int n = len - off < w ? len - off : w;
		while (n > 0 && off + n < len && ((unsigned char)text[off + n] & 0xc0) == 0x80)
			n--;
		/* at a space when the line has one: words stay whole */
		for (int k = n; off + n < len && k > w / 2; k--)
			if (text[off + k - 1] == ' ') {
				n = k;
				break;
			}
		if (n > TUI_TEXT_MAX)
			n = TUI_TEXT_MAX;
		snprintf(part, sizeof(part), "%.*s", n, text + off);
		line(p, i ? "" : label, TA_NORMAL, "%s", part);
		off += n > 0 ? n : 1;
	}
}

/* ---- findings and their evidence ---- */

/* The detector's evidence lines (evidence.h), one page line each. */
struct ev_page {
	struct page *p;
	char buf[TUI_TEXT_MAX];
	size_t n;
};

static void evp_begin(void *x)
{
	struct ev_page *e = x;

	e->n = 0;
	e->buf[0] = '\0';
}

static void evp_text(void *x, const char *s)
{
	struct ev_page *e = x;

	if (e->n < sizeof(e->buf))
		e->n += (size_t)snprintf(e->buf + e->n, sizeof(e->buf) - e->n, "%s", s);
}

/* a process named in the evidence: hostile, made safe here (textsafe.h) */
static void evp_name(void *x, const char *comm, size_t len, __u32 pid)
{
	char clean[VIGIL_COMM_LEN * 4], name[sizeof(clean) + 16];

	text_sanitize(clean, sizeof(clean), comm, strnlen(comm, len));
	snprintf(name, sizeof(name), "%s[%u]", clean[0] ? clean : "-", pid);
	evp_text(x, name);
}

static void evp_end(void *x)
{
	struct ev_page *e = x;

	line(e->p, "", TA_NORMAL, "%s", e->buf);
}

static void evidence(struct page *p, const struct finding *f)
{
	struct ev_page e = {.p = p};
	struct evidence_lines o = {.ctx = &e, .sites = p->t->sites, .begin = evp_begin, .text = evp_text,
				   .code = evp_text, .name = evp_name, .end = evp_end};

	finding_evidence_lines(f, &o);
}

static void findings_section(struct page *p, const struct tui_row *r)
{
	const struct tui_snap *s = &p->t->snap;
	int shown = 0;

	heading(p, "FINDINGS");
	for (size_t i = 0; i < s->nfindings; i++) {
		const struct finding *f = &s->findings[i];
		char age[16];

		if (f->proc_id != r->id)
			continue;
		shown++;
		__u64 until = f->active ? s->ts : f->last_ts;
		tt_elapsed(age, sizeof(age), f->since_ts <= until ? (double)(until - f->since_ts) / 1e9 : 0);
		line(p, finding_kind_badge(f->kind), f->active ? TA_NORMAL : TA_DIM, "%s, %s %s", f->severity == SEV_CRIT ? "crit" : "warn",
		     f->active ? "active for" : "ended after", age);
		wrapped(p, "", f->summary, 3);
		evidence(p, f);
		if (finding_hint(f))
			wrapped(p, "", finding_hint(f), 3);
	}
	if (!shown)
		line(p, NULL, TA_DIM, "none");
}

/* ---- memory ---- */

static void sparkline(struct page *p, const struct tui_row *r)
{
	double v[TUI_SERIES_MAX], lo, hi;
	unsigned char lv[TUI_SERIES_MAX];
	char text[4 * TUI_SERIES_MAX + 1], a[16], b[16], span[16], step[16];
	int width = COLS - IND - LBL - 1;
	size_t n;

	if (!r->nseries) {
		line(p, "RSS series", TA_DIM, "no RSS record yet");
		return;
	}
	for (unsigned i = 0; i < r->nseries; i++)
		v[i] = r->series[i];
	n = spark_levels(v, r->nseries, width > 0 ? (size_t)width : 1, lv, &lo, &hi);
	spark_text(text, sizeof(text), lv, n, p->t->utf8);
	seg(p, IND, LBL, "RSS series", TA_BOLD);
	seg(p, IND + LBL, COLS - IND - LBL, text, TA_BAR);
	p->n++;
	line(p, "", TA_DIM, "%s..%s over the last %s; a point is the peak of %s", fmt_bytes(a, sizeof(a), lo),
	     fmt_bytes(b, sizeof(b), hi), tt_elapsed(span, sizeof(span), (double)(r->series_t1 - r->series_t0) / 1e9),
	     fmt_ns(step, sizeof(step), (double)r->series_step_ns));
}

static void memory_section(struct page *p, const struct tui_row *r)
{
	const struct agg_mem *m = &r->mem;
	const struct agg_counters *c = &r->tot;
	char b[12][16];

	heading(p, "MEMORY");
	if (r->rss_known)
		line(p, "RSS", TA_NORMAL, "%s now, %s at the start, peak %s; %s per minute", fmt_bytes(b[0], 16, (double)m->rss),
		     fmt_bytes(b[1], 16, (double)m->rss_start), fmt_bytes(b[2], 16, (double)m->rss_peak),
		     tt_signed_bytes(b[3], 16, r->rss_trend_per_min));
	sparkline(p, r);
	line(p, "resident", TA_NORMAL, "anon %s, file %s, shmem %s, swap %s", fmt_bytes(b[0], 16, (double)m->anon),
	     fmt_bytes(b[1], 16, (double)m->file), fmt_bytes(b[2], 16, (double)m->shmem), fmt_bytes(b[3], 16, (double)m->swap));
	line(p, "held", TA_NORMAL, "anon maps %s live (%s untracked), brk heap %s (peak %s)",
	     fmt_bytes(b[0], 16, (double)m->anon_live_bytes), fmt_bytes(b[1], 16, (double)m->anon_untracked_bytes),
	     fmt_bytes(b[2], 16, (double)m->heap_bytes), fmt_bytes(b[3], 16, (double)m->heap_peak_bytes));
	line(p, "calls", TA_NORMAL, "mmap %llu (%s, anon %s), munmap %llu (%s), mremap %llu (%s, %s)",
	     (unsigned long long)c->mmap_calls, fmt_bytes(b[0], 16, (double)c->mmap_bytes),
	     fmt_bytes(b[1], 16, (double)c->mmap_anon_bytes), (unsigned long long)c->munmap_calls,
	     fmt_bytes(b[2], 16, (double)c->munmap_bytes), (unsigned long long)c->mremap_calls,
	     tt_signed_bytes(b[3], 16, (double)c->mremap_grow_bytes), tt_signed_bytes(b[4], 16, -(double)c->mremap_shrink_bytes));
	line(p, "", TA_NORMAL, "brk %llu (%s, %s), dontneed %llu (%s), free %llu (%s), madvise %llu; failed %llu",
	     (unsigned long long)c->brk_calls, tt_signed_bytes(b[5], 16, (double)c->brk_grow_bytes),
	     tt_signed_bytes(b[6], 16, -(double)c->brk_shrink_bytes), (unsigned long long)c->madv_dontneed_calls,
	     fmt_bytes(b[7], 16, (double)c->madv_dontneed_bytes), (unsigned long long)c->madv_free_calls,
	     fmt_bytes(b[8], 16, (double)c->madv_free_bytes), (unsigned long long)c->madv_other_calls,
	     (unsigned long long)c->failed_calls);
	line(p, "faults", TA_NORMAL, "%llu in all (%llu major), %s/s now", (unsigned long long)c->page_faults,
	     (unsigned long long)c->major_faults, fmt_count(b[9], 16, r->faults_per_s));
}

/* the sites that hold the process's memory now, where the trace samples
 * them: the live answer to "which code is growing" */
static void sites_section(struct page *p, const struct tui_row *r)
{
	struct site_summary sum[SITE_SUMMARIES_MAX];
	char b[16];

	if (!p->t->snap.sites)
		return;
	heading(p, "SITES");
	if (!r->nsites) {
		line(p, NULL, TA_DIM, "no live bytes sampled at an allocation site yet");
		return;
	}
	line(p, NULL, TA_DIM, "allocation sites by live bytes now (sampled page faults; share of the process's)");
	size_t n = site_summaries(p->t->sites, r->sites, r->nsites, 3, sum); /* sanitized */
	for (size_t i = 0; i < n; i++)
		line(p, NULL, TA_NORMAL, "%8s %5.1f%%  %s", fmt_bytes(b, sizeof(b), (double)sum[i].bytes),
		     r->sites_total ? 100.0 * (double)sum[i].bytes / (double)r->sites_total : 0, sum[i].line);
}

/* ---- CPU ---- */

static void histogram(struct page *p, const struct tui_row *r)
{
	__u64 max = 0;
	unsigned first = 0;

	for (unsigned i = 0; i < r->rq_nslots; i++)
		if (r->rq_slots[i] > max)
			max = r->rq_slots[i];
	if (!max)
		return;
	while (first < r->rq_nslots && !r->rq_slots[first])
		first++;
	line(p, NULL, TA_DIM, "run-queue waits, whole trace (runqlat's log2 slots)");
	line(p, NULL, TA_BOLD, "%*s : count", 21, "usecs");
	for (unsigned i = first; i < r->rq_nslots; i++) {
		char bar[BAR_MAX + 1], lo[48];
		int n = (int)((double)r->rq_slots[i] * BAR_MAX / (double)max + 0.5);

		memset(bar, '*', (size_t)n);
		bar[n] = '\0';
		snprintf(lo, sizeof(lo), "%llu -> %llu", i ? 1ull << i : 0ull, (2ull << i) - 1);
		line(p, NULL, TA_NORMAL, "%21s : %-8llu |%-*s|", lo, (unsigned long long)r->rq_slots[i], BAR_MAX, bar);
	}
}

static void waited_behind(struct page *p, const struct tui_row *r)
{
	double wait = (double)r->tot.runq_wait_ns;
	char a[16], b[16];

	if (!r->nwb && !r->tot.runq_idle_ns && !r->tot.runq_other_ns)
		return;
	line(p, NULL, TA_DIM, "waited behind: who ran on its CPU while it was runnable (in all, share, this interval)");
	for (unsigned i = 0; i < r->nwb; i++) {
		const struct tui_wb *w = &r->wb[i];
		line(p, NULL, TA_NORMAL, "%7u %-16s %8s %5.1f%% %8s", w->pid, w->comm[0] ? w->comm : "?",
		     fmt_ns(a, sizeof(a), (double)w->ns), wait > 0 ? 100.0 * (double)w->ns / wait : 0,
		     fmt_ns(b, sizeof(b), (double)w->ivl_ns));
	}
	if (r->tot.runq_idle_ns)
		line(p, NULL, TA_NORMAL, "%7s %-16s %8s %5.1f%%", "", "(idle CPU)", fmt_ns(a, sizeof(a), (double)r->tot.runq_idle_ns),
		     wait > 0 ? 100.0 * (double)r->tot.runq_idle_ns / wait : 0);
	if (r->tot.runq_other_ns)
		line(p, NULL, TA_NORMAL, "%7s %-16s %8s %5.1f%%", "", "(others)", fmt_ns(a, sizeof(a), (double)r->tot.runq_other_ns),
		     wait > 0 ? 100.0 * (double)r->tot.runq_other_ns / wait : 0);
}

static void cpu_section(struct page *p, const struct tui_row *r)
{
	const struct agg_counters *c = &r->tot;
	double runnable = (double)(c->on_cpu_ns + c->runq_wait_ns);
	char b[8][16];

	heading(p, "CPU");
	line(p, "now", TA_NORMAL, "%s%% CPU; switches %s/s vol, %s/s invol; run queue p50 %s p99 %s",
	     tt_pct(b[0], 16, r->cpu_pct), fmt_count(b[1], 16, r->vol_per_s), fmt_count(b[2], 16, r->invol_per_s),
	     r->rq_known ? fmt_ns(b[3], 16, r->rq_p50_ns) : "-", r->rq_known ? fmt_ns(b[4], 16, r->rq_p99_ns) : "-");
	line(p, "in all", TA_NORMAL, "on CPU %s, waited %s (%.0f%% of runnable); switches %llu vol, %llu invol",
	     fmt_ns(b[5], 16, (double)c->on_cpu_ns), fmt_ns(b[6], 16, (double)c->runq_wait_ns),
	     runnable > 0 ? 100.0 * (double)c->runq_wait_ns / runnable : 0, (unsigned long long)c->sw_vol,
	     (unsigned long long)c->sw_invol);
	if (r->rq_count)
		line(p, "run queue", TA_NORMAL, "%llu waits: p50 %s, p90 %s, p99 %s, max %s", (unsigned long long)r->rq_count,
		     fmt_ns(b[0], 16, r->rq_p50_all), fmt_ns(b[1], 16, r->rq_p90_all), fmt_ns(b[2], 16, r->rq_p99_all),
		     fmt_ns(b[3], 16, r->rq_max_all));
	histogram(p, r);
	waited_behind(p, r);
}

/* ---- the page ---- */

static void identity(struct page *p, const struct tui_row *r)
{
	const struct tui_snap *s = &p->t->snap;
	char traced[16], age[16], started[32] = "";

	wrapped(p, "command", r->cmdline[0] ? r->cmdline : r->comm, 4);
	tt_elapsed(traced, sizeof(traced),
		   r->first_ts && r->last_ts >= r->first_ts ? (double)(r->last_ts - r->first_ts) / 1e9 : 0);
	if (r->start_ns && r->start_ns <= s->ts)
		snprintf(started, sizeof(started), ", started %s ago",
			 tt_elapsed(age, sizeof(age), (double)(s->ts - r->start_ns) / 1e9));
	line(p, "process", TA_NORMAL, "parent %u, %u thread%s, traced %s%s", r->ppid, r->nthreads,
	     r->nthreads == 1 ? "" : "s", traced, started);
	if (r->exited)
		line(p, "exited", TA_NOTE, "wait status 0x%x (exit code %d%s)", (unsigned)r->exit_code,
		     (r->exit_code >> 8) & 0xff, r->exit_code & 0x7f ? ", killed by a signal" : "");
}

void tui_draw_detail(struct tui *t)
{
	long i = tui_snap_find(&t->snap, t->detail_id);
	const struct tui_row *r = i >= 0 ? &t->snap.rows[i] : NULL;
	char title[TUI_TEXT_MAX];
	struct page p = {.t = t};
	int y = 0;

	tui_draw_header(t, &y);
	if (r)
		snprintf(title, sizeof(title), " PROCESS %u %s  role %s%s", r->pid, r->comm, role_name(r->role),
			 r->exited ? "  (exited)" : "");
	else
		snprintf(title, sizeof(title), " PROCESS gone: no longer in the model (exited and folded)");
	tui_put(t, y++, 0, COLS, title, TA_COLHDR, false);
	p.y0 = y;
	p.h = LINES - y - 1;
	t->detail_h = p.h;
	p.top = t->detail_top;
	if (r) {
		identity(&p, r);
		findings_section(&p, r);
		memory_section(&p, r);
		sites_section(&p, r);
		cpu_section(&p, r);
	}
	t->detail_lines = p.n;
	/* after a resize or a new update the page may be shorter than the scroll */
	if (t->detail_top > 0 && t->detail_top > p.n - p.h) {
		t->detail_top = p.n - p.h > 0 ? p.n - p.h : 0;
		erase();
		tui_draw_detail(t);
		return;
	}
	tui_draw_keybar(t, t->mode == TUI_REPLAY ? " Esc/Enter back  Up/Down PgUp/PgDn scroll  spc pause  . step  ? help  q quit"
						: " Esc/Enter back  Up/Down PgUp/PgDn scroll  p pause  ? help  q quit");
}
