// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* One derived row per process, one span rule, one order (pview.h). */
#include "pview.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "format.h"
#include "hist.h"
#include "roles.h"
#include "textsafe.h"
#include "tui_text.h"

double pview_span_s(const struct agg *a, bool interval, __u64 origin, double fallback_s)
{
	const struct agg_host *h = agg_host(a);
	__u64 end = h->accounted_ts > h->last_ts ? h->accounted_ts : h->last_ts;

	if (interval) {
		if (h->ivl_start_ts && h->accounted_ts > h->ivl_start_ts)
			return (double)(h->accounted_ts - h->ivl_start_ts) / 1e9;
		return fallback_s > 0 ? fallback_s : 0;
	}
	if (!origin)
		origin = h->first_ts;
	if (end > origin)
		return (double)(end - origin) / 1e9;
	return fallback_s > 0 ? fallback_s : 0;
}

static int wb_cmp(const void *x, const void *y)
{
	const struct agg_wb *a = x, *b = y;
	return a->ns != b->ns ? (a->ns < b->ns ? 1 : -1) : (a->pid > b->pid) - (a->pid < b->pid);
}

static double per_s(__u64 n, double span_s)
{
	return span_s > 0 ? (double)n / span_s : 0;
}

void pview_fill(struct pview *v, const struct agg_proc *p, bool interval, double span_s)
{
	double on, wait;

	v->p = p;
	if (interval) {
		agg_proc_interval(p, &v->c);
		v->runq = agg_proc_runq_interval(p);
	} else {
		v->c = p->tot;
		v->runq = &p->runq;
	}
	v->nwb = 0;
	for (unsigned i = 0; i < p->nwb && i < AGG_WB_TOP; i++) {
		__u64 ns = interval ? p->wb[i].ns - p->wb[i].base_ns : p->wb[i].ns;
		if (!ns || (interval && p->wb[i].ns < p->wb[i].base_ns))
			continue;
		v->wb[v->nwb] = p->wb[i];
		v->wb[v->nwb++].ns = ns;
	}
	/* interval deltas can reorder holders */
	qsort(v->wb, v->nwb, sizeof(v->wb[0]), wb_cmp);
	on = (double)v->c.on_cpu_ns;
	wait = (double)v->c.runq_wait_ns;
	v->cpu_pct = span_s > 0 ? on / 1e7 / span_s : 0;
	v->wait_share = on + wait > 0 ? wait / (on + wait) : 0;
	v->invol_per_s = per_s(v->c.sw_invol, span_s);
	v->vol_per_s = per_s(v->c.sw_vol, span_s);
	v->faults_per_s = per_s(v->c.page_faults, span_s);
}

int pview_cmp(const void *x, const void *y)
{
	const struct pview *a = x, *b = y;
	int ra = role_rank(a->p->role), rb = role_rank(b->p->role);

	if (ra != rb)
		return ra - rb;
	if (a->c.on_cpu_ns != b->c.on_cpu_ns)
		return a->c.on_cpu_ns < b->c.on_cpu_ns ? 1 : -1;
	if (a->p->mem.rss != b->p->mem.rss)
		return a->p->mem.rss < b->p->mem.rss ? 1 : -1;
	if (a->p->pid != b->p->pid)
		return a->p->pid < b->p->pid ? -1 : 1;
	return a->p->id < b->p->id ? -1 : a->p->id > b->p->id;
}

/* ---- the field table ---- */

static void f_role(char *b, size_t l, const struct pview *v)
{
	snprintf(b, l, "%s", role_name(v->p->role));
}

static void f_pid(char *b, size_t l, const struct pview *v)
{
	snprintf(b, l, "%u", v->p->pid);
}

/* a process's name is hostile: the one text-safety policy */
static void f_comm(char *b, size_t l, const struct pview *v)
{
	text_sanitize(b, l, v->p->comm, sizeof(v->p->comm));
}

static void f_cpu(char *b, size_t l, const struct pview *v)
{
	snprintf(b, l, "%.1f", v->cpu_pct);
}

/* a run-queue percentile over the span; NaN when no wait ended in it */
static double k_rq(const struct pview *v, double pct)
{
	return v->runq->count ? (double)hist_percentile(v->runq, pct) : NAN;
}

static double k_rq_p50(const struct pview *v)
{
	return k_rq(v, 50);
}

static double k_rq_p99(const struct pview *v)
{
	return k_rq(v, 99);
}

/* a latency cell in a format of fmt_ns's kind, "-" when unknown */
static void ns_cell(char *b, size_t l, double ns, char *(*fmt)(char *, size_t, double))
{
	if (isnan(ns))
		snprintf(b, l, "-");
	else
		fmt(b, l, ns);
}

static void f_rq_p50(char *b, size_t l, const struct pview *v)
{
	ns_cell(b, l, k_rq_p50(v), fmt_ns);
}

static void f_rq_p99(char *b, size_t l, const struct pview *v)
{
	ns_cell(b, l, k_rq_p99(v), fmt_ns);
}

static void f_invol(char *b, size_t l, const struct pview *v)
{
	fmt_count(b, l, v->invol_per_s);
}

static void f_rss(char *b, size_t l, const struct pview *v)
{
	if (v->p->mem.rss_first_ts)
		fmt_bytes(b, l, (double)v->p->mem.rss);
	else
		snprintf(b, l, "-");
}

static void f_rss_trend(char *b, size_t l, const struct pview *v)
{
	fmt_bytes(b, l, agg_rss_trend_per_min(&v->p->rss));
}

static void f_faults(char *b, size_t l, const struct pview *v)
{
	fmt_count(b, l, v->faults_per_s);
}

static void f_anon_map(char *b, size_t l, const struct pview *v)
{
	fmt_bytes(b, l, (double)v->p->mem.anon_live_bytes);
}

static void f_heap(char *b, size_t l, const struct pview *v)
{
	fmt_bytes(b, l, (double)v->p->mem.heap_bytes);
}

/* ---- the live view's narrower cells ---- */

static void l_cpu(char *b, size_t l, const struct pview *v)
{
	tt_pct(b, l, v->cpu_pct);
}

/* whole milliseconds from 100 ms on: 6 columns */
static void l_rq_p50(char *b, size_t l, const struct pview *v)
{
	ns_cell(b, l, k_rq_p50(v), tt_ns);
}

static void l_rq_p99(char *b, size_t l, const struct pview *v)
{
	ns_cell(b, l, k_rq_p99(v), tt_ns);
}

static void l_rss_trend(char *b, size_t l, const struct pview *v)
{
	tt_signed_bytes(b, l, agg_rss_trend_per_min(&v->p->rss));
}

/* ---- the sort keys ---- */

static double k_pid(const struct pview *v)
{
	return v->p->pid;
}

static double k_cpu(const struct pview *v)
{
	return v->cpu_pct;
}

static double k_invol(const struct pview *v)
{
	return v->invol_per_s;
}

static double k_rss_trend(const struct pview *v)
{
	return agg_rss_trend_per_min(&v->p->rss);
}

static double k_faults(const struct pview *v)
{
	return v->faults_per_s;
}

/* ---- the metrics: totals and levels in base units ---- */

static double m_cpu_s(const struct pview *v)
{
	return (double)v->c.on_cpu_ns / 1e9;
}

static double m_runq_wait_s(const struct pview *v)
{
	return (double)v->c.runq_wait_ns / 1e9;
}

static double m_invol(const struct pview *v)
{
	return (double)v->c.sw_invol;
}

static double m_vol(const struct pview *v)
{
	return (double)v->c.sw_vol;
}

static double m_rss(const struct pview *v)
{
	return v->p->mem.rss_first_ts ? (double)v->p->mem.rss : NAN;
}

static double m_faults(const struct pview *v)
{
	return (double)v->c.page_faults;
}

static double m_anon_map(const struct pview *v)
{
	return (double)v->p->mem.anon_live_bytes;
}

static double m_heap(const struct pview *v)
{
	return (double)v->p->mem.heap_bytes;
}

/* Metrics that share a name (the two kinds of switches) are adjacent rows:
 * the exposition writes a name's header once, before its first row.  The
 * run-queue percentiles are no metric: the histogram (sink_metrics.c) lets
 * PromQL compute any quantile over any window. */
#define NO_METRIC {NULL, NULL, NULL, NULL, NULL}
#define NO_LIVE {NULL, 0, 0, NULL}
const struct pview_field pview_fields[] = {
	{"role", "ROLE", "", -6, PVIEW_LABEL, f_role, NULL, false, NO_LIVE, NO_METRIC},
	{"pid", "PID", "", 7, PVIEW_LABEL, f_pid, k_pid, true, {"PID", 7, 0, NULL}, NO_METRIC},
	{"comm", "COMM", "", -16, PVIEW_LABEL, f_comm, NULL, false, {"COMM", -15, 0, NULL}, NO_METRIC},
	{"cpu_pct", "CPU%", "percent", 6, PVIEW_COUNTER, f_cpu, k_cpu, false, {"CPU%", 5, 0, l_cpu},
	 {"process_cpu_seconds_total", NULL, "seconds", "Time the process's threads ran on a CPU.", m_cpu_s}},
	{"runq_wait_ns", NULL, "ns", 0, PVIEW_COUNTER, NULL, NULL, false, NO_LIVE,
	 {"process_runqueue_wait_seconds_total", NULL, "seconds",
	  "Time the process's threads were runnable but waited for a CPU.", m_runq_wait_s}},
	{"runq_p50_ns", "RQ-P50", "ns", 8, PVIEW_COUNTER, f_rq_p50, k_rq_p50, false, {"RQ-P50", 6, 5, l_rq_p50},
	 NO_METRIC},
	{"runq_p99_ns", "RQ-P99", "ns", 8, PVIEW_COUNTER, f_rq_p99, k_rq_p99, false, {"RQ-P99", 6, 4, l_rq_p99},
	 NO_METRIC},
	{"involuntary_per_s", "INVOL/s", "per_s", 7, PVIEW_COUNTER, f_invol, k_invol, false, {"INV/s", 6, 6, NULL},
	 {"process_context_switches_total", "kind=\"involuntary\"", "",
	  "Context switches of the process's threads: preempted (involuntary) or blocking (voluntary).", m_invol}},
	{"voluntary", NULL, "", 0, PVIEW_COUNTER, NULL, NULL, false, NO_LIVE,
	 {"process_context_switches_total", "kind=\"voluntary\"", "", NULL, m_vol}},
	{"rss_bytes", "RSS", "bytes", 8, PVIEW_GAUGE, f_rss, m_rss, false, {"RSS", 5, 0, NULL},
	 {"process_resident_bytes", NULL, "bytes", "Resident set size (anon + file + shmem).", m_rss}},
	{"rss_trend_bytes_per_min", "RSS/min", "bytes", 8, PVIEW_GAUGE, f_rss_trend, k_rss_trend, false,
	 {"RSS/m", 6, 3, l_rss_trend}, NO_METRIC},
	{"page_faults_per_s", "FAULT/s", "per_s", 8, PVIEW_COUNTER, f_faults, k_faults, false, {"FLT/s", 6, 7, NULL},
	 {"process_page_faults_total", NULL, "", "Page faults of the process's threads.", m_faults}},
	{"anon_map_bytes", "ANON-MAP", "bytes", 8, PVIEW_GAUGE, f_anon_map, m_anon_map, false, {"MAPPED", 6, 8, NULL},
	 {"process_anon_mapped_bytes", NULL, "bytes", "Live anonymous mappings (virtual size, an estimate).",
	  m_anon_map}},
	{"heap_bytes", "HEAP", "bytes", 8, PVIEW_GAUGE, f_heap, m_heap, false, {"HEAP", 6, 9, NULL},
	 {"process_heap_bytes", NULL, "bytes", "brk heap grown since tracing began.", m_heap}},
};
const size_t pview_nfields = sizeof(pview_fields) / sizeof(pview_fields[0]);
