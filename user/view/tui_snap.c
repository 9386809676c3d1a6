// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE /* qsort_r */
#include "tui_snap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "pview.h"
#include "roles.h"
#include "site_evidence.h"
#include "sites.h"
#include "tui_text.h"

/* process-controlled text -> printable, whatever the source put in it */
static void printable(char *out, size_t outsz, const char *in, size_t inmax)
{
	procfs_printable(out, outsz, in, strnlen(in, inmax));
}

/* ---- the columns ---- */

static struct tui_col cols[TUI_COLS_MAX];
static size_t ncols;

const struct tui_col *tui_cols(size_t *n)
{
	if (!ncols) {
		for (size_t k = 0; k < pview_nfields && ncols < TUI_COLS_MAX - 2; k++) {
			const struct pview_field *f = &pview_fields[k];
			if (!f->live.title)
				continue;
			cols[ncols++] = (struct tui_col){f->id, f->live.title, abs(f->live.width), f->live.width > 0,
							 f->live.drop, TUI_COL_FIELD, f};
		}
		cols[ncols++] = (struct tui_col){"finding", "FINDING", 7, false, 0, TUI_COL_BADGES, NULL};
		cols[ncols++] = (struct tui_col){"cmdline", "COMMAND", 20, false, 10, TUI_COL_CMDLINE, NULL};
	}
	*n = ncols;
	return cols;
}

int tui_col_find(const char *id)
{
	size_t n;
	const struct tui_col *c = tui_cols(&n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].id, id))
			return (int)i;
	return -1;
}

/* the cells and keys of the pview fields, and the numbers the group lines
 * and the detail show: one process view (pview_fill), one span rule */
static void take_view(struct tui_row *r, const struct pview *v)
{
	size_t n;
	const struct tui_col *c = tui_cols(&n);

	for (size_t i = 0; i < n; i++) {
		const struct pview_field *f = c[i].field;
		if (c[i].what != TUI_COL_FIELD)
			continue;
		(f->live.fill ? f->live.fill : f->fill)(r->cell[i], sizeof(r->cell[i]), v);
		r->key[i] = f->key ? f->key(v) : 0;
	}
	r->cpu_pct = v->cpu_pct;
	r->invol_per_s = v->invol_per_s;
	r->vol_per_s = v->vol_per_s;
	r->faults_per_s = v->faults_per_s;
	r->rq_known = v->runq->count > 0;
	r->rq_p50_ns = r->rq_known ? (double)hist_percentile(v->runq, 50) : 0;
	r->rq_p99_ns = r->rq_known ? (double)hist_percentile(v->runq, 99) : 0;
	r->rss_known = v->p->mem.rss_first_ts != 0;
	r->rss = v->p->mem.rss;
	r->rss_trend_per_min = agg_rss_trend_per_min(&v->p->rss);
}

/* the whole trace's run-queue latency, for the detail */
static void take_runq(struct tui_row *r, const struct agg_proc *p)
{
	r->rq_count = p->runq.count;
	r->rq_p50_all = (double)hist_percentile(&p->runq, 50);
	r->rq_p90_all = (double)hist_percentile(&p->runq, 90);
	r->rq_p99_all = (double)hist_percentile(&p->runq, 99);
	r->rq_max_all = (double)hist_max(&p->runq);
	r->rq_nslots = (unsigned)hist_log2(&p->runq, 1000, r->rq_slots, TUI_RQ_SLOTS);
}

static void take_wb(struct tui_row *r, const struct agg_proc *p)
{
	r->nwb = p->nwb < AGG_WB_TOP ? p->nwb : AGG_WB_TOP;
	for (unsigned i = 0; i < r->nwb; i++) {
		r->wb[i].pid = p->wb[i].pid;
		printable(r->wb[i].comm, sizeof(r->wb[i].comm), p->wb[i].comm, sizeof(p->wb[i].comm));
		r->wb[i].ns = p->wb[i].ns;
		r->wb[i].ivl_ns = p->wb[i].ns - p->wb[i].base_ns;
	}
}

/* the newest TUI_SERIES_MAX points, each step's peak */
static void take_series(struct tui_row *r, const struct agg_proc *p)
{
	const struct agg_rss_series *s = &p->rss;
	unsigned from = s->n > TUI_SERIES_MAX ? s->n - TUI_SERIES_MAX : 0;

	r->nseries = s->n - from;
	r->series_step_ns = s->step_ns;
	r->series_t0 = r->nseries ? s->pts[from].ts : 0;
	r->series_t1 = r->nseries ? s->pts[s->n - 1].ts : 0;
	for (unsigned i = 0; i < r->nseries; i++)
		r->series[i] = (float)s->pts[from + i].max;
}

static void take_sites(struct tui_row *r, const struct agg_proc *p)
{
	r->nsites = (unsigned)site_proc_top(p, r->sites, TUI_SITES_TOP, &r->sites_total);
}

static void take_row(struct tui_row *r, const struct pview *v, bool sites)
{
	const struct agg_proc *p = v->p;

	memset(r, 0, offsetof(struct tui_row, series)); /* the series is filled below */
	r->id = p->id;
	r->pid = p->pid;
	r->ppid = p->ppid;
	r->nthreads = p->nthreads;
	r->role = p->role;
	r->exited = p->exited;
	r->exit_code = p->exit_code;
	printable(r->comm, sizeof(r->comm), p->comm, sizeof(p->comm));
	printable(r->cmdline, sizeof(r->cmdline), p->cmdline, sizeof(p->cmdline));
	r->start_ns = p->start_ns;
	r->first_ts = p->first_ts;
	r->last_ts = p->last_ts;
	r->exit_ts = p->exit_ts;
	r->tot = p->tot;
	agg_proc_interval(p, &r->ivl);
	r->mem = p->mem;
	take_view(r, v);
	take_runq(r, p);
	take_wb(r, p);
	if (sites)
		take_sites(r, p);
	take_series(r, p);
}

static void mark_badges(struct tui_snap *s)
{
	for (size_t i = 0; i < s->nfindings; i++) {
		const struct finding *f = &s->findings[i];
		long r = f->proc_id ? tui_snap_find(s, f->proc_id) : -1;
		unsigned b = TUI_BADGE(f->kind);

		if (r < 0)
			continue;
		s->rows[r].badges |= b;
		if (f->active)
			s->rows[r].badges_active |= b;
		if (f->active && f->severity == SEV_CRIT)
			s->rows[r].badges_crit |= b;
	}
}

static int take_findings(struct tui_snap *s, const struct finding *const *f, size_t nf)
{
	if (nf > TUI_FINDINGS_MAX)
		nf = TUI_FINDINGS_MAX;
	if (nf > s->findings_cap) {
		struct finding *nfp = realloc(s->findings, nf * sizeof(*nfp));
		if (!nfp)
			return -1;
		s->findings = nfp;
		s->findings_cap = nf;
	}
	s->nfindings = 0;
	for (size_t i = 0; i < nf; i++) {
		struct finding *d;

		if (!f[i])
			continue;
		d = &s->findings[s->nfindings++];
		*d = *f[i];
		printable(d->comm, sizeof(d->comm), f[i]->comm, sizeof(f[i]->comm));
		printable(d->summary, sizeof(d->summary), f[i]->summary, sizeof(f[i]->summary));
		/* the evidence's names are made safe where they are drawn (tui_detail.c) */
	}
	return 0;
}

static int take_host(struct tui_snap *s, const struct agg *a, double interval_s)
{
	const struct agg_host *h = agg_host(a);
	double ivl_ns = interval_s * 1e9;

	if (h->ncpus > s->ncpus || !s->cpu_busy_pct) {
		double *c = realloc(s->cpu_busy_pct, (h->ncpus ? h->ncpus : 1) * sizeof(*c));
		if (!c)
			return -1;
		s->cpu_busy_pct = c;
	}
	s->ncpus = h->ncpus;
	for (unsigned c = 0; c < h->ncpus; c++) {
		double pct = ivl_ns > 0 ? 100.0 * (double)(h->cpu_busy_ns[c] - h->cpu_busy_base[c]) / ivl_ns : 0;
		s->cpu_busy_pct[c] = pct > 100 ? 100 : pct;
	}
	s->interval_s = interval_s;
	s->ts = h->accounted_ts ? h->accounted_ts : h->last_ts;
	s->runnable = agg_runnable_avg(a, 1);
	s->events_ivl = h->tot.events - h->base.events;
	s->lost_total = h->tot.lost;
	s->drops = h->drops;
	return 0;
}

static int cmp_view(const void *x, const void *y, void *ctx)
{
	const struct pview *pv = ctx;

	return pview_cmp(&pv[*(const size_t *)x], &pv[*(const size_t *)y]);
}

/* each row's place in the process view's one order (pview_cmp): the table
 * breaks its ties by it, so by CPU it lists rows as the text snapshot does */
static void rank_rows(struct tui_snap *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->by_view[i] = i;
	qsort_r(s->by_view, n, sizeof(*s->by_view), cmp_view, s->pv);
	for (size_t i = 0; i < n; i++)
		s->rows[s->by_view[i]].rank = i;
}

int tui_snap_take(struct tui_snap *s, const struct agg *a, const struct finding *const *f, size_t nf,
		  double interval_s)
{
	size_t n = agg_nprocs(a);

	if (n > s->rows_cap) {
		struct tui_row *r = realloc(s->rows, n * sizeof(*r));
		struct pview *pv = r ? realloc(s->pv, n * sizeof(*pv)) : NULL;
		size_t *by = pv ? realloc(s->by_view, n * sizeof(*by)) : NULL;
		if (r)
			s->rows = r;
		if (pv)
			s->pv = pv;
		if (!by)
			return -1;
		s->by_view = by;
		s->rows_cap = n;
	}
	/* the one span rule (pview.h): the event time the interval's counters
	 * cover; the caller's wall-clock interval only without it */
	interval_s = pview_span_s(a, true, 0, interval_s);
	if (take_host(s, a, interval_s) || take_findings(s, f, nf))
		return -1;
	s->sites = sites_present(agg_sites(a));
	for (size_t i = 0; i < n; i++) {
		pview_fill(&s->pv[i], agg_proc_at(a, i), true, interval_s);
		take_row(&s->rows[i], &s->pv[i], s->sites);
	}
	rank_rows(s, n);
	s->nrows = n;
	mark_badges(s);
	s->valid = true;
	return 0;
}

int tui_snap_take_findings(struct tui_snap *s, const struct finding *const *f, size_t nf)
{
	if (take_findings(s, f, nf))
		return -1;
	for (size_t i = 0; i < s->nrows; i++)
		s->rows[i].badges = s->rows[i].badges_active = s->rows[i].badges_crit = 0;
	mark_badges(s);
	return 0;
}

void tui_snap_free(struct tui_snap *s)
{
	free(s->rows);
	free(s->pv);
	free(s->by_view);
	free(s->findings);
	free(s->cpu_busy_pct);
	memset(s, 0, sizeof(*s));
}

long tui_snap_find(const struct tui_snap *s, __u64 id)
{
	for (size_t i = 0; i < s->nrows; i++)
		if (s->rows[i].id == id)
			return (long)i;
	return -1;
}

/* ---- ordering ---- */

static int cmp_num(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* active critical findings outrank active ones, which outrank ended ones */
static double badge_weight(const struct tui_row *r)
{
	return __builtin_popcount(r->badges_crit) * 100 + __builtin_popcount(r->badges_active) * 10 +
	       __builtin_popcount(r->badges);
}

/* a field's key: its direction, unknown (NaN) after any known value */
static int cmp_field_key(double a, double b, bool asc)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return asc ? cmp_num(a, b) : -cmp_num(a, b);
}

/* natural order of column c: negative when a comes first */
static int cmp_key(const struct tui_row *a, const struct tui_row *b, int c)
{
	size_t n;
	const struct tui_col *col = tui_cols(&n);
	const struct pview_field *f;

	if (c < 0 || (size_t)c >= n)
		return 0;
	f = col[c].field;
	if (col[c].what == TUI_COL_FIELD)
		return f->key ? cmp_field_key(a->key[c], b->key[c], f->asc) : strcmp(a->cell[c], b->cell[c]);
	if (col[c].what == TUI_COL_CMDLINE)
		return strcmp(a->cmdline, b->cmdline);
	/* the badges: graver first, then the busier */
	c = -cmp_num(badge_weight(a), badge_weight(b));
	return c ? c : -cmp_num(a->cpu_pct, b->cpu_pct);
}

static int cmp_rows(const void *x, const void *y, void *ctx)
{
	const struct tui_snap *s = ((const void *const *)ctx)[0];
	const struct tui_order *o = ((const void *const *)ctx)[1];
	const struct tui_row *a = &s->rows[*(const size_t *)x], *b = &s->rows[*(const size_t *)y];
	int c = role_rank(a->role) - role_rank(b->role);

	if (c)
		return c;
	c = cmp_key(a, b, o->key);
	if (c)
		return o->invert ? -c : c;
	return cmp_num((double)a->rank, (double)b->rank);
}

static bool passes(const struct tui_row *r, const struct tui_order *o)
{
	if (o->role >= 0 && r->role != (unsigned)o->role)
		return false;
	if (!o->filter || !*o->filter)
		return true;
	return tt_contains(r->comm, o->filter) || tt_contains(r->cmdline, o->filter);
}

size_t tui_snap_order(const struct tui_snap *s, const struct tui_order *o, size_t *idx)
{
	const void *ctx[2] = {s, o};
	size_t n = 0;

	for (size_t i = 0; i < s->nrows; i++)
		if (passes(&s->rows[i], o))
			idx[n++] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_rows, ctx);
	return n;
}
