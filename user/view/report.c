// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The report's view model and what its formats share (report_view.h); the
 * formats themselves are sinks (sinks/report_text.c, report_json.c,
 * report_md.c). */
#include "report_view.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "dump_format.h"
#include "evidence.h"
#include "format.h"
#include "hist.h"
#include "pf_source.h"
#include "roles.h"
#include "textsafe.h"

/* ---- hostile text ------------------------------------------------------------ */

/* sanitized text for a terminal */
void put_text(FILE *f, const char *src, size_t srclen)
{
	char buf[1024];
	fputs(text_sanitize(buf, sizeof(buf), src, srclen), f);
}

/* A text table cell: src sanitized, cut to `width` columns without
 * splitting a character, padded with blanks (left-aligned). */
void text_cell(FILE *f, const char *src, size_t srclen, int width)
{
	char buf[VIGIL_CMDLINE_MAX * 2 + 8];
	const unsigned char *s = (const unsigned char *)buf;
	size_t n, i = 0;
	int cols = 0;

	text_sanitize(buf, sizeof(buf), src, srclen);
	if (!buf[0])
		strcpy(buf, "-"); /* a process never named */
	n = strlen(buf);
	while (i < n) {
		uint32_t cp;
		size_t l = text_utf8_next(s + i, n - i, &cp);
		int w = text_cp_width(cp);
		if (cols + w > width)
			break;
		fwrite(s + i, 1, l, f);
		cols += w;
		i += l;
	}
	for (; cols < width; cols++)
		fputc(' ', f);
}

static bool alnum(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* Markdown: sanitized text with everything its inline syntax would
 * interpret backslash-escaped (the same escapes work in table cells).
 * Text never starts a line here, so '#', '>' and list markers are inert;
 * '<' is escaped (no HTML), '[' (no links, no images), '_' only where it
 * could open or close emphasis (GFM ignores it inside words). */
void md_text(FILE *f, const char *src, size_t srclen)
{
	char buf[1024];

	text_sanitize(buf, sizeof(buf), src, srclen);
	for (const char *p = buf; *p; p++) {
		bool intraword = *p == '_' && p > buf && alnum(p[-1]) && alnum(p[1]);
		if (strchr("\\`*_[]<|~&", *p) && !intraword)
			fputc('\\', f);
		fputc(*p, f);
	}
}

/* Markdown code span of sanitized src, at most maxbytes of it (never a
 * split character).  The delimiter is one backtick more than the longest
 * run inside (CommonMark), padded when the text touches a backtick.  In a
 * GFM table a '|' must be written "\|" even inside code; elsewhere that
 * backslash would show, so in_table says which. */
void md_code(FILE *f, const char *src, size_t srclen, size_t maxbytes, bool in_table)
{
	char buf[VIGIL_CMDLINE_MAX * 2 + 8];
	size_t n, full, run = 0, longest = 0;

	if (maxbytes + 1 > sizeof(buf))
		maxbytes = sizeof(buf) - 1;
	/* sanitizing never lengthens, so the whole text fits to measure it */
	full = strlen(text_sanitize(buf, sizeof(buf), src, srclen));
	text_sanitize(buf, maxbytes + 1, src, srclen);
	n = strlen(buf);
	if (!n) {
		fputs("-", f);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		run = buf[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	bool pad = buf[0] == '`' || buf[n - 1] == '`' || (buf[0] == ' ' && buf[n - 1] == ' ');
	for (size_t k = 0; k <= longest; k++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '|' && in_table)
			fputc('\\', f);
		fputc(buf[i], f);
	}
	if (pad)
		fputc(' ', f);
	for (size_t k = 0; k <= longest; k++)
		fputc('`', f);
	if (n < full)
		fputs(" \xe2\x80\xa6", f); /* "…": cut here */
}

/* ---- what the report shows: processes and findings, sorted once ------------- */


/* most severe first: crit, then still active, then the oldest */
static int finding_cmp(const void *x, const void *y)
{
	const struct finding *a = *(const struct finding *const *)x, *b = *(const struct finding *const *)y;

	if (a->severity != b->severity)
		return a->severity == SEV_CRIT ? -1 : 1;
	if (a->active != b->active)
		return a->active ? -1 : 1;
	if (a->since_ts != b->since_ts)
		return a->since_ts < b->since_ts ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	return (int)a->kind - (int)b->kind;
}

/* An interval shows the processes alive in it. */
static bool pview_wanted(const struct report_view *c, const struct agg_proc *p)
{
	return !c->m->interval || !p->exited || p->exit_ts >= c->h->ivl_start_ts;
}

int ctx_init(struct report_view *c, const struct report *r, const struct report_meta *m)
{
	const struct agg *a = r->agg;
	size_t n = agg_nprocs(a);

	memset(c, 0, sizeof(*c));
	c->r = r;
	c->m = m;
	c->h = agg_host(a);
	c->origin = m->origin_ns ? m->origin_ns : c->h->first_ts;
	c->end_ts = c->h->accounted_ts > c->h->last_ts ? c->h->accounted_ts : c->h->last_ts;
	/* the one span rule (pview.h): the caller's duration only without event time */
	c->span_s = pview_span_s(a, m->interval, c->origin, m->duration_s);

	c->pv = calloc(n ? n : 1, sizeof(*c->pv));
	c->fs = calloc(r->nfindings ? r->nfindings : 1, sizeof(*c->fs));
	if (!c->pv || !c->fs)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		if (p && pview_wanted(c, p))
			pview_fill(&c->pv[c->npv++], p, m->interval, c->span_s);
	}
	qsort(c->pv, c->npv, sizeof(*c->pv), pview_cmp);
	for (size_t i = 0; i < r->nfindings; i++)
		if (r->findings[i])
			c->fs[c->nfs++] = r->findings[i];
	qsort(c->fs, c->nfs, sizeof(*c->fs), finding_cmp);
	return 0;
}

void ctx_free(struct report_view *c)
{
	free(c->pv);
	free(c->fs);
}

double rel_s(const struct report_view *c, __u64 ts)
{
	return ts > c->origin ? (double)(ts - c->origin) / 1e9 : 0.0;
}

/* round to `digits` decimals: reports carry what the data can support */
double rnd(double v, int digits)
{
	double k = pow(10, digits);
	return isfinite(v) ? round(v * k) / k : v;
}

double ns_to_us(__u64 ns)
{
	return (double)ns / 1e3;
}

/* wall time of the trace start: ISO 8601 UTC (JSON) or local with offset */
bool wall_str(const struct report_view *c, char *buf, size_t len, bool utc)
{
	struct tm tm;
	time_t t;

	if (!c->m->real_ns)
		return false;
	t = (time_t)(c->m->real_ns / 1000000000ull);
	if (utc) {
		char s[32];
		if (!gmtime_r(&t, &tm))
			return false;
		strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%03uZ", s, (unsigned)(c->m->real_ns % 1000000000ull / 1000000));
		return true;
	}
	if (!localtime_r(&t, &tm))
		return false;
	strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm);
	return true;
}

/* a host counter over the span reported: since the interval's base, or all */
__u64 in_span(const struct report_view *c, __u64 tot, __u64 base)
{
	return c->m->interval ? tot - base : tot;
}

__u64 ev_total(const struct report_view *c)
{
	return in_span(c, c->h->tot.events, c->h->base.events);
}

__u64 ev_lost(const struct report_view *c)
{
	return in_span(c, c->h->tot.lost, c->h->base.lost);
}

__u64 ev_by_type(const struct report_view *c, unsigned t)
{
	return in_span(c, c->h->tot.by_type[t], c->h->base.by_type[t]);
}

/* records per second of the span */
double ev_rate(const struct report_view *c)
{
	return c->span_s > 0 ? ev_total(c) / c->span_s : 0.0;
}

/* vigil's own CPU time as a share of the span, in % */
double self_cpu_pct(const struct report_view *c, const struct report_self *s)
{
	return c->span_s > 0 ? 100 * s->cpu_s / c->span_s : 0.0;
}

/* the CPU count the metadata gives, else the one the stream showed */
unsigned host_ncpus(const struct report_view *c)
{
	return c->m->ncpus ? c->m->ncpus : c->h->ncpus;
}

const char *dump_error(const struct report_dump *d)
{
	return d->error ? d->error : "unknown";
}

const char *sev_label(const struct finding *f)
{
	return f->severity == SEV_CRIT ? "CRIT" : "WARN";
}

const char *str0(const char *s)
{
	return s ? s : "";
}

/* ---- text and Markdown: shared pieces ------------------------------------------ */


/* "comm[pid]" (text) or "`comm` (pid)" (Markdown) */
void put_name(FILE *f, enum style st, const char *comm, size_t len, __u32 pid, bool in_table)
{
	char buf[VIGIL_COMM_LEN * 2];

	if (st == ST_MD) {
		md_code(f, comm, len, VIGIL_COMM_LEN, in_table);
		fprintf(f, " (%u)", pid);
	} else {
		text_sanitize(buf, sizeof(buf), comm, len);
		fprintf(f, "%s[%u]", buf[0] ? buf : "-", pid);
	}
}


/* one item per line: "- " bullets in Markdown, indented dashes in text */
void item_start(struct items *it)
{
	if (it->st == ST_TEXT)
		fputs(it->indent, it->f);
	fputs("- ", it->f);
	it->n++;
}

void item_end(struct items *it)
{
	fputc('\n', it->f);
}

void item(struct items *it, const char *fmt, ...)
{
	va_list ap;

	item_start(it);
	va_start(ap, fmt);
	vfprintf(it->f, fmt, ap);
	va_end(ap);
	item_end(it);
}


/* The detector's evidence lines (evidence.h) as items */
static void it_begin(void *x)
{
	item_start(x);
}

static void it_text(void *x, const char *s)
{
	fputs(s, ((struct items *)x)->f);
}

static void it_code(void *x, const char *s)
{
	struct items *it = x;

	if (it->st == ST_MD)
		md_code(it->f, s, strlen(s), 512, false);
	else
		fputs(s, it->f);
}

static void it_name(void *x, const char *comm, size_t len, __u32 pid)
{
	struct items *it = x;

	put_name(it->f, it->st, comm, len, pid, false);
}

static void it_end(void *x)
{
	item_end(x);
}

void finding_items(struct items *it, const struct finding *f)
{
	struct evidence_lines o = {.ctx = it, .sites = it->sites, .begin = it_begin, .text = it_text, .code = it_code,
				   .name = it_name, .end = it_end};
	const char *hint = finding_hint(f);

	finding_evidence_lines(f, &o);
	if (hint) {
		item_start(it);
		fputs("hint: ", it->f);
		if (it->st == ST_MD)
			md_text(it->f, hint, 1024);
		else
			put_text(it->f, hint, 1024);
		item_end(it);
	}
}

/* rows of a role shown in text and md: all, but "other" only the busiest */
size_t role_rows(const struct report_view *c, unsigned role, size_t *first, size_t *count)
{
	size_t i = 0, n = 0;

	while (i < c->npv && role_rank(c->pv[i].p->role) < role_rank(role))
		i++;
	*first = i;
	while (i + n < c->npv && role_rank(c->pv[i + n].p->role) == role_rank(role))
		n++;
	*count = n;
	if (role == ROLE_OTHER) {
		size_t max = c->m->max_other_rows ? c->m->max_other_rows : DEFAULT_OTHER_ROWS;
		return n < max ? n : max;
	}
	return n;
}

const unsigned role_order[ROLE_ORDER_N] = {ROLE_ASR, ROLE_AVATAR, ROLE_CAMERA, ROLE_OTHER};

/* exit state in a few characters: "run", "exit 0", "sig 9" */
const char *state_str(char *b, size_t l, const struct agg_proc *p)
{
	if (!p->exited)
		snprintf(b, l, "run");
	else if (WIFSIGNALED(p->exit_code))
		snprintf(b, l, "sig %d", WTERMSIG(p->exit_code));
	else
		snprintf(b, l, "exit %d", WEXITSTATUS(p->exit_code));
	return b;
}

void rq_strs(const struct pview *v, char *p50, char *p99, char *max, size_t l)
{
	if (!hist_count(v->runq)) {
		snprintf(p50, l, "-");
		snprintf(p99, l, "-");
		snprintf(max, l, "-");
		return;
	}
	fmt_ns(p50, l, hist_percentile(v->runq, 50));
	fmt_ns(p99, l, hist_percentile(v->runq, 99));
	fmt_ns(max, l, hist_max(v->runq));
}

void rss_strs(const struct pview *v, char *s, char *e, char *pk, size_t l)
{
	if (!v->p->mem.rss_first_ts) {
		snprintf(s, l, "-");
		snprintf(e, l, "-");
		snprintf(pk, l, "-");
		return;
	}
	fmt_bytes(s, l, v->p->mem.rss_start);
	fmt_bytes(e, l, v->p->mem.rss);
	fmt_bytes(pk, l, v->p->mem.rss_peak);
}

/* the holder is another thread of the same process (threads competing) */
bool own_thread(const struct pview *v, unsigned i)
{
	return v->wb[i].pid == v->p->pid;
}


struct role_sum role_sum(const struct report_view *c, size_t first, size_t n)
{
	struct role_sum s = {0};

	for (size_t i = first; i < first + n; i++) {
		s.cpu_pct += c->pv[i].cpu_pct;
		if (!c->pv[i].p->exited)
			s.rss += c->pv[i].p->mem.rss;
		s.wait_ns += c->pv[i].c.runq_wait_ns;
	}
	return s;
}

/* Processes that became targets mid-life (text and Markdown say it the
 * same way): their numbers are not their whole life's. */
void late_targets(FILE *f, const struct report_view *c, const char *lead, const char *after)
{
	bool any = false;

	for (size_t i = 0; i < c->npv; i++) {
		const struct agg_proc *p = c->pv[i].p;
		char comm[VIGIL_COMM_LEN * 4 + 1];

		if (!p->late)
			continue;
		text_sanitize(comm, sizeof(comm), p->comm, strnlen(p->comm, sizeof(p->comm)));
		if (!any)
			fputc('\n', f);
		any = true;
		fprintf(f, "%spid %u %s (%s) became a target at +%.3f s, after renaming itself or changing "
			"its command line: its numbers count from then on\n", lead, p->pid, comm,
			role_name(p->role), rel_s(c, p->target_since_ts));
	}
	if (any)
		fputs(after, f);
}

/* ---- entry points ---------------------------------------------------------------- */

void report_meta_from_host(struct report_meta *m, const struct dump_host *h)
{
	m->kernel = h->kernel;
	m->arch = h->arch;
	m->hostname = h->hostname;
	m->ncpus = h->ncpus;
	m->page_size = h->page_size;
	m->origin_ns = h->mono_ns;
	m->real_ns = h->real_ns;
	m->sources = h->sources;
	m->pf_source = pf_source_key((int)h->pf_source);
}
