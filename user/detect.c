// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The detectors' common part: the finding list (sticky, newest first), the
 * state kept per process entry between evaluations, the memory samples that
 * leak and retention read, and the evaluation loop.  The rules themselves
 * are in detect_leak.c, detect_retention.c and detect_contention.c;
 * docs/detectors.md explains them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

/* Enough for one finding of each kind for every process a long run sees;
 * past it the oldest inactive findings are forgotten (detector_dropped). */
#define FINDINGS_MAX 4096

/* ---- names --------------------------------------------------------------------- */

const char *finding_kind_name(enum finding_kind k)
{
	switch (k) {
	case FIND_LEAK: return "leak";
	case FIND_RETENTION: return "retention";
	case FIND_CONTENTION: return "contention";
	default: return "unknown";
	}
}

const char *finding_severity_name(enum finding_severity s)
{
	return s == SEV_CRIT ? "crit" : "warn";
}

const char *leak_shape_name(enum leak_shape s)
{
	return s == LEAK_STEPWISE ? "stepwise" : "linear";
}

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

/* ---- ring geometry ------------------------------------------------------------------ */

static __u64 period_for(double span_s, unsigned max_samples)
{
	double ticks = ceil(span_s / max_samples);

	return (__u64)(ticks < 1 ? 1 : ticks) * NS_PER_S;
}

/* Memory samples must reach back over every span a memory rule judges;
 * contention samples over its window.  Spans of a few minutes keep one
 * sample per second; longer ones get coarser samples, not more. */
static void geometry(struct detector *d)
{
	const struct vigil_config *c = &d->cfg;
	double span = fmax(fmax(c->leak.window_s, c->leak.min_duration_s), c->retention.idle_s);

	d->mem_period = period_for(span, MEM_SAMPLES_MAX);
	d->mem_cap = (__u32)ceil(span * NS_PER_S / (double)d->mem_period) + 3;
	d->cpu_period = period_for(c->contention.window_s, CPU_SAMPLES_MAX);
	d->cpu_cap = (__u32)ceil(c->contention.window_s * NS_PER_S / (double)d->cpu_period) + 2;
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

static struct pstate *ps_new(struct detector *d, __u64 id)
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

static void ps_free(struct pstate *s)
{
	free(s->mem.s);
	cpu_ring_free(&s->cpu);
	free(s);
}

static void finding_end(struct frec *r)
{
	if (r)
		r->f.active = false;
}

/* Entries agg folded since the last evaluation: their findings stay, final. */
static void ps_prune(struct detector *d)
{
	size_t j = 0;

	for (size_t i = 0; i < d->nps; i++) {
		struct pstate *s = d->ps[i];

		if (s->gen == d->gen) {
			d->ps[j++] = s;
			continue;
		}
		finding_end(s->leak);
		finding_end(s->ret);
		finding_end(s->cont);
		ps_free(s);
	}
	d->nps = j;
}

/* ---- the finding list ------------------------------------------------------------------ */

static void forget_refs(struct detector *d, const struct frec *r)
{
	struct pstate *s = r->f.proc_id ? detector_state(d, r->f.proc_id) : NULL;

	if (r == d->host_f)
		d->host_f = NULL;
	if (!s)
		return;
	if (s->leak == r)
		s->leak = NULL;
	if (s->ret == r)
		s->ret = NULL;
	if (s->cont == r)
		s->cont = NULL;
}

/* Makes room by forgetting the oldest inactive finding; false if all are active. */
static bool list_make_room(struct detector *d)
{
	for (size_t i = 0; i < d->nlist; i++) {
		struct frec *r = d->list[i];

		if (r->f.active)
			continue;
		forget_refs(d, r);
		cpu_sample_free(r->base);
		free(r);
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
static void mem_take(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
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

/* ---- evaluation ------------------------------------------------------------------ */

/* Nothing reads a final entry's samples again (it is never evaluated, and
 * the end-of-stream judgement starts from the entry's birth): they go now,
 * not when agg folds the entry, which a report never does.  On a trace of
 * many short-lived processes the next ones reuse the memory instead of
 * faulting in more. */
static void proc_final(struct pstate *s)
{
	finding_end(s->leak);
	finding_end(s->ret);
	finding_end(s->cont);
	s->final = true;
	free(s->mem.s);
	s->mem.s = NULL;
	s->mem.n = 0;
	cpu_ring_free(&s->cpu);
	if (s->cont) {
		cpu_sample_free(s->cont->base);
		s->cont->base = NULL;
	}
}

static void proc_eval(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	/* After the exit the kernel tears the address space down: its RSS
	 * records say nothing about leaks.  CPU counters are still right. */
	if (!p->exited) {
		mem_take(d, s, p, now);
		leak_eval(d, s, p, now);
		retention_eval(d, s, p, now);
	}
	contention_eval(d, s, p, now);
	if (p->exited)
		proc_final(s);
}

void detector_eval(struct detector *d, struct agg *a, __u64 now)
{
	if (d->evaluated && now < d->last_now)
		return;
	d->gen++;
	d->win_wait = d->win_run = 0;
	memset(d->holders, 0, sizeof(d->holders));
	for (size_t i = 0; i < agg_nprocs(a); i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		struct pstate *s = detector_state(d, p->id);

		if (!s && !(s = ps_new(d, p->id)))
			continue; /* out of memory: judged next time */
		s->gen = d->gen;
		if (!s->final)
			proc_eval(d, s, p, now);
	}
	contention_host_eval(d, a, now);
	ps_prune(d);
	d->last_now = now;
	d->evaluated = true;
}

void detector_finish(struct detector *d, struct agg *a, __u64 now)
{
	detector_eval(d, a, now);
	contention_finish(d, a, now);
}

/* ---- construction and access ----------------------------------------------------------- */

struct detector *detector_new(const struct vigil_config *cfg)
{
	struct detector *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	else
		config_defaults(&d->cfg);
	geometry(d);
	if (ring_init(&d->host, d->cpu_cap, sizeof(struct host_sample))) {
		free(d);
		return NULL;
	}
	return d;
}

void detector_free(struct detector *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nps; i++)
		ps_free(d->ps[i]);
	for (size_t i = 0; i < d->nlist; i++) {
		cpu_sample_free(d->list[i]->base);
		free(d->list[i]);
	}
	free(d->ps);
	free(d->list);
	free(d->scratch);
	free(d->host.s);
	free(d);
}

size_t detector_nfindings(const struct detector *d)
{
	return d->nlist;
}

static void finding_render(struct frec *r)
{
	switch (r->f.kind) {
	case FIND_LEAK: leak_render(r); break;
	case FIND_RETENTION: retention_render(r); break;
	case FIND_CONTENTION: contention_render(r); break;
	default: break;
	}
	r->dirty = false;
}

/* Reading renders a summary whose evidence changed: the cache is the
 * finding's, which is why a const detector may write it. */
const struct finding *detector_finding(const struct detector *d, size_t i)
{
	struct frec *r;

	if (i >= d->nlist)
		return NULL;
	r = d->list[d->nlist - 1 - i];
	if (r->dirty)
		finding_render(r);
	return &r->f;
}

size_t detector_findings(const struct detector *d, const struct finding ***buf, size_t *cap)
{
	size_t n = d ? d->nlist : 0;

	if (n > *cap) {
		const struct finding **p = realloc(*buf, n * sizeof(*p));
		if (!p)
			return (size_t)-1;
		*buf = p;
		*cap = n;
	}
	for (size_t i = 0; i < n; i++)
		(*buf)[i] = detector_finding(d, i);
	return n;
}

size_t detector_dropped(const struct detector *d)
{
	return d->dropped;
}
