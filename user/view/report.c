// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Text, JSON and Markdown reports over the model (report.h). */
#include "report.h"
#include "ksources.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "agg.h"
#include "decode.h"
#include "detect.h"
#include "dump_format.h"
#include "format.h"
#include "hist.h"
#include "json.h"
#include "pf_source.h"
#include "pview.h"
#include "roles.h"
#include "targets.h"
#include "textsafe.h"

#define METHOD "measured by the kernel via BPF tracepoints"
#define DEFAULT_OTHER_ROWS 15
#define MALLOC_TRIM_HINT                                                                      \
	"the allocator keeps memory the program freed: call malloc_trim(0) after the burst "  \
	"(glibc), or lower M_TRIM_THRESHOLD / M_MMAP_THRESHOLD (MALLOC_TRIM_THRESHOLD_, "     \
	"MALLOC_MMAP_THRESHOLD_) or cap arenas (MALLOC_ARENA_MAX)"

/* What to do about a finding: the detector's advice; retention always has
 * the allocator's (NULL: none). */
static const char *finding_hint(const struct finding *f)
{
	if (f->hint)
		return f->hint;
	return f->kind == FIND_RETENTION ? MALLOC_TRIM_HINT : NULL;
}

/* ---- hostile text ------------------------------------------------------------ */

/* sanitized text for a terminal */
static void put_text(FILE *f, const char *src, size_t srclen)
{
	char buf[1024];
	fputs(text_sanitize(buf, sizeof(buf), src, srclen), f);
}

/* A text table cell: src sanitized, cut to `width` columns without
 * splitting a character, padded with blanks (left-aligned). */
static void text_cell(FILE *f, const char *src, size_t srclen, int width)
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
static void md_text(FILE *f, const char *src, size_t srclen)
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
static void md_code(FILE *f, const char *src, size_t srclen, size_t maxbytes, bool in_table)
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

struct ctx {
	const struct report *r;
	const struct report_meta *m;
	const struct agg_host *h;
	__u64 origin;  /* since_s and every *_s time are from here */
	__u64 end_ts;  /* the last moment the numbers cover */
	double span_s; /* the span the counters cover */
	struct pview *pv;
	size_t npv;
	const struct finding **fs;
	size_t nfs;
};

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
static bool pview_wanted(const struct ctx *c, const struct agg_proc *p)
{
	return !c->m->interval || !p->exited || p->exit_ts >= c->h->ivl_start_ts;
}

static int ctx_init(struct ctx *c, const struct report *r, const struct report_meta *m)
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

static void ctx_free(struct ctx *c)
{
	free(c->pv);
	free(c->fs);
}

static double rel_s(const struct ctx *c, __u64 ts)
{
	return ts > c->origin ? (double)(ts - c->origin) / 1e9 : 0.0;
}

/* round to `digits` decimals: reports carry what the data can support */
static double rnd(double v, int digits)
{
	double k = pow(10, digits);
	return isfinite(v) ? round(v * k) / k : v;
}

static double ns_to_us(__u64 ns)
{
	return (double)ns / 1e3;
}

/* wall time of the trace start: ISO 8601 UTC (JSON) or local with offset */
static bool wall_str(const struct ctx *c, char *buf, size_t len, bool utc)
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
static __u64 in_span(const struct ctx *c, __u64 tot, __u64 base)
{
	return c->m->interval ? tot - base : tot;
}

static __u64 ev_total(const struct ctx *c)
{
	return in_span(c, c->h->tot.events, c->h->base.events);
}

static __u64 ev_lost(const struct ctx *c)
{
	return in_span(c, c->h->tot.lost, c->h->base.lost);
}

static __u64 ev_by_type(const struct ctx *c, unsigned t)
{
	return in_span(c, c->h->tot.by_type[t], c->h->base.by_type[t]);
}

/* records per second of the span */
static double ev_rate(const struct ctx *c)
{
	return c->span_s > 0 ? ev_total(c) / c->span_s : 0.0;
}

/* vigil's own CPU time as a share of the span, in % */
static double self_cpu_pct(const struct ctx *c, const struct report_self *s)
{
	return c->span_s > 0 ? 100 * s->cpu_s / c->span_s : 0.0;
}

/* the CPU count the metadata gives, else the one the stream showed */
static unsigned host_ncpus(const struct ctx *c)
{
	return c->m->ncpus ? c->m->ncpus : c->h->ncpus;
}

static const char *dump_error(const struct report_dump *d)
{
	return d->error ? d->error : "unknown";
}

static const char *sev_label(const struct finding *f)
{
	return f->severity == SEV_CRIT ? "CRIT" : "WARN";
}

static const char *str0(const char *s)
{
	return s ? s : "";
}

/* ---- JSON ---------------------------------------------------------------------- */

/* "key": { ... } on one line; closed with json_end() */
static void j_inline_obj(struct json *j, const char *key)
{
	json_key(j, key);
	json_obj_inline(j);
}

static void j_hist_us(struct json *j, const char *key, const struct hist *h)
{
	j_inline_obj(j, key);
	json_kv_u64(j, "count", hist_count(h));
	json_kv_num(j, "p50", ns_to_us(hist_percentile(h, 50)));
	json_kv_num(j, "p90", ns_to_us(hist_percentile(h, 90)));
	json_kv_num(j, "p99", ns_to_us(hist_percentile(h, 99)));
	json_kv_num(j, "max", ns_to_us(hist_max(h)));
	json_kv_num(j, "min", ns_to_us(hist_min(h)));
	json_kv_num(j, "mean", rnd(hist_mean(h) / 1e3, 3));
	json_end(j);
}

static void j_calls(struct json *j, const char *key, __u64 calls, const char *bkey, __u64 bytes)
{
	j_inline_obj(j, key);
	json_kv_u64(j, "calls", calls);
	json_kv_u64(j, bkey, bytes);
	json_end(j);
}

static void j_holder(struct json *j, __u32 pid, const char *comm, __u64 ns)
{
	json_obj_inline(j);
	json_kv_u64(j, "pid", pid);
	json_kv_strn(j, "comm", comm, VIGIL_COMM_LEN);
	json_kv_u64(j, "ns", ns);
	json_end(j);
}

static void j_cpu(struct json *j, const struct ctx *c, const struct pview *v)
{
	const struct agg_proc *p = v->p;

	json_kv_obj(j, "cpu");
	json_kv_u64(j, "on_cpu_ns", v->c.on_cpu_ns);
	json_kv_num(j, "cpu_pct", rnd(v->cpu_pct, 2));
	json_kv_u64(j, "runq_wait_ns", v->c.runq_wait_ns);
	json_kv_num(j, "wait_share", rnd(v->wait_share, 4));
	j_hist_us(j, "runq_latency_us", v->runq);
	if (!c->m->interval) {
		/* the split exists over the whole trace only */
		j_hist_us(j, "runq_latency_wakeup_us", &p->runq_wakeup);
		j_hist_us(j, "runq_latency_preempt_us", &p->runq_preempt);
	}
	j_inline_obj(j, "switches");
	json_kv_u64(j, "voluntary", v->c.sw_vol);
	json_kv_u64(j, "involuntary", v->c.sw_invol);
	json_end(j);
	json_kv_arr(j, "waited_behind");
	for (unsigned i = 0; i < v->nwb; i++)
		j_holder(j, v->wb[i].pid, v->wb[i].comm, v->wb[i].ns);
	json_end(j);
	json_kv_u64(j, "waited_behind_other_ns", v->c.runq_other_ns);
	json_kv_u64(j, "waited_idle_ns", v->c.runq_idle_ns);
	json_end(j);
}

static void j_rss_series(struct json *j, const struct ctx *c, const struct agg_rss_series *s)
{
	json_kv_obj(j, "rss_series");
	json_kv_num(j, "step_s", rnd(s->step_ns / 1e9, 3));
	json_kv_arr(j, "points"); /* [t_s, min, max, last] */
	for (unsigned i = 0; s->pts && i < s->n; i++) {
		json_arr_inline(j);
		json_num(j, rnd(rel_s(c, s->pts[i].ts), 3));
		json_u64(j, s->pts[i].min);
		json_u64(j, s->pts[i].max);
		json_u64(j, s->pts[i].last);
		json_end(j);
	}
	json_end(j);
	json_end(j);
}

static void j_mem(struct json *j, const struct ctx *c, const struct pview *v)
{
	const struct agg_counters *k = &v->c;
	const struct agg_mem *m = &v->p->mem;

	json_kv_obj(j, "mem");
	json_kv_u64(j, "page_faults", k->page_faults);
	json_kv_u64(j, "major_faults", k->major_faults);
	j_inline_obj(j, "mmap");
	json_kv_u64(j, "calls", k->mmap_calls);
	json_kv_u64(j, "bytes", k->mmap_bytes);
	json_kv_u64(j, "anon_bytes", k->mmap_anon_bytes);
	json_end(j);
	j_calls(j, "munmap", k->munmap_calls, "bytes", k->munmap_bytes);
	json_kv_obj(j, "brk");
	json_kv_u64(j, "calls", k->brk_calls);
	json_kv_u64(j, "growth_bytes", k->brk_grow_bytes);
	json_kv_u64(j, "shrink_bytes", k->brk_shrink_bytes);
	json_kv_u64(j, "heap_bytes", m->heap_bytes);
	json_kv_u64(j, "heap_peak_bytes", m->heap_peak_bytes);
	json_end(j);
	j_inline_obj(j, "mremap");
	json_kv_u64(j, "calls", k->mremap_calls);
	json_kv_u64(j, "grow_bytes", k->mremap_grow_bytes);
	json_kv_u64(j, "shrink_bytes", k->mremap_shrink_bytes);
	json_end(j);
	json_kv_obj(j, "madvise");
	j_calls(j, "dontneed", k->madv_dontneed_calls, "bytes", k->madv_dontneed_bytes);
	j_calls(j, "free", k->madv_free_calls, "bytes", k->madv_free_bytes);
	j_calls(j, "other", k->madv_other_calls, "bytes", k->madv_other_bytes);
	json_end(j);
	json_kv_u64(j, "failed_calls", k->failed_calls);
	json_kv_u64(j, "anon_mapped_bytes", m->anon_live_bytes);
	json_kv_bool(j, "rss_known", m->rss_first_ts != 0);
	json_kv_u64(j, "rss_start_bytes", m->rss_start);
	json_kv_u64(j, "rss_end_bytes", m->rss);
	json_kv_u64(j, "rss_peak_bytes", m->rss_peak);
	if (m->rss_peak_ts)
		json_kv_num(j, "rss_peak_s", rnd(rel_s(c, m->rss_peak_ts), 3));
	else
		json_kv_null(j, "rss_peak_s");
	j_inline_obj(j, "rss_now");
	json_kv_u64(j, "anon_bytes", m->anon);
	json_kv_u64(j, "file_bytes", m->file);
	json_kv_u64(j, "shmem_bytes", m->shmem);
	json_kv_u64(j, "swap_bytes", m->swap);
	json_end(j);
	json_kv_u64(j, "rss_samples", k->rss_samples);
	if (!c->m->interval)
		j_rss_series(j, c, &v->p->rss);
	json_end(j);
}

static void j_proc(struct json *j, const struct ctx *c, const struct pview *v)
{
	const struct agg_proc *p = v->p;

	json_obj(j);
	json_kv_u64(j, "pid", p->pid);
	json_kv_u64(j, "ppid", p->ppid);
	json_kv_strn(j, "comm", p->comm, sizeof(p->comm));
	json_kv_strn(j, "cmdline", p->cmdline, sizeof(p->cmdline));
	json_kv_str(j, "role", role_name(p->role));
	json_kv_u64(j, "id", p->id);
	json_kv_u64(j, "threads", p->nthreads);
	/* process start: negative when it started before the trace; left
	 * out when the stream never said (no EV_PROC start time) */
	if (p->start_ns)
		json_kv_num(j, "start_s", rnd(((double)p->start_ns - (double)c->origin) / 1e9, 6));
	json_kv_num(j, "first_s", rnd(rel_s(c, p->first_ts), 6));
	/* a process that became a target mid-life: counted from then on */
	if (p->late)
		json_kv_num(j, "target_since_s", rnd(rel_s(c, p->target_since_ts), 6));
	json_kv_num(j, "last_s", rnd(rel_s(c, p->last_ts), 6));
	json_kv_bool(j, "exited", p->exited);
	if (p->exited) {
		int st = p->exit_code;
		json_kv_num(j, "exit_s", rnd(rel_s(c, p->exit_ts), 6));
		json_kv_i64(j, "exit_code", st); /* raw wait status */
		if (WIFSIGNALED(st))
			json_kv_i64(j, "exit_signal", WTERMSIG(st));
		else
			json_kv_i64(j, "exit_status", WEXITSTATUS(st));
	}
	j_cpu(j, c, v);
	j_mem(j, c, v);
	json_end(j);
}

static void j_evidence(struct json *j, const struct ctx *c, const struct finding *f)
{
	json_kv_obj(j, "evidence");
	switch (f->kind) {
	case FIND_LEAK:
		json_kv_str(j, "shape", f->ev.leak.shape == LEAK_STEPWISE ? "stepwise" : "linear");
		json_kv_num(j, "rate_bytes_per_s", rnd(f->ev.leak.rate_bytes_per_s, 1));
		json_kv_u64(j, "rss_from_bytes", f->ev.leak.rss_from);
		json_kv_u64(j, "rss_to_bytes", f->ev.leak.rss_to);
		json_kv_i64(j, "brk_growth_bytes", f->ev.leak.brk_growth);
		json_kv_i64(j, "anon_map_growth_bytes", f->ev.leak.anon_map_growth);
		json_kv_i64(j, "file_growth_bytes", f->ev.leak.file_growth);
		json_kv_i64(j, "shmem_growth_bytes", f->ev.leak.shmem_growth);
		json_kv_i64(j, "anon_growth_bytes", f->ev.leak.anon_growth);
		json_kv_u64(j, "steps", f->ev.leak.steps);
		break;
	case FIND_RETENTION:
		json_kv_u64(j, "rss_bytes", f->ev.retention.rss_bytes);
		json_kv_u64(j, "floor_bytes", f->ev.retention.floor_bytes);
		json_kv_u64(j, "retained_bytes", f->ev.retention.retained_bytes);
		json_kv_u64(j, "heap_bytes", f->ev.retention.heap_bytes);
		json_kv_u64(j, "heap_peak_bytes", f->ev.retention.heap_peak_bytes);
		json_kv_u64(j, "given_back_bytes", f->ev.retention.given_back_bytes);
		json_kv_i64(j, "anon_growth_bytes", f->ev.retention.anon_growth);
		json_kv_i64(j, "anon_map_growth_bytes", f->ev.retention.anon_map_growth);
		json_kv_num(j, "idle_s", rnd(f->ev.retention.idle_s, 3));
		break;
	case FIND_CONTENTION:
		json_kv_num(j, "wait_share", rnd(f->ev.contention.wait_share, 4));
		json_kv_num(j, "runq_p99_ms", rnd(f->ev.contention.p99_ms, 3));
		json_kv_num(j, "budget_ms", rnd(f->ev.contention.budget_ms, 3));
		json_kv_num(j, "wait_share_max", rnd(f->ev.contention.wait_share_max, 4));
		json_kv_u64(j, "runnable_ns", f->ev.contention.runnable_ns);
		json_kv_u64(j, "wait_ns", f->ev.contention.wait_ns);
		json_kv_u64(j, "waits", f->ev.contention.nwaits);
		if (f->ev.contention.to_ts) {
			json_kv_num(j, "from_s", rnd(rel_s(c, f->ev.contention.from_ts), 3));
			json_kv_num(j, "to_s", rnd(rel_s(c, f->ev.contention.to_ts), 3));
		}
		json_kv_u64(j, "wakeup_wait_ns", f->ev.contention.wakeup_wait_ns);
		json_kv_u64(j, "preempt_wait_ns", f->ev.contention.preempt_wait_ns);
		json_kv_num(j, "runnable_avg", rnd(f->ev.contention.runnable_avg, 3));
		json_kv_u64(j, "ncpus", f->ev.contention.ncpus);
		json_kv_arr(j, "behind");
		for (unsigned i = 0; i < f->ev.contention.nbehind && i < FINDING_BEHIND_MAX; i++)
			j_holder(j, f->ev.contention.behind[i].pid, f->ev.contention.behind[i].comm,
				 f->ev.contention.behind[i].ns);
		json_end(j);
		break;
	default:
		break;
	}
	json_end(j);
}

static void j_finding(struct json *j, const struct ctx *c, const struct finding *f)
{
	json_obj(j);
	json_kv_str(j, "kind", finding_kind_name(f->kind));
	json_kv_u64(j, "pid", f->pid);
	json_kv_strn(j, "comm", f->comm, sizeof(f->comm));
	json_kv_str(j, "role", role_name(f->role));
	json_kv_str(j, "scope", f->pid ? "process" : "host");
	json_kv_str(j, "severity", finding_severity_name(f->severity));
	json_kv_num(j, "since_s", rnd(rel_s(c, f->since_ts), 3));
	json_kv_num(j, "raised_s", rnd(rel_s(c, f->raised_ts), 3));
	json_kv_num(j, "last_s", rnd(rel_s(c, f->last_ts), 3));
	json_kv_bool(j, "active", f->active);
	json_kv_num(j, "confidence", rnd(f->confidence, 3));
	json_kv_strn(j, "summary", f->summary, sizeof(f->summary));
	json_kv_str(j, "hint", finding_hint(f));
	j_evidence(j, c, f);
	json_end(j);
}

/* only the active sources: what was missing is what the list lacks */
static void j_source(const char *name, int active, void *j)
{
	if (active)
		json_str(j, name);
}

static void j_host(struct json *j, const struct ctx *c)
{
	json_kv_obj(j, "host");
	json_kv_str(j, "kernel", str0(c->m->kernel));
	json_kv_str(j, "arch", str0(c->m->arch));
	json_kv_u64(j, "ncpus", host_ncpus(c));
	json_kv_str(j, "hostname", str0(c->m->hostname));
	json_kv_u64(j, "page_size", c->m->page_size);
	if (c->m->pf_source)
		json_kv_str(j, "page_fault_source", c->m->pf_source);
	if (c->m->sources) {
		json_kv_arr(j, "sources");
		ksources_each(c->m->sources, j_source, j);
		json_end(j);
	}
	json_kv_num(j, "runnable_avg", rnd(agg_runnable_avg(c->r->agg, c->m->interval), 3));
	json_end(j);
}

static void j_events(struct json *j, const struct ctx *c)
{
	json_kv_obj(j, "events");
	json_kv_u64(j, "total", ev_total(c));
	json_kv_u64(j, "lost", ev_lost(c));
	json_kv_obj(j, "by_type");
	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		json_kv_u64(j, ev_type_name(t), ev_by_type(c, t));
	json_end(j);
	json_kv_u64(j, "bad_records", c->h->tot.bad_records);
	json_kv_num(j, "per_s", rnd(ev_rate(c), 1));
	json_end(j);
}

static void j_drops(struct json *j, const struct agg_drops *d)
{
	json_kv_obj(j, "drops");
	json_kv_u64(j, "procs", d->procs);
	json_kv_u64(j, "threads", d->threads);
	json_kv_u64(j, "exited_folded", d->exited_folded);
	json_kv_u64(j, "names", d->names);
	json_kv_u64(j, "cpus", d->cpus);
	json_kv_u64(j, "sched_mismatch", d->sched_mismatch);
	json_kv_u64(j, "wb_evicted", d->wb_evicted);
	json_kv_u64(j, "anon_untracked", d->anon_untracked);
	json_kv_u64(j, "rss_downsample", d->rss_downsample);
	json_end(j);
}

static void j_dump(struct json *j, const struct report_dump *d)
{
	json_kv_obj(j, "dump");
	json_kv_str(j, "path", str0(d->path));
	json_kv_bool(j, "complete", d->complete);
	if (d->complete) {
		json_kv_null(j, "error");
		json_kv_null(j, "offset");
	} else {
		json_kv_str(j, "error", dump_error(d));
		json_kv_u64(j, "offset", d->offset);
	}
	json_kv_u64(j, "chunks", d->chunks);
	json_kv_u64(j, "events", d->events);
	json_end(j);
}

static void j_self(struct json *j, const struct ctx *c, const struct report_self *s)
{
	json_kv_obj(j, "vigil");
	json_kv_u64(j, "produced", s->produced);
	json_kv_u64(j, "received", s->received);
	json_kv_u64(j, "lost", s->lost);
	json_kv_u64(j, "pending", s->pending);
	json_kv_u64(j, "malformed", s->malformed);
	json_kv_num(j, "cpu_s", rnd(s->cpu_s, 4));
	json_kv_num(j, "cpu_pct", rnd(self_cpu_pct(c, s), 3));
	json_kv_u64(j, "max_rss_bytes", s->max_rss_bytes);
	if (s->bpf_cpu_pct >= 0) {
		json_kv_num(j, "bpf_cpu_pct", rnd(s->bpf_cpu_pct, 3));
		json_kv_num(j, "bpf_ns_per_run", rnd(s->bpf_ns_per_run, 1));
	}
	json_end(j);
}

/* processes agg_reap() folded away: what they added, per role */
static void j_folded(struct json *j, const struct ctx *c)
{
	json_kv_obj(j, "exited_folded");
	for (unsigned r = 0; r < ROLE_COUNT; r++) {
		const struct agg_role_total *t = &c->h->exited[r];
		if (!t->procs)
			continue;
		json_kv_obj(j, role_name(r));
		json_kv_u64(j, "processes", t->procs);
		json_kv_u64(j, "on_cpu_ns", t->c.on_cpu_ns);
		json_kv_u64(j, "runq_wait_ns", t->c.runq_wait_ns);
		json_kv_u64(j, "voluntary", t->c.sw_vol);
		json_kv_u64(j, "involuntary", t->c.sw_invol);
		json_kv_u64(j, "page_faults", t->c.page_faults);
		json_kv_u64(j, "mmap_bytes", t->c.mmap_bytes);
		json_kv_u64(j, "munmap_bytes", t->c.munmap_bytes);
		json_kv_u64(j, "brk_growth_bytes", t->c.brk_grow_bytes);
		json_end(j);
	}
	json_end(j);
}

static void j_report(struct json *j, const struct ctx *c)
{
	char wall[48];

	json_obj(j);
	json_kv_u64(j, "vigil_report", 1);
	json_kv_str(j, "span", c->m->interval ? "interval" : "trace");
	if (c->m->live_line)
		json_kv_bool(j, "final", c->m->final);
	json_kv_num(j, "duration_s", rnd(c->span_s, 6));
	if (c->m->interval)
		json_kv_num(j, "elapsed_s", rnd(c->m->elapsed_s, 3));
	json_kv_str(j, "method", METHOD);
	json_kv_obj(j, "start");
	json_kv_u64(j, "mono_ns", c->origin);
	if (wall_str(c, wall, sizeof(wall), true))
		json_kv_str(j, "wall", wall);
	else
		json_kv_null(j, "wall");
	json_end(j);
	j_host(j, c);
	j_events(j, c);
	if (c->m->dump)
		j_dump(j, c->m->dump);
	if (c->m->self)
		j_self(j, c, c->m->self);
	j_drops(j, &c->h->drops);
	json_kv_arr(j, "processes");
	for (size_t i = 0; i < c->npv; i++)
		j_proc(j, c, &c->pv[i]);
	json_end(j);
	j_folded(j, c);
	json_kv_arr(j, "findings");
	for (size_t i = 0; i < c->nfs; i++)
		j_finding(j, c, c->fs[i]);
	json_end(j);
	json_kv_u64(j, "findings_dropped", c->r->findings_dropped);
	json_end(j);
}

/* ---- text and Markdown: shared pieces ------------------------------------------ */

enum style { ST_TEXT, ST_MD };

/* "comm[pid]" (text) or "`comm` (pid)" (Markdown) */
static void put_name(FILE *f, enum style st, const char *comm, size_t len, __u32 pid, bool in_table)
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

/* Evidence as items: one line joined by "; " (text) or bullets (md). */
struct items {
	FILE *f;
	enum style st;
	unsigned n;
	const char *indent;
};

static void item(struct items *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* one item per line: "- " bullets in Markdown, indented dashes in text */
static void item_start(struct items *it)
{
	if (it->st == ST_TEXT)
		fputs(it->indent, it->f);
	fputs("- ", it->f);
	it->n++;
}

static void item_end(struct items *it)
{
	fputc('\n', it->f);
}

static void item(struct items *it, const char *fmt, ...)
{
	va_list ap;

	item_start(it);
	va_start(ap, fmt);
	vfprintf(it->f, fmt, ap);
	va_end(ap);
	item_end(it);
}


static const char *sbytes(char *b, size_t l, double v)
{
	return fmt_bytes(b, l, v);
}

/* signed growth: "+1.2G" */
static const char *sgrowth(char *b, size_t l, __s64 v)
{
	char t[16];
	snprintf(b, l, "%s%s", v > 0 ? "+" : "", fmt_bytes(t, sizeof(t), (double)v));
	return b;
}

static void leak_items(struct items *it, const struct finding *f)
{
	char a[16], b[16], r[16], g[4][24];
	const char *what[4] = {"brk heap", "anonymous mappings", "file pages", "shmem"};
	__s64 v[4] = {f->ev.leak.brk_growth, f->ev.leak.anon_map_growth, f->ev.leak.file_growth,
		      f->ev.leak.shmem_growth};
	unsigned shown = 0;

	item(it, "RSS %s -> %s, growing %s/min (%s%s)", sbytes(a, sizeof(a), f->ev.leak.rss_from),
	     sbytes(b, sizeof(b), f->ev.leak.rss_to), sbytes(r, sizeof(r), f->ev.leak.rate_bytes_per_s * 60),
	     f->ev.leak.shape == LEAK_STEPWISE ? "stepwise" : "linear", "");
	if (f->ev.leak.shape == LEAK_STEPWISE && f->ev.leak.steps)
		item(it, "%u rising floors: each task leaves memory behind", f->ev.leak.steps);
	for (unsigned i = 0; i < 4; i++) {
		if (!v[i])
			continue;
		if (!shown++) {
			item_start(it);
			fputs("what grows: ", it->f);
		} else {
			fputs(", ", it->f);
		}
		fprintf(it->f, "%s %s", what[i], sgrowth(g[i], sizeof(g[i]), v[i]));
	}
	if (shown)
		item_end(it);
}

static void retention_items(struct items *it, const struct finding *f)
{
	char a[16], b[16], c[16], d[16], e[16];

	item(it, "resident %s, %s above the floor of %s", sbytes(a, sizeof(a), f->ev.retention.rss_bytes),
	     sbytes(b, sizeof(b), f->ev.retention.retained_bytes), sbytes(c, sizeof(c), f->ev.retention.floor_bytes));
	item(it, "brk heap still held %s; given back to the kernel %s; idle %.0f s",
	     sbytes(d, sizeof(d), f->ev.retention.heap_bytes), sbytes(e, sizeof(e), f->ev.retention.given_back_bytes),
	     f->ev.retention.idle_s);
}

static void contention_items(struct items *it, const struct finding *f, bool in_table)
{
	char a[16], b[16], h[16];
	unsigned nb = f->ev.contention.nbehind;

	if (!f->pid) {
		item(it, "%.1f runnable tasks on average on %u CPUs", f->ev.contention.runnable_avg,
		     f->ev.contention.ncpus);
	} else {
		item(it, "waits %.0f%% of its runnable time", 100 * f->ev.contention.wait_share);
		fmt_ns(a, sizeof(a), f->ev.contention.p99_ms * 1e6);
		fmt_ns(b, sizeof(b), f->ev.contention.budget_ms * 1e6);
		if (f->ev.contention.budget_ms > 0)
			item(it, "run-queue p99 %s (budget %s)", a, b);
		else
			item(it, "run-queue p99 %s", a);
		item(it, "waited %s after wakeups, %s after preemption",
		     fmt_ns(a, sizeof(a), f->ev.contention.wakeup_wait_ns),
		     fmt_ns(b, sizeof(b), f->ev.contention.preempt_wait_ns));
	}
	if (!nb)
		return;
	item_start(it);
	fputs("CPU held meanwhile by ", it->f);
	for (unsigned i = 0; i < nb && i < FINDING_BEHIND_MAX; i++) {
		const struct finding_holder *w = &f->ev.contention.behind[i];
		if (i)
			fputs(", ", it->f);
		put_name(it->f, it->st, w->comm, sizeof(w->comm), w->pid, in_table);
		fprintf(it->f, " %s", fmt_ns(h, sizeof(h), w->ns));
	}
	item_end(it);
}

static void finding_items(struct items *it, const struct finding *f)
{
	switch (f->kind) {
	case FIND_LEAK: leak_items(it, f); break;
	case FIND_RETENTION: retention_items(it, f); break;
	case FIND_CONTENTION: contention_items(it, f, false); break;
	default: break;
	}
	const char *hint = finding_hint(f);
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
static size_t role_rows(const struct ctx *c, unsigned role, size_t *first, size_t *count)
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

static const unsigned role_order[] = {ROLE_ASR, ROLE_AVATAR, ROLE_CAMERA, ROLE_OTHER};

/* exit state in a few characters: "run", "exit 0", "sig 9" */
static const char *state_str(char *b, size_t l, const struct agg_proc *p)
{
	if (!p->exited)
		snprintf(b, l, "run");
	else if (WIFSIGNALED(p->exit_code))
		snprintf(b, l, "sig %d", WTERMSIG(p->exit_code));
	else
		snprintf(b, l, "exit %d", WEXITSTATUS(p->exit_code));
	return b;
}

static void rq_strs(const struct pview *v, char *p50, char *p99, char *max, size_t l)
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

static void rss_strs(const struct pview *v, char *s, char *e, char *pk, size_t l)
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
static bool own_thread(const struct pview *v, unsigned i)
{
	return v->wb[i].pid == v->p->pid;
}

struct role_sum {
	double cpu_pct;
	__u64 rss, wait_ns;
};

static struct role_sum role_sum(const struct ctx *c, size_t first, size_t n)
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

/* ---- text ---------------------------------------------------------------------- */

static void t_dump_line(FILE *f, const struct report_dump *d)
{
	char err[256];

	if (d->complete)
		fprintf(f, "  dump:    complete, %llu chunks, %llu events\n", d->chunks, d->events);
	else
		fprintf(f, "  dump:    DAMAGED at offset %llu: %s; the numbers cover the %llu events before it\n",
			d->offset, text_sanitize(err, sizeof(err), dump_error(d), 200), d->events);
}

static void t_header(FILE *f, const struct ctx *c)
{
	const struct report_meta *m = c->m;
	char wall[48], buf[512];

	fprintf(f, "vigil %s", m->interval ? "interval" : "report");
	if (m->title)
		fprintf(f, ": %s", text_sanitize(buf, sizeof(buf), m->title, 400));
	fputc('\n', f);
	/* even a dump header's strings are outside text */
	fprintf(f, "  host:    %s", text_sanitize(buf, sizeof(buf), str0(m->hostname), 64));
	fprintf(f, ", %s", text_sanitize(buf, sizeof(buf), str0(m->arch), 16));
	fprintf(f, ", kernel %s, %u CPUs", text_sanitize(buf, sizeof(buf), str0(m->kernel), 64),
		host_ncpus(c));
	if (m->pf_source)
		fprintf(f, "; page faults from %s", m->pf_source);
	fputc('\n', f);
	if (m->sources)
		fprintf(f, "  sources: %s\n", ksources_str(m->sources, buf, sizeof(buf)));
	fprintf(f, "  traced:  %.2f s", c->span_s);
	if (m->interval)
		fprintf(f, " (interval, %.1f s since start)", m->elapsed_s);
	if (wall_str(c, wall, sizeof(wall), false))
		fprintf(f, " from %s", wall);
	fprintf(f, "; %s\n", METHOD);
	if (m->dump)
		t_dump_line(f, m->dump);
}

static void t_finding(FILE *f, const struct ctx *c, const struct finding *fd)
{
	char buf[FINDING_SUMMARY_LEN * 2];
	struct items it = {.f = f, .st = ST_TEXT, .indent = "        "};

	fprintf(f, "  %-4s  %-10s  %-6s  ", sev_label(fd), finding_kind_name(fd->kind),
		fd->pid ? role_name(fd->role) : "host");
	if (fd->pid)
		put_name(f, ST_TEXT, fd->comm, sizeof(fd->comm), fd->pid, false);
	else
		fputs("(whole host)", f);
	fprintf(f, "  since +%.1fs%s\n", rel_s(c, fd->since_ts), fd->active ? "" : " (no longer seen)");
	fprintf(f, "        %s\n", text_sanitize(buf, sizeof(buf), fd->summary, sizeof(fd->summary)));
	finding_items(&it, fd);
}

static void t_findings(FILE *f, const struct ctx *c, const char *title, bool say_none)
{
	if (!c->nfs) {
		if (say_none)
			fprintf(f, "\n%s: none\n", title);
		return;
	}
	fprintf(f, "\n%s (%zu, most severe first", title, c->nfs);
	if (c->r->findings_dropped)
		fprintf(f, "; %zu older ones dropped", c->r->findings_dropped);
	fputs(")\n", f);
	for (size_t i = 0; i < c->nfs; i++)
		t_finding(f, c, c->fs[i]);
}

static void t_cpu_row(FILE *f, const struct pview *v)
{
	char st[16], p50[16], p99[16], max[16], h[16], vol[16], inv[16];

	rq_strs(v, p50, p99, max, sizeof(p50));
	fprintf(f, "  %7u ", v->p->pid);
	text_cell(f, v->p->comm, sizeof(v->p->comm), 15);
	fprintf(f, " %-7s %6.1f %6.1f %7s %7s %7s %7s %7s  ", state_str(st, sizeof(st), v->p), v->cpu_pct,
		100 * v->wait_share, p50, p99, max, fmt_count(vol, sizeof(vol), v->c.sw_vol),
		fmt_count(inv, sizeof(inv), v->c.sw_invol));
	if (v->nwb) {
		put_name(f, ST_TEXT, v->wb[0].comm, sizeof(v->wb[0].comm), v->wb[0].pid, false);
		fprintf(f, " %s%s", fmt_ns(h, sizeof(h), v->wb[0].ns), own_thread(v, 0) ? " (own thread)" : "");
	} else {
		fputc('-', f);
	}
	fputc('\n', f);
}

static void t_mem_row(FILE *f, const struct pview *v)
{
	char fl[16], mm[16], mu[16], brk[16], heap[16], anon[16], s[16], e[16], pk[16];

	rss_strs(v, s, e, pk, sizeof(s));
	fprintf(f, "  %7u ", v->p->pid);
	text_cell(f, v->p->comm, sizeof(v->p->comm), 15);
	fprintf(f, " %7s %7s %7s %7s %7s %8s %9s %8s %8s\n", fmt_count(fl, sizeof(fl), v->c.page_faults),
		fmt_bytes(mm, sizeof(mm), v->c.mmap_bytes), fmt_bytes(mu, sizeof(mu), v->c.munmap_bytes),
		fmt_bytes(brk, sizeof(brk), v->c.brk_grow_bytes), fmt_bytes(heap, sizeof(heap), v->p->mem.heap_bytes),
		fmt_bytes(anon, sizeof(anon), v->p->mem.anon_live_bytes), s, e, pk);
}

static void t_role(FILE *f, const struct ctx *c, unsigned role)
{
	size_t first, n, shown = role_rows(c, role, &first, &n);
	struct role_sum s = role_sum(c, first, n);
	char rss[16], w[16];

	if (!n) {
		fprintf(f, "\n%s: no process\n", role_name(role));
		return;
	}
	fprintf(f, "\n%s: %zu process%s", role_name(role), n, n == 1 ? "" : "es");
	if (shown < n)
		fprintf(f, " (%zu busiest shown; all in --format json)", shown);
	fprintf(f, ", CPU %.1f%%, run-queue wait %s, RSS %s\n", s.cpu_pct, fmt_ns(w, sizeof(w), s.wait_ns),
		fmt_bytes(rss, sizeof(rss), s.rss));
	fprintf(f, "  %7s %-15s %-7s %6s %6s %7s %7s %7s %7s %7s  %s\n", "PID", "COMM", "STATE", "CPU%", "WAIT%",
		"RQ-P50", "RQ-P99", "RQ-MAX", "SW-VOL", "SW-INV", "MOST WAITED BEHIND");
	for (size_t i = first; i < first + shown; i++)
		t_cpu_row(f, &c->pv[i]);
	fprintf(f, "  %7s %-15s %7s %7s %7s %7s %7s %8s %9s %8s %8s\n", "PID", "COMM", "FAULTS", "MMAP", "MUNMAP",
		"BRK+", "HEAP", "ANON-MAP", "RSS-START", "RSS-END", "RSS-PEAK");
	for (size_t i = first; i < first + shown; i++)
		t_mem_row(f, &c->pv[i]);
}

static void t_events(FILE *f, const struct ctx *c)
{
	const struct agg_drops *d = &c->h->drops;
	unsigned shown = 0;

	fprintf(f, "\nevents: %llu in %.2f s (%.0f/s), lost %llu", (unsigned long long)ev_total(c), c->span_s,
		ev_rate(c), (unsigned long long)ev_lost(c));
	if (c->h->tot.bad_records)
		fprintf(f, ", malformed %llu", (unsigned long long)c->h->tot.bad_records);
	fputc('\n', f);
	for (unsigned t = 1; t < EV_TYPE_MAX; t++) {
		__u64 n = ev_by_type(c, t);
		if (!n)
			continue;
		fprintf(f, "%s%s %llu", shown++ ? ", " : "  ", ev_type_name(t), (unsigned long long)n);
	}
	if (shown)
		fputc('\n', f);
	if (c->m->self) {
		const struct report_self *s = c->m->self;
		fprintf(f, "  vigil itself: %.2f s CPU (%.2f%%), ring buffer produced %llu, received %llu, lost %llu\n",
			s->cpu_s, self_cpu_pct(c, s), s->produced, s->received, s->lost);
	}
	const struct {
		const char *name;
		__u64 v;
	} lim[] = {
		{"processes over the limit", d->procs}, {"threads over the limit", d->threads},
		{"exited processes folded early", d->exited_folded}, {"holder names overwritten", d->names},
		{"CPUs beyond the limit", d->cpus}, {"unexpected switches (lost or unstreamed)", d->sched_mismatch},
		{"CPU holders folded", d->wb_evicted}, {"anonymous mappings not tracked", d->anon_untracked},
	};
	shown = 0;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (!lim[i].v)
			continue;
		fprintf(f, "%s%s %llu", shown++ ? ", " : "  model limits: ", lim[i].name, (unsigned long long)lim[i].v);
	}
	if (shown)
		fputc('\n', f);
}

/* Processes that became targets mid-life (text and Markdown say it the
 * same way): their numbers are not their whole life's. */
static void late_targets(FILE *f, const struct ctx *c, const char *lead, const char *after)
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

static void t_report(FILE *f, const struct ctx *c)
{
	t_header(f, c);
	t_findings(f, c, "FINDINGS", true);
	for (size_t r = 0; r < sizeof(role_order) / sizeof(role_order[0]); r++)
		t_role(f, c, role_order[r]);
	late_targets(f, c, "note: ", "");
	t_events(f, c);
}

/* ---- Markdown -------------------------------------------------------------------- */

static void md_header(FILE *f, const struct ctx *c)
{
	const struct report_meta *m = c->m;
	char wall[48];

	fputs("## vigil report", f);
	if (m->title) {
		fputs(": ", f);
		md_code(f, m->title, strlen(m->title), 400, false);
	}
	fputs("\n\n", f);
	fprintf(f, "**Method:** %s (scheduler: `sched_switch`, `sched_wakeup`; memory: page-fault tracepoint "
		   "or perf event, `kmem:rss_stat`, exits of `mmap`/`munmap`/`mremap`/`madvise`/`brk`). "
		   "Every number below comes from kernel events, not from sampling `top`, `ps` or `/proc`.\n\n",
		METHOD);
	fputs("| Host | Kernel | Arch | CPUs | Start | Duration | Events | Lost events |\n", f);
	fputs("|:--|:--|:--|--:|:--|--:|--:|--:|\n", f);
	fputs("| ", f);
	md_text(f, str0(m->hostname), 64);
	fputs(" | ", f);
	md_text(f, str0(m->kernel), 64);
	fputs(" | ", f);
	md_text(f, str0(m->arch), 16);
	fprintf(f, " | %u | %s | %.2f s | %llu | %llu |\n\n", host_ncpus(c),
		wall_str(c, wall, sizeof(wall), false) ? wall : "-", c->span_s, (unsigned long long)ev_total(c),
		(unsigned long long)ev_lost(c));
	if (ev_lost(c))
		fprintf(f, "> **Note:** the kernel could not queue %llu events (ring buffer full); counts that "
			   "depend on them are low by at most that much.\n\n", (unsigned long long)ev_lost(c));
	if (m->dump && !m->dump->complete) {
		fprintf(f, "> **Warning:** the recording is damaged or was cut short at byte offset %llu (", m->dump->offset);
		md_text(f, dump_error(m->dump), 256);
		fprintf(f, "); this report covers the %llu events before that point.\n\n", m->dump->events);
	}
}

static void md_findings(FILE *f, const struct ctx *c)
{
	fputs("### Findings\n\n", f);
	if (!c->nfs) {
		fputs("No leak, retention or contention was found.\n\n", f);
		return;
	}
	fputs("| # | Severity | Kind | Process | Role | Since | Summary |\n", f);
	fputs("|--:|:--|:--|:--|:--|--:|:--|\n", f);
	for (size_t i = 0; i < c->nfs; i++) {
		const struct finding *fd = c->fs[i];
		fprintf(f, "| %zu | **%s** | %s | ", i + 1, sev_label(fd), finding_kind_name(fd->kind));
		if (fd->pid)
			put_name(f, ST_MD, fd->comm, sizeof(fd->comm), fd->pid, true);
		else
			fputs("whole host", f);
		fprintf(f, " | %s | +%.1f s | ", fd->pid ? role_name(fd->role) : "-", rel_s(c, fd->since_ts));
		md_text(f, fd->summary, sizeof(fd->summary));
		fputs(" |\n", f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < c->nfs; i++) {
		const struct finding *fd = c->fs[i];
		struct items it = {.f = f, .st = ST_MD};

		fprintf(f, "**%zu. %s", i + 1, finding_kind_name(fd->kind));
		fputs(" — ", f);
		if (fd->pid) {
			md_code(f, fd->comm, sizeof(fd->comm), VIGIL_COMM_LEN, false);
			fprintf(f, ", pid %u, %s", fd->pid, role_name(fd->role));
		} else {
			fputs("whole host", f);
		}
		fprintf(f, "** (since +%.1f s%s)\n\n", rel_s(c, fd->since_ts), fd->active ? "" : ", no longer seen at the end");
		finding_items(&it, fd);
		fputc('\n', f);
	}
}

static void md_role(FILE *f, const struct ctx *c, unsigned role)
{
	size_t first, n, shown = role_rows(c, role, &first, &n);
	struct role_sum s = role_sum(c, first, n);
	char a[16], b[16], x[16], y[16], z[16], st[16];

	if (!n)
		return; /* md_roles() names the empty roles once */
	fprintf(f, "### Role %s\n\n", role_name(role));
	fprintf(f, "%zu process%s", n, n == 1 ? "" : "es");
	if (shown < n)
		fprintf(f, " (the %zu busiest are shown; the JSON report lists all)", shown);
	fprintf(f, "; together %.1f %% CPU, %s run-queue wait, %s resident at the end.\n\n", s.cpu_pct,
		fmt_ns(a, sizeof(a), s.wait_ns), fmt_bytes(b, sizeof(b), s.rss));

	fputs("| PID | Process | Command | State | CPU % | Run-queue wait | RQ p50 | RQ p99 | RQ max | "
	      "Switches vol / invol | Waited behind |\n", f);
	fputs("|--:|:--|:--|:--|--:|--:|--:|--:|--:|--:|:--|\n", f);
	for (size_t i = first; i < first + shown; i++) {
		const struct pview *v = &c->pv[i];
		fprintf(f, "| %u | ", v->p->pid);
		md_code(f, v->p->comm, sizeof(v->p->comm), VIGIL_COMM_LEN, true);
		fputs(" | ", f);
		md_code(f, v->p->cmdline, sizeof(v->p->cmdline), 80, true);
		rq_strs(v, x, y, z, sizeof(x));
		fprintf(f, " | %s | %.1f | %s (%.0f %%) | %s | %s | %s | %llu / %llu | ", state_str(st, sizeof(st), v->p),
			v->cpu_pct, fmt_ns(a, sizeof(a), v->c.runq_wait_ns), 100 * v->wait_share, x, y, z,
			(unsigned long long)v->c.sw_vol, (unsigned long long)v->c.sw_invol);
		for (unsigned w = 0; w < v->nwb && w < 3; w++) {
			if (w)
				fputs(", ", f);
			put_name(f, ST_MD, v->wb[w].comm, sizeof(v->wb[w].comm), v->wb[w].pid, true);
			fprintf(f, " %s%s", fmt_ns(a, sizeof(a), v->wb[w].ns), own_thread(v, w) ? " (own thread)" : "");
		}
		fputs(v->nwb ? " |\n" : "- |\n", f);
	}
	fputc('\n', f);
	fputs("| PID | Process | Page faults | mmap | munmap | brk growth | Heap | Anon mapped | RSS start | RSS end | "
	      "RSS peak |\n", f);
	fputs("|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	for (size_t i = first; i < first + shown; i++) {
		const struct pview *v = &c->pv[i];
		char m1[16], m2[16], br[16], hp[16], an[16];
		rss_strs(v, x, y, z, sizeof(x));
		fprintf(f, "| %u | ", v->p->pid);
		md_code(f, v->p->comm, sizeof(v->p->comm), VIGIL_COMM_LEN, true);
		fprintf(f, " | %llu | %s (%llu) | %s (%llu) | %s | %s | %s | %s | %s | %s |\n",
			(unsigned long long)v->c.page_faults, fmt_bytes(m1, sizeof(m1), v->c.mmap_bytes),
			(unsigned long long)v->c.mmap_calls, fmt_bytes(m2, sizeof(m2), v->c.munmap_bytes),
			(unsigned long long)v->c.munmap_calls, fmt_bytes(br, sizeof(br), v->c.brk_grow_bytes),
			fmt_bytes(hp, sizeof(hp), v->p->mem.heap_bytes), fmt_bytes(an, sizeof(an), v->p->mem.anon_live_bytes),
			x, y, z);
	}
	fputc('\n', f);
}

/* per-role sections; the roles without any process in one sentence */
static void md_roles(FILE *f, const struct ctx *c)
{
	size_t first, n, empty = 0, nroles = sizeof(role_order) / sizeof(role_order[0]);

	for (size_t r = 0; r < nroles; r++) {
		role_rows(c, role_order[r], &first, &n);
		if (n) {
			md_role(f, c, role_order[r]);
			continue;
		}
		fputs(empty++ ? ", " : "No process of role ", f);
		fputs(role_name(role_order[r]), f);
	}
	if (empty)
		fputs(" was traced.\n\n", f);
}

static void md_events(FILE *f, const struct ctx *c)
{
	const struct agg_drops *d = &c->h->drops;

	fputs("### Events\n\n| Type | Count |\n|:--|--:|\n", f);
	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		if (ev_by_type(c, t))
			fprintf(f, "| %s | %llu |\n", ev_type_name(t), (unsigned long long)ev_by_type(c, t));
	fprintf(f, "| **total** | **%llu** |\n| events the kernel lost | %llu |\n\n", (unsigned long long)ev_total(c),
		(unsigned long long)ev_lost(c));
	if (d->procs || d->threads || d->exited_folded || d->cpus || d->sched_mismatch || d->wb_evicted)
		fprintf(f, "Model limits hit: processes %llu, threads %llu, exited folded early %llu, CPUs %llu, "
			   "unexpected switches %llu, CPU holders folded %llu (see the JSON `drops`).\n\n",
			(unsigned long long)d->procs, (unsigned long long)d->threads,
			(unsigned long long)d->exited_folded, (unsigned long long)d->cpus,
			(unsigned long long)d->sched_mismatch, (unsigned long long)d->wb_evicted);
	if (c->m->self)
		fprintf(f, "vigil itself used %.2f s of CPU (%.2f %% of the span); ring buffer produced %llu, "
			   "received %llu, lost %llu.\n\n", c->m->self->cpu_s,
			self_cpu_pct(c, c->m->self), c->m->self->produced,
			c->m->self->received, c->m->self->lost);
}

static void md_report(FILE *f, const struct ctx *c)
{
	md_header(f, c);
	md_findings(f, c);
	md_roles(f, c);
	late_targets(f, c, "- Note: ", "\n");
	md_events(f, c);
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

int report_write(FILE *f, enum report_format fmt, const struct report *r)
{
	static const struct report_meta none;
	struct report_meta m = r->meta ? *r->meta : none;
	struct ctx c;
	int rc = 0;

	/* a dump header's strings are NUL-padded, but never trust that */
	if (ctx_init(&c, r, &m)) {
		ctx_free(&c);
		return -1;
	}
	if (fmt == REPORT_JSON || fmt == REPORT_JSON_LINE) {
		struct json j;
		json_init(&j, f, fmt == REPORT_JSON ? 2 : 0);
		j_report(&j, &c);
		rc = json_finish(&j);
	} else if (fmt == REPORT_MD) {
		md_report(f, &c);
	} else {
		t_report(f, &c);
	}
	ctx_free(&c);
	if (fflush(f) || ferror(f))
		rc = -1;
	return rc;
}

void report_findings_text(FILE *f, const struct report *r, const char *title)
{
	static const struct report_meta none;
	struct report_meta m = r->meta ? *r->meta : none;
	struct ctx c;

	if (!ctx_init(&c, r, &m))
		t_findings(f, &c, title ? title : "FINDINGS", false);
	ctx_free(&c);
}

int report_findings_json(FILE *f, const struct report *r)
{
	static const struct report_meta none;
	struct report_meta m = r->meta ? *r->meta : none;
	struct json j;
	struct ctx c;
	int rc;

	if (ctx_init(&c, r, &m)) {
		ctx_free(&c);
		return -1;
	}
	json_init(&j, f, 2);
	json_obj(&j);
	json_kv_arr(&j, "findings");
	for (size_t i = 0; i < c.nfs; i++)
		j_finding(&j, &c, c.fs[i]);
	json_end(&j);
	json_kv_u64(&j, "findings_dropped", r->findings_dropped);
	json_end(&j);
	rc = json_finish(&j);
	ctx_free(&c);
	return fflush(f) || ferror(f) ? -1 : rc;
}
