// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Retention: memory the program freed but the allocator kept.  glibc gives
 * back neither the brk heap below a chunk still in use nor its thread
 * arenas on free(); the process then sits idle with its RSS flat far above
 * the floor it had before the burst.  It is not a leak (the memory is free
 * inside the process, malloc_trim(0) returns it) and is never called one.
 *
 * Rule, evaluated while the process rests (RSS flat within 1/64 or 4 MiB
 * and CPU <= max_idle_cpu over the last idle_s):
 *  - RSS is >= min_retained_bytes above the lowest RSS seen (the floor);
 *  - the growth since the floor is anonymous memory that no live mapping
 *    explains: anon RSS growth minus the growth of anonymous mappings never
 *    unmapped (glibc unmaps big blocks on free, so live mappings are memory
 *    in use, e.g. a model just loaded) is >= min_retained_bytes too;
 *  - no leak finding is active for the process (a floor that keeps rising
 *    is a leak, and the leak finding says which memory grows).
 * The brk heap still at its high-water mark and nothing handed back
 * (munmap, MADV_DONTNEED/FREE, brk shrink) raise the confidence. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detect_core.h"
#include "format.h"

#define HINT "glibc keeps freed memory: call malloc_trim(0) or set MALLOC_TRIM_THRESHOLD_/MALLOC_ARENA_MAX"

/* Flat: RSS within this of its floor over the rest. */
static __u64 flat_tolerance(__u64 level)
{
	return level / 64 > (4u << 20) ? level / 64 : (4u << 20);
}

struct rest {
	__u64 level; /* lowest RSS over the rest */
	double cpu;  /* CPUs used over it */
};

/* Flat and idle over the last idle_s.  The samples must reach back that far. */
static bool resting(const struct detector *d, const struct pstate *s, __u64 now, struct rest *r)
{
	__u64 span = (__u64)(d->cfg.retention.idle_s * NS_PER_S), lo = UINT64_MAX, hi = 0;
	const struct mem_sample *base = NULL, *m = NULL;

	if (now < span)
		return false;
	for (__u32 i = 0; i < s->mem.n; i++) {
		m = ring_at(&s->mem, i);
		if (m->end_ts <= now - span) {
			base = m;
			continue;
		}
		if (m->min < lo)
			lo = m->min;
		if (m->max > hi)
			hi = m->max;
	}
	if (!base || !m || m == base || hi - lo > flat_tolerance(lo))
		return false;
	r->level = lo;
	r->cpu = (double)(m->on_cpu - base->on_cpu) / (double)(now - base->end_ts);
	return r->cpu <= d->cfg.retention.max_idle_cpu;
}

struct held {
	__u64 retained;
	__s64 anon_growth, map_growth;
	__u64 given_back;
};

/* How much of the rise above the floor the allocator holds (see above). */
static void held_by_allocator(const struct pstate *s, const struct agg_proc *p, const struct rest *r,
			      struct held *h)
{
	double outside;

	h->anon_growth = (__s64)p->mem.anon - (__s64)s->low.anon;
	h->map_growth = (__s64)p->mem.anon_live_bytes - (__s64)s->low.anon_live;
	h->given_back = mem_given_back(&p->tot) - s->low.given_back;
	outside = (double)h->anon_growth - (h->map_growth > 0 ? (double)h->map_growth : 0);
	h->retained = r->level > s->low.rss ? r->level - s->low.rss : 0;
	if (outside < (double)h->retained)
		h->retained = outside > 0 ? (__u64)outside : 0;
}

static double retention_confidence(const struct agg_proc *p, const struct held *h)
{
	double c = 0.5;

	if (p->mem.heap_bytes >= h->retained / 2 && p->mem.heap_bytes * 10 >= p->mem.heap_peak_bytes * 9)
		c += 0.3; /* the brk heap holds it, at its high-water mark */
	if (h->given_back < h->retained / 4)
		c += 0.2; /* and nothing went back to the kernel */
	return c;
}

static void retention_render(struct frec *r)
{
	struct finding *f = &r->f;
	char rss[32], kept[32], floor[32], heap[32], back[32];

	fmt_bytes(rss, sizeof(rss), (double)f->ev.retention.rss_bytes);
	fmt_bytes(kept, sizeof(kept), (double)f->ev.retention.retained_bytes);
	fmt_bytes(floor, sizeof(floor), (double)f->ev.retention.floor_bytes);
	fmt_bytes(heap, sizeof(heap), (double)f->ev.retention.heap_bytes);
	fmt_bytes(back, sizeof(back), (double)f->ev.retention.given_back_bytes);
	summary_set(f, "idle %.0f s at %s, %s above its floor of %s; brk heap %s%s, %s given back. %s",
		 f->ev.retention.idle_s, rss, kept, floor, heap,
		 f->ev.retention.heap_bytes && f->ev.retention.heap_bytes == f->ev.retention.heap_peak_bytes
			 ? " (high-water)" : "",
		 back, HINT);
}

/* When the RSS last stood at its floor: the burst began after it. */
static __u64 burst_start(struct detector *d, const struct pstate *s, const struct agg_proc *p)
{
	const __u64 *F = p->rss.n ? series_floor(d, &p->rss) : NULL;

	return F ? series_last_at(&p->rss, F, s->low.rss + flat_tolerance(s->low.rss)) : s->low.ts;
}

static void retention_report(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now,
			     const struct held *h)
{
	const struct vigil_retention_cfg *c = &d->cfg.retention;
	struct finding *f;

	__u64 since = burst_start(d, s, p);

	if (!s->f[FIND_RETENTION] && !(s->f[FIND_RETENTION] = finding_open(d, FIND_RETENTION, p, since, now)))
		return;
	f = &s->f[FIND_RETENTION]->f;
	if (!f->active)
		f->since_ts = since; /* a new burst since it went away */
	f->hint = HINT;
	f->ev.retention.rss_bytes = p->mem.rss;
	f->ev.retention.floor_bytes = s->low.rss;
	f->ev.retention.retained_bytes = h->retained;
	f->ev.retention.heap_bytes = p->mem.heap_bytes;
	f->ev.retention.heap_peak_bytes = p->mem.heap_peak_bytes;
	f->ev.retention.given_back_bytes = h->given_back;
	f->ev.retention.anon_growth = h->anon_growth;
	f->ev.retention.anon_map_growth = h->map_growth;
	f->ev.retention.idle_s = (double)(now - s->rest_start) / NS_PER_S;
	finding_sites_fill(f, p, f->since_ts, now);
	f->confidence = retention_confidence(p, h);
	finding_touch(s->f[FIND_RETENTION], h->retained >= 2 * c->min_retained_bytes ? SEV_CRIT : SEV_WARN, now);
}

/* Outside a rest the finding holds while the memory stays above the floor. */
static void retention_hold(struct detector *d, struct pstate *s, const struct agg_proc *p, bool leaking,
			   __u64 now)
{
	struct finding *f = &s->f[FIND_RETENTION]->f;
	const struct mem_sample *m = ring_last(&s->mem);

	if (!f->active)
		return;
	if (leaking || !m || m->min < s->low.rss + d->cfg.retention.min_retained_bytes) {
		f->active = false; /* given back, or superseded by a leak */
		return;
	}
	f->last_ts = now;
	f->ev.retention.rss_bytes = p->mem.rss;
	s->f[FIND_RETENTION]->dirty = true;
}

static void retention_eval(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	struct rest r;
	struct held h;
	bool rest, leaking = s->f[FIND_LEAK] && s->f[FIND_LEAK]->f.active;

	if (!s->has_mem)
		return;
	rest = resting(d, s, now, &r);
	if (rest && !s->in_rest)
		s->rest_start = now - (__u64)(d->cfg.retention.idle_s * NS_PER_S);
	s->in_rest = rest;
	if (rest && !leaking) {
		held_by_allocator(s, p, &r, &h);
		if (h.retained >= d->cfg.retention.min_retained_bytes) {
			retention_report(d, s, p, now, &h);
			return;
		}
	}
	if (s->f[FIND_RETENTION])
		retention_hold(d, s, p, leaking, now);
}

/* ---- evidence (evidence.h) ---- */

static void retention_fields(const struct finding *f, struct evidence_fields *o)
{
	const __typeof__(f->ev.retention) *r = &f->ev.retention;

	o->u64(o->ctx, "rss_bytes", r->rss_bytes);
	o->u64(o->ctx, "floor_bytes", r->floor_bytes);
	o->u64(o->ctx, "retained_bytes", r->retained_bytes);
	o->u64(o->ctx, "heap_bytes", r->heap_bytes);
	o->u64(o->ctx, "heap_peak_bytes", r->heap_peak_bytes);
	o->u64(o->ctx, "given_back_bytes", r->given_back_bytes);
	o->i64(o->ctx, "anon_growth_bytes", r->anon_growth);
	o->i64(o->ctx, "anon_map_growth_bytes", r->anon_map_growth);
	o->num(o->ctx, "idle_s", r->idle_s, 3);
}

static void retention_lines(const struct finding *f, struct evidence_lines *o)
{
	const __typeof__(f->ev.retention) *r = &f->ev.retention;
	char a[16], b[16], c[16], d[16], e[16];

	ev_line(o, "resident %s, %s above the floor of %s", fmt_bytes(a, sizeof(a), r->rss_bytes),
		fmt_bytes(b, sizeof(b), r->retained_bytes), fmt_bytes(c, sizeof(c), r->floor_bytes));
	ev_line(o, "brk heap still held %s; given back to the kernel %s; idle %.0f s",
		fmt_bytes(d, sizeof(d), r->heap_bytes), fmt_bytes(e, sizeof(e), r->given_back_bytes), r->idle_s);
}

const struct detector_kind detect_retention_kind = {
	.kind = FIND_RETENTION,
	.name = "retention",
	.badge = "RETAIN",
	.memory = true,
	.eval = retention_eval,
	.render = retention_render,
	.fields = retention_fields,
	.lines = retention_lines,
	/* retention is the allocator's doing: the advice is always the same */
	.hint = "the allocator keeps memory the program freed: call malloc_trim(0) after the burst "
		"(glibc), or lower M_TRIM_THRESHOLD / M_MMAP_THRESHOLD (MALLOC_TRIM_THRESHOLD_, "
		"MALLOC_MMAP_THRESHOLD_) or cap arenas (MALLOC_ARENA_MAX)",
	.colour = FC_YELLOW,
};
