// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Leak: resident memory that keeps growing and never comes back.
 *
 * Both rules read the floor of the RSS (its lowest value over a span), not
 * its level: memory a task allocates and frees lifts the level and leaves
 * the floor alone, memory that is never given back lifts the floor.
 *
 *  - linear: over the last min_duration_s the floor rose in each quarter
 *    (at least half the average pace), a straight line fits it (the rise
 *    dominates the scatter), its slope is >= min_rate_bytes_per_s, and it
 *    has risen by >= min_growth_bytes since the growth began.  A one-time
 *    rise shorter than 3/4 of min_duration_s (loading a model) leaves some
 *    quarter flat and is never a leak.
 *  - stepwise: the suffix floor of the whole-trace series (lowest RSS from t
 *    to now) is a staircase: after a settled floor (a tread lasting
 *    min_duration_s), at least two higher treads, each held for a while and
 *    each already left upwards again, min_growth_bytes above it in total.
 *    A sawtooth that returns to its floor has a flat suffix floor; a task
 *    still running forms the last step, which is not counted until the
 *    next one starts.
 *
 * docs/detectors.md has the numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_core.h"
#include "format.h"

#define QUARTERS 4
#define LIN_MIN_SAMPLES 8
/* the rise over the window must be this many times the scatter around the line */
#define LIN_TREND_OVER_NOISE 4.0

struct leak_obs {
	enum leak_shape shape;
	double rate, conf;
	__u64 since, from, to;
	__u32 steps;
};

/* The last D seconds of memory samples: floors per quarter, and a line. */
struct lin_win {
	__u32 n;
	double x[MEM_RING_MAX], y[MEM_RING_MAX], range[MEM_RING_MAX];
	__u64 q[QUARTERS + 1]; /* quarter floors; [QUARTERS] = the newest sample's */
	struct line fit;
};

static double min_duration_s(const struct detector *d)
{
	return fmax(d->cfg.leak.min_duration_s, LIN_MIN_SAMPLES * (double)d->mem_period / NS_PER_S);
}

/* Collects the samples ending in (now - D, now]; false when the samples do
 * not reach back over the whole span or a quarter is empty. */
static bool lin_window(const struct pstate *s, __u64 now, double D, struct lin_win *w)
{
	__u64 dns = (__u64)(D * NS_PER_S), t0;
	bool seen[QUARTERS] = {false};
	const struct mem_sample *first = ring_at(&s->mem, 0), *m = NULL;

	if (now < dns || !s->mem.n || first->from_ts > now - dns)
		return false;
	t0 = now - dns;
	w->n = 0;
	for (__u32 i = 0; i < s->mem.n; i++) {
		unsigned q;

		m = ring_at(&s->mem, i);
		if (m->end_ts <= t0)
			continue;
		q = (unsigned)((m->end_ts - t0 - 1) * QUARTERS / dns);
		if (q >= QUARTERS)
			q = QUARTERS - 1;
		if (!seen[q] || m->min < w->q[q])
			w->q[q] = m->min;
		seen[q] = true;
		w->x[w->n] = ((double)m->end_ts - (double)now) / NS_PER_S;
		w->y[w->n] = (double)m->min;
		w->range[w->n] = (double)(m->max - m->min);
		w->n++;
	}
	for (unsigned q = 0; q < QUARTERS; q++)
		if (!seen[q])
			return false;
	w->q[QUARTERS] = m->min;
	return w->n >= LIN_MIN_SAMPLES && line_fit(w->x, w->y, w->n, &w->fit);
}

/* Every quarter rose by at least half the average rise. */
static bool lin_sustained(const struct lin_win *w)
{
	double total = (double)w->q[QUARTERS] - (double)w->q[0];

	if (total <= 0)
		return false;
	for (unsigned q = 0; q < QUARTERS; q++)
		if ((double)w->q[q + 1] - (double)w->q[q] < 0.5 * total / QUARTERS)
			return false;
	return true;
}

/* Walks back from the window in quarter steps while the floor kept rising
 * at pace: where the growth began and the floor before it. */
static void growth_start(struct detector *d, const struct agg_proc *p, __u64 t0, __u64 qns,
			 double pace, __u64 *since, __u64 *floor_pre)
{
	const struct agg_rss_series *r = &p->rss;
	const __u64 *F = series_floor(d, r);
	__u64 t = t0;

	if (!F || !r->n) {
		*since = t0;
		*floor_pre = p->mem.rss;
		return;
	}
	while (t >= r->origin + qns &&
	       (double)series_floor_from(r, F, t - qns) + pace <= (double)series_floor_from(r, F, t))
		t -= qns;
	*floor_pre = t >= r->origin + qns ? series_floor_from(r, F, t - qns) : F[0];
	*since = series_last_at(r, F, *floor_pre + (__u64)(pace / 2));
}

/* The slope over [from, now] when enough samples lie there, else fallback. */
static double rate_since(const struct pstate *s, __u64 from, __u64 now, double fallback)
{
	double x[MEM_RING_MAX], y[MEM_RING_MAX];
	struct line l;
	size_t n = 0;

	for (__u32 i = 0; i < s->mem.n; i++) {
		const struct mem_sample *m = ring_at(&s->mem, i);

		if (m->end_ts <= from)
			continue;
		x[n] = ((double)m->end_ts - (double)now) / NS_PER_S;
		y[n] = (double)m->min;
		n++;
	}
	return n >= 4 && line_fit(x, y, n, &l) ? l.b : fallback;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* A floor rising under a sawtooth (tasks that free most of what they took)
 * is stepwise; one that rises with the level is linear. */
static enum leak_shape lin_shape(struct lin_win *w, double rate, double period_s)
{
	qsort(w->range, w->n, sizeof(w->range[0]), cmp_double);
	return w->range[w->n / 2] > 2 * rate * period_s ? LEAK_STEPWISE : LEAK_LINEAR;
}

static bool linear_test(struct detector *d, const struct pstate *s, const struct agg_proc *p, __u64 now,
			struct leak_obs *o)
{
	const struct vigil_leak_cfg *c = &d->cfg.leak;
	double D = min_duration_s(d), window = c->window_s * NS_PER_S, pace;
	__u64 qns = (__u64)(D * NS_PER_S / QUARTERS), floor_pre, from;
	struct lin_win w;

	/* nothing moved within the last quarter: not growing now */
	if (p->mem.rss_last_ts + qns < now || !lin_window(s, now, D, &w) || !lin_sustained(&w))
		return false;
	if (w.fit.b < (double)c->min_rate_bytes_per_s || w.fit.b * D < LIN_TREND_OVER_NOISE * w.fit.sigma)
		return false;
	pace = 0.5 * ((double)w.q[QUARTERS] - (double)w.q[0]) / QUARTERS;
	growth_start(d, p, now - (__u64)(D * NS_PER_S), qns, pace, &o->since, &floor_pre);
	if (w.q[QUARTERS] < floor_pre + c->min_growth_bytes)
		return false;
	from = o->since > now - (__u64)window ? o->since : now - (__u64)window;
	o->rate = rate_since(s, from, now, w.fit.b);
	o->from = floor_pre;
	o->to = p->mem.rss;
	o->steps = 0;
	o->conf = fmax(0, fmin(1, w.fit.r2)) * (0.5 + 0.5 * fmin(1, (double)(now - o->since) / window));
	o->shape = lin_shape(&w, o->rate, (double)d->mem_period / NS_PER_S);
	return true;
}

/* Still growing at half the threshold rate over the last D. */
static bool linear_continues(const struct detector *d, const struct pstate *s, __u64 now)
{
	struct lin_win w;
	double half = 0.5 * (double)d->cfg.leak.min_rate_bytes_per_s;

	return lin_window(s, now, min_duration_s(d), &w) && w.fit.b >= half && w.q[QUARTERS] > w.q[0];
}

/* ---- stepwise ------------------------------------------------------------------------ */

/* A run of the suffix floor at one level (within step) that lasted hold
 * or more: a tread of the staircase. */
struct tread {
	__u64 start, end, level;
};

/* What the staircase looks like after its settled floor. */
struct stairs {
	bool settled;
	struct tread base;  /* the first tread that lasted settle: the floor before */
	struct tread first; /* the first tread above it */
	struct tread last;  /* the highest */
	__u32 above;        /* treads above the base */
};

/* The base must be settled: a tread that lasted settle, or any tread once
 * the process is past its warm-up (a process starting up loads its models
 * in steps). */
static void stairs_add(struct stairs *st, const struct tread *t, __u64 settle, __u64 warm_end)
{
	if (!st->settled) {
		if (t->end - t->start >= settle || t->start >= warm_end) {
			st->settled = true;
			st->base = *t;
		}
		return;
	}
	if (!st->above++)
		st->first = *t;
	st->last = *t;
}

/* Cuts the suffix floor into runs of one level.  The last run (it ends now,
 * and a running task may still give it back) is never a tread. */
static void stairs_build(const struct agg_rss_series *r, const __u64 *F, __u64 step, __u64 hold,
			 __u64 settle, __u64 warm_end, struct stairs *st)
{
	__u64 level = F[0], start = r->pts[0].ts;

	memset(st, 0, sizeof(*st));
	for (__u32 j = 1; j < r->n; j++) {
		if (F[j] < level + step)
			continue;
		if (r->pts[j].ts - start >= hold)
			stairs_add(st, &(struct tread){start, r->pts[j].ts, level}, settle, warm_end);
		level = F[j];
		start = r->pts[j].ts;
	}
}

static bool stepwise_test(struct detector *d, struct pstate *s, const struct agg_proc *p,
			  struct leak_obs *o)
{
	const struct vigil_leak_cfg *c = &d->cfg.leak;
	const struct agg_rss_series *r = &p->rss;
	__u64 step = c->min_growth_bytes / 8 > (1 << 20) ? c->min_growth_bytes / 8 : (1 << 20);
	__u64 hold = 2 * r->step_ns > 2 * NS_PER_S ? 2 * r->step_ns : 2 * NS_PER_S;
	__u64 settle = (__u64)(c->min_duration_s * NS_PER_S);
	__u64 warm_end = (p->start_ns ? p->start_ns : p->first_ts) + (__u64)(c->window_s * NS_PER_S);
	struct stairs st;
	const __u64 *F;

	/* the staircase only changes when RSS records arrive */
	if (s->step_seen_ts == p->mem.rss_last_ts && !s->step_ok)
		return false;
	s->step_seen_ts = p->mem.rss_last_ts;
	s->step_ok = false;
	if (r->n < 4 || !(F = series_floor(d, r)))
		return false;
	stairs_build(r, F, step, hold, settle, warm_end, &st);
	if (st.above < 2 || st.last.level < st.base.level + c->min_growth_bytes)
		return false;
	o->shape = LEAK_STEPWISE;
	o->steps = st.above;
	o->since = st.base.end;
	o->from = st.base.level;
	o->to = p->mem.rss;
	/* per step, from the first tread above the floor to the last */
	o->rate = (double)(st.last.level - st.first.level) /
		  ((double)(st.last.start - st.first.start) / NS_PER_S);
	o->conf = fmin(1, 0.4 + 0.15 * o->steps);
	s->step_ok = true;
	return true;
}

/* The memory taken since the growth began is still held. */
static bool stepwise_continues(struct detector *d, const struct agg_proc *p, const struct finding *f)
{
	const __u64 *F = series_floor(d, &p->rss);

	return F && p->rss.n && series_floor_from(&p->rss, F, f->since_ts) >=
					f->ev.leak.rss_from + d->cfg.leak.min_growth_bytes / 2;
}

/* ---- the finding ------------------------------------------------------------------------ */

/* Counters where the growth began: the newest sample that ended by then,
 * else the floor's, else the oldest sample. */
static void pick_base(struct pstate *s, __u64 since)
{
	const struct mem_sample *best = NULL;

	for (__u32 i = 0; i < s->mem.n; i++) {
		const struct mem_sample *m = ring_at(&s->mem, i);

		if (m->end_ts <= since)
			best = m;
	}
	if (!best && s->low.ts <= since) {
		s->leak_base = s->low;
		return;
	}
	if (!best)
		best = ring_at(&s->mem, 0);
	s->leak_base = (struct mem_base){best->end_ts, best->last, best->anon, best->anon_live,
					 best->heap, best->file, best->shmem, best->given_back};
}

struct part {
	const char *name;
	double bytes;
};

/* "brk heap +1.2 GiB, anon mappings +300 MiB": the parts that carry at
 * least a tenth of the growth, largest first. */
static void which_memory(char *buf, size_t len, const struct finding *f)
{
	double total = (double)f->ev.leak.rss_to - (double)f->ev.leak.rss_from;
	double other = (double)f->ev.leak.anon_growth - (double)f->ev.leak.brk_growth -
		       (double)f->ev.leak.anon_map_growth;
	struct part parts[] = {
		{"brk heap", (double)f->ev.leak.brk_growth},
		{"anon mappings never unmapped", (double)f->ev.leak.anon_map_growth},
		{"anon memory outside brk/mmap", other},
		{"file", (double)f->ev.leak.file_growth},
		{"shmem", (double)f->ev.leak.shmem_growth},
	};
	size_t used = 0, shown = 0;

	buf[0] = 0;
	for (size_t k = 0; k < 2; k++) {
		size_t best = 0;
		char b[32];

		for (size_t i = 1; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (parts[i].bytes > parts[best].bytes)
				best = i;
		if (parts[best].bytes <= 0 || parts[best].bytes < total / 10)
			break;
		fmt_bytes(b, sizeof(b), parts[best].bytes);
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s +%s",
					 shown++ ? ", " : "", parts[best].name, b);
		parts[best].bytes = 0;
		if (used >= len)
			break;
	}
	if (!shown)
		snprintf(buf, len, "no single kind of memory");
}

static void leak_render(struct frec *r)
{
	struct finding *f = &r->f;
	char rate[32], from[32], to[32], what[128];
	double secs = (double)((r->stopped ? r->grew_until : f->last_ts) - f->since_ts) / NS_PER_S;

	fmt_bytes(rate, sizeof(rate), f->ev.leak.rate_bytes_per_s);
	fmt_bytes(from, sizeof(from), (double)f->ev.leak.rss_from);
	fmt_bytes(to, sizeof(to), (double)f->ev.leak.rss_to);
	which_memory(what, sizeof(what), f);
	if (f->ev.leak.steps)
		summary_set(f, "resident floor rose in %u steps (%s/s) over %.0f s, %s -> %s, "
			    "never returned; grows: %s", f->ev.leak.steps, rate, secs, from, to, what);
	else if (r->stopped)
		summary_set(f, "resident memory grew %s/s for %.0f s, %s -> %s, then stopped growing; grew: %s",
			    rate, secs, from, to, what);
	else
		summary_set(f, "resident memory grows %s/s%s for %.0f s, %s -> %s, never returned; grows: %s",
			    rate, f->ev.leak.shape == LEAK_STEPWISE ? " (a rising floor under a sawtooth)" : "",
			    secs, from, to, what);
}

static void leak_report(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now,
			const struct leak_obs *o)
{
	struct finding *f;
	enum finding_severity sev;

	if (!s->f[FIND_LEAK]) {
		s->f[FIND_LEAK] = finding_open(d, FIND_LEAK, p, o->since, now);
		if (!s->f[FIND_LEAK])
			return;
		pick_base(s, o->since);
	} else if (!s->f[FIND_LEAK]->f.active) {
		/* growth resumed: the finding follows the new growth */
		s->f[FIND_LEAK]->f.since_ts = o->since;
		pick_base(s, o->since);
	}
	f = &s->f[FIND_LEAK]->f;
	f->ev.leak.shape = o->shape;
	f->ev.leak.rate_bytes_per_s = o->rate;
	f->ev.leak.rss_from = o->from;
	f->ev.leak.rss_to = o->to;
	f->ev.leak.steps = o->steps;
	f->ev.leak.brk_growth = (__s64)p->mem.heap_bytes - (__s64)s->leak_base.heap;
	f->ev.leak.anon_map_growth = (__s64)p->mem.anon_live_bytes - (__s64)s->leak_base.anon_live;
	f->ev.leak.file_growth = (__s64)p->mem.file - (__s64)s->leak_base.file;
	f->ev.leak.shmem_growth = (__s64)p->mem.shmem - (__s64)s->leak_base.shmem;
	f->ev.leak.anon_growth = (__s64)p->mem.anon - (__s64)s->leak_base.anon;
	finding_sites_fill(f, p, f->since_ts, now);
	f->confidence = o->conf;
	/* crit: at this rate the process doubles its resident memory within an hour */
	sev = o->rate * 3600 >= (double)p->mem.rss ? SEV_CRIT : SEV_WARN;
	s->f[FIND_LEAK]->stopped = false;
	s->f[FIND_LEAK]->grew_until = now;
	finding_touch(s->f[FIND_LEAK], sev, now);
}

static void leak_eval(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	struct leak_obs o;
	struct finding *f;

	if (!s->has_mem)
		return;
	if (linear_test(d, s, p, now, &o) || stepwise_test(d, s, p, &o)) {
		leak_report(d, s, p, now, &o);
		return;
	}
	if (!s->f[FIND_LEAK] || !s->f[FIND_LEAK]->f.active)
		return;
	f = &s->f[FIND_LEAK]->f;
	if (f->ev.leak.steps ? stepwise_continues(d, p, f) : linear_continues(d, s, now)) {
		f->last_ts = now;
		f->ev.leak.rss_to = p->mem.rss;
		s->f[FIND_LEAK]->dirty = true;
	} else {
		f->active = false;
		s->f[FIND_LEAK]->stopped = !f->ev.leak.steps; /* a rise that ended: the summary says so */
		s->f[FIND_LEAK]->dirty = true;
	}
}

/* ---- evidence (evidence.h) ---- */

static void leak_fields(const struct finding *f, struct evidence_fields *o)
{
	const __typeof__(f->ev.leak) *l = &f->ev.leak;

	o->str(o->ctx, "shape", leak_shape_name(l->shape), 16);
	o->num(o->ctx, "rate_bytes_per_s", l->rate_bytes_per_s, 1);
	o->u64(o->ctx, "rss_from_bytes", l->rss_from);
	o->u64(o->ctx, "rss_to_bytes", l->rss_to);
	o->i64(o->ctx, "brk_growth_bytes", l->brk_growth);
	o->i64(o->ctx, "anon_map_growth_bytes", l->anon_map_growth);
	o->i64(o->ctx, "file_growth_bytes", l->file_growth);
	o->i64(o->ctx, "shmem_growth_bytes", l->shmem_growth);
	o->i64(o->ctx, "anon_growth_bytes", l->anon_growth);
	o->u64(o->ctx, "steps", l->steps);
}

/* signed growth: "+1.2G" */
static const char *growth_str(char *b, size_t l, __s64 v)
{
	char t[16];

	snprintf(b, l, "%s%s", v > 0 ? "+" : "", fmt_bytes(t, sizeof(t), (double)v));
	return b;
}

static void leak_lines(const struct finding *f, struct evidence_lines *o)
{
	const __typeof__(f->ev.leak) *l = &f->ev.leak;
	char a[16], b[16], r[16], g[24];
	const char *what[4] = {"brk heap", "anonymous mappings", "file pages", "shmem"};
	__s64 v[4] = {l->brk_growth, l->anon_map_growth, l->file_growth, l->shmem_growth};
	unsigned shown = 0;

	ev_line(o, "RSS %s -> %s, growing %s/min (%s)", fmt_bytes(a, sizeof(a), l->rss_from),
		fmt_bytes(b, sizeof(b), l->rss_to), fmt_bytes(r, sizeof(r), l->rate_bytes_per_s * 60),
		leak_shape_name(l->shape));
	if (l->shape == LEAK_STEPWISE && l->steps)
		ev_line(o, "%u rising floors: each task leaves memory behind", l->steps);
	for (unsigned i = 0; i < 4; i++) {
		if (!v[i])
			continue;
		if (!shown++)
			o->begin(o->ctx);
		ev_printf(o, "%s%s %s", shown > 1 ? ", " : "what grows: ", what[i], growth_str(g, sizeof(g), v[i]));
	}
	if (shown)
		o->end(o->ctx);
}

const struct detector_kind detect_leak_kind = {
	.kind = FIND_LEAK,
	.name = "leak",
	.badge = "LEAK",
	.memory = true,
	.eval = leak_eval,
	.render = leak_render,
	.fields = leak_fields,
	.lines = leak_lines,
	.colour = FC_RED,
};
