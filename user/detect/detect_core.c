// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The detectors' core: sample rings, the line fit, the whole-trace RSS
 * floor, the per-process state table, the finding list (sticky, oldest
 * first) and the memory samples that leak and retention read.  It calls
 * nothing above it: the detectors (detect_leak.c, detect_retention.c,
 * detect_contention.c) call it, and the loop in detect.c drives them
 * through their table. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_core.h"
#include "sites.h"

/* Enough for one finding of each kind for every process a long run sees;
 * past it the oldest inactive findings are forgotten (detector_dropped). */
#define FINDINGS_MAX 4096

/* ---- small helpers ---------------------------------------------------------------- */

#define RING_FIRST 2 /* samples allocated at first */

int ring_init(struct ring *r, __u32 cap, size_t size)
{
	r->alloc = cap < RING_FIRST ? cap : RING_FIRST;
	r->s = calloc(r->alloc, size);
	r->start = r->n = 0;
	r->cap = cap;
	r->size = size;
	return r->s ? 0 : -1;
}

/* Room for one more sample before the ring is full.  Out of memory, the
 * ring makes do with what it has: it wraps there from now on. */
static void ring_grow(struct ring *r)
{
	__u32 want = r->alloc * 2 < r->cap ? r->alloc * 2 : r->cap;
	void *s = realloc(r->s, (size_t)want * r->size);

	if (!s) {
		r->cap = r->alloc;
		return;
	}
	r->s = s;
	r->alloc = want;
}

void *ring_at(const struct ring *r, __u32 i)
{
	return (char *)r->s + (size_t)((r->start + i) % r->cap) * r->size;
}

void *ring_last(const struct ring *r)
{
	return r->n ? ring_at(r, r->n - 1) : NULL;
}

static void *push(struct ring *r, bool clear_reused)
{
	void *slot;

	if (r->n == r->alloc && r->alloc < r->cap)
		ring_grow(r);
	if (r->n < r->cap) {
		r->n++;
		clear_reused = true; /* a slot never used: whatever realloc left there */
	} else {
		r->start = (r->start + 1) % r->cap;
	}
	slot = ring_at(r, r->n - 1);
	if (clear_reused)
		memset(slot, 0, r->size);
	return slot;
}

void *ring_push(struct ring *r)
{
	return push(r, true);
}

void *ring_push_reuse(struct ring *r)
{
	return push(r, false);
}

bool line_fit(const double *x, const double *y, size_t n, struct line *l)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, syy = 0, sse;

	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		mx += x[i];
		my += y[i];
	}
	mx /= (double)n;
	my /= (double)n;
	for (size_t i = 0; i < n; i++) {
		sxx += (x[i] - mx) * (x[i] - mx);
		sxy += (x[i] - mx) * (y[i] - my);
		syy += (y[i] - my) * (y[i] - my);
	}
	if (sxx <= 0)
		return false;
	l->b = sxy / sxx;
	l->a = my - l->b * mx;
	sse = syy - l->b * sxy; /* residual sum of squares */
	if (sse < 0)
		sse = 0;
	l->sigma = sqrt(sse / (double)n);
	l->r2 = syy > 0 ? 1.0 - sse / syy : 1.0;
	return true;
}

void summary_set(struct finding *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->summary, sizeof(f->summary), fmt, ap);
	va_end(ap);
}

__u64 mem_given_back(const struct agg_counters *c)
{
	return c->munmap_bytes + c->madv_dontneed_bytes + c->madv_free_bytes + c->brk_shrink_bytes +
	       c->mremap_shrink_bytes;
}

/* ---- the whole-trace floor ------------------------------------------------------------ */

const __u64 *series_floor(struct detector *d, const struct agg_rss_series *r)
{
	__u64 m = UINT64_MAX;

	if (r->n > d->scratch_cap) {
		__u64 *s = realloc(d->scratch, r->n * sizeof(*s));

		if (!s)
			return NULL;
		d->scratch = s;
		d->scratch_cap = r->n;
	}
	for (__u32 j = r->n; j-- > 0;) {
		if (r->pts[j].min < m)
			m = r->pts[j].min;
		d->scratch[j] = m;
	}
	return d->scratch;
}

__u64 series_floor_from(const struct agg_rss_series *r, const __u64 *F, __u64 t)
{
	__u32 lo = 0, hi = r->n;

	while (lo < hi) { /* the first point at or after t */
		__u32 mid = lo + (hi - lo) / 2;

		if (r->pts[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->n ? F[lo] : F[r->n - 1];
}

__u64 series_last_at(const struct agg_rss_series *r, const __u64 *F, __u64 level)
{
	__u32 lo = 0, hi = r->n;

	while (lo < hi) { /* F is non-decreasing: the first j with F[j] > level */
		__u32 mid = lo + (hi - lo) / 2;

		if (F[mid] <= level)
			lo = mid + 1;
		else
			hi = mid;
	}
	return r->pts[lo ? lo - 1 : 0].ts;
}

/* ---- per-process state, sorted by entry id ------------------------------------------ */

static size_t ps_lower(const struct detector *d, __u64 id)
{
	size_t lo = 0, hi = d->nps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->ps[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct pstate *detector_state(const struct detector *d, __u64 id)
{
	size_t i = ps_lower(d, id);

	return i < d->nps && d->ps[i]->id == id ? d->ps[i] : NULL;
}

struct pstate *detector_state_new(struct detector *d, __u64 id)
{
	size_t i = ps_lower(d, id);
	struct pstate *s;

	if (d->nps == d->cap_ps) {
		size_t cap = d->cap_ps ? d->cap_ps * 2 : 64;
		struct pstate **ps = realloc(d->ps, cap * sizeof(*ps));

		if (!ps)
			return NULL;
		d->ps = ps;
		d->cap_ps = cap;
	}
	s = calloc(1, sizeof(*s));
	if (!s || ring_init(&s->mem, d->mem_cap, sizeof(struct mem_sample))) {
		free(s);
		return NULL;
	}
	s->id = id;
	memmove(&d->ps[i + 1], &d->ps[i], (d->nps - i) * sizeof(*d->ps));
	d->ps[i] = s;
	d->nps++;
	return s;
}

/* ---- the finding list ------------------------------------------------------------------ */

static void forget_refs(struct detector *d, const struct frec *r)
{
	struct pstate *s = r->f.proc_id ? detector_state(d, r->f.proc_id) : NULL;

	if (r == d->host_f)
		d->host_f = NULL;
	if (s && s->f[r->f.kind] == r)
		s->f[r->f.kind] = NULL;
}

/* Makes room by forgetting the oldest inactive finding; false if all are active. */
static bool list_make_room(struct detector *d)
{
	for (size_t i = 0; i < d->nlist; i++) {
		struct frec *r = d->list[i];

		if (r->f.active)
			continue;
		forget_refs(d, r);
		d->finding_free(r);
		memmove(&d->list[i], &d->list[i + 1], (d->nlist - i - 1) * sizeof(*d->list));
		d->nlist--;
		d->dropped++;
		return true;
	}
	return false;
}

static bool list_reserve(struct detector *d)
{
	if (d->nlist >= FINDINGS_MAX && !list_make_room(d))
		return false;
	if (d->nlist == d->cap_list) {
		size_t cap = d->cap_list ? d->cap_list * 2 : 32;
		struct frec **l = realloc(d->list, cap * sizeof(*l));

		if (!l)
			return false;
		d->list = l;
		d->cap_list = cap;
	}
	return true;
}

/* A new finding about p (NULL: the host), active, severity warn. */
struct frec *finding_open(struct detector *d, enum finding_kind k, const struct agg_proc *p,
			  __u64 since, __u64 now)
{
	struct frec *r;

	if (!list_reserve(d) || !(r = calloc(1, sizeof(*r)))) {
		d->dropped++;
		return NULL;
	}
	r->f.kind = k;
	if (p) {
		r->f.proc_id = p->id;
		r->f.pid = p->pid;
		r->f.role = p->role;
		memcpy(r->f.comm, p->comm, sizeof(r->f.comm));
		r->f.comm[VIGIL_COMM_LEN - 1] = 0;
	} else {
		r->f.role = ROLE_OTHER;
		snprintf(r->f.comm, sizeof(r->f.comm), "[host]");
	}
	r->f.since_ts = since;
	r->f.raised_ts = r->f.last_ts = now;
	r->f.active = true;
	d->list[d->nlist++] = r;
	return r;
}

/* The rule still holds at now; severity only ever rises. */
void finding_touch(struct frec *r, enum finding_severity sev, __u64 now)
{
	r->dirty = true;
	r->f.active = true;
	r->f.last_ts = now;
	if (sev > r->f.severity)
		r->f.severity = sev;
}

/* ---- memory samples ------------------------------------------------------------------ */

/* The memory levels of p that a mem_base and a mem_sample both keep; the
 * RSS goes to the field named rss_field. */
#define MEM_LEVELS_OF(dst, rss_field, p)                                \
	do {                                                            \
		(dst)->rss_field = (p)->mem.rss;                        \
		(dst)->anon = (p)->mem.anon;                            \
		(dst)->anon_live = (p)->mem.anon_live_bytes;            \
		(dst)->heap = (p)->mem.heap_bytes;                      \
		(dst)->file = (p)->mem.file;                            \
		(dst)->shmem = (p)->mem.shmem;                          \
		(dst)->given_back = mem_given_back(&(p)->tot);          \
	} while (0)

static void base_of(struct mem_base *b, const struct agg_proc *p, __u64 ts)
{
	b->ts = ts;
	MEM_LEVELS_OF(b, rss, p);
}

/* The RSS range over (since, now]: the level held at since, every series
 * point that began after since (a point's min and max only hold samples
 * from its own ts on), and the level now. */
static void rss_range(const struct agg_proc *p, __u64 since, __u64 held, __u64 *lo, __u64 *hi)
{
	const struct agg_rss_series *r = &p->rss;

	*lo = *hi = p->mem.rss;
	if (held < *lo)
		*lo = held;
	if (held > *hi)
		*hi = held;
	for (__u32 i = r->n; i-- > 0 && r->pts[i].ts > since;) {
		if (r->pts[i].min < *lo)
			*lo = r->pts[i].min;
		if (r->pts[i].max > *hi)
			*hi = r->pts[i].max;
	}
}

static void sample_end(struct mem_sample *m, const struct agg_proc *p, __u64 now)
{
	m->end_ts = now;
	MEM_LEVELS_OF(m, last, p);
	m->on_cpu = p->tot.on_cpu_ns;
}

/* One evaluation's worth of memory: a new sample once a period has passed,
 * else folded into the newest.  Also tracks the floor (lowest RSS) with the
 * counters at the start of the span that held it. */
void mem_take(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	struct mem_sample *m = ring_last(&s->mem);
	__u64 since, lo, hi;

	if (!p->tot.rss_samples)
		return;
	if (s->has_mem && now <= s->prev_ts)
		return;
	if (!s->has_mem) {
		/* the first span: from the entry's birth, whose counters were all 0 */
		since = p->first_ts ? p->first_ts - 1 : 0;
		rss_range(p, since, p->rss.n ? p->rss.pts[0].min : p->mem.rss, &lo, &hi);
		/* the entry's birth: counters 0, and anonymous memory what the
		 * lowest RSS leaves beside file and shmem (they seldom move) */
		memset(&s->prev, 0, sizeof(s->prev));
		s->prev.ts = since;
		s->prev.file = p->mem.file;
		s->prev.shmem = p->mem.shmem;
		s->prev.anon = lo > p->mem.file + p->mem.shmem ? lo - p->mem.file - p->mem.shmem : 0;
	} else {
		since = s->prev_ts;
		rss_range(p, since, s->prev_rss, &lo, &hi);
	}
	if (!m || now >= m->ts + d->mem_period) {
		m = ring_push(&s->mem);
		m->ts = now;
		m->from_ts = since;
		m->min = lo;
		m->max = hi;
	} else {
		if (lo < m->min)
			m->min = lo;
		if (hi > m->max)
			m->max = hi;
	}
	sample_end(m, p, now);
	if (!s->has_mem || lo < s->low.rss) {
		s->low = s->prev;
		s->low.rss = lo;
	}
	s->has_mem = true;
	s->prev_ts = now;
	s->prev_rss = p->mem.rss;
	base_of(&s->prev, p, now);
}

void finding_sites_fill(struct finding *f, const struct agg_proc *p, __u64 from, __u64 to)
{
	struct site_row rows[FINDING_SITES_MAX];
	size_t n = sites_top(p->sites, from, to, rows, FINDING_SITES_MAX, &f->sites.total);

	f->sites.n = (__u32)n;
	for (size_t i = 0; i < n; i++)
		f->sites.top[i] = (struct finding_site){rows[i].stack, (__u64)rows[i].bytes, rows[i].samples};
}
