// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The detectors' loop: the table of detector kinds, evaluation of every
 * process entry through it, the end of a process's state, and access to
 * the findings.  The rules are in detect_leak.c, detect_retention.c and
 * detect_contention.c (one file per kind, one row in kinds[] below), what
 * they share in detect_core.c; docs/detectors.md explains them. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_core.h"
#include "site_evidence.h"

/* The detectors, in evaluation order (retention reads leak's finding), at
 * their kind's index.  A new detector: a file that defines its row, and
 * its line here (and its enum finding_kind value and evidence, detect.h). */
static const struct detector_kind *const kinds[FIND_KIND_COUNT] = {
	[FIND_LEAK] = &detect_leak_kind,
	[FIND_RETENTION] = &detect_retention_kind,
	[FIND_CONTENTION] = &detect_contention_kind,
};

static const struct detector_kind *kind_of(enum finding_kind k)
{
	return (unsigned)k < FIND_KIND_COUNT ? kinds[k] : NULL;
}

/* ---- names --------------------------------------------------------------------- */

const char *finding_kind_name(enum finding_kind k)
{
	return kind_of(k) ? kind_of(k)->name : "unknown";
}

const char *finding_kind_badge(enum finding_kind k)
{
	return kind_of(k) ? kind_of(k)->badge : "?";
}

enum finding_colour finding_kind_colour(enum finding_kind k)
{
	return kind_of(k) ? kind_of(k)->colour : FC_CYAN;
}

const char *finding_hint(const struct finding *f)
{
	if (f->hint)
		return f->hint;
	return kind_of(f->kind) ? kind_of(f->kind)->hint : NULL;
}

/* A memory finding's allocation sites follow its kind's own evidence,
 * when the trace sampled sites (detect_core.c finding_sites_fill). */
static bool says_sites(const struct finding *f, const struct site_model *m)
{
	return kind_of(f->kind) && kind_of(f->kind)->memory && m && sites_present(m);
}

void finding_evidence_fields(const struct finding *f, struct evidence_fields *o)
{
	if (kind_of(f->kind) && kind_of(f->kind)->fields)
		kind_of(f->kind)->fields(f, o);
	if (says_sites(f, o->sites))
		site_evidence_fields(o, "sites", f->sites.top, f->sites.n, f->sites.total);
}

void finding_evidence_lines(const struct finding *f, struct evidence_lines *o)
{
	if (kind_of(f->kind) && kind_of(f->kind)->lines)
		kind_of(f->kind)->lines(f, o);
	if (says_sites(f, o->sites))
		site_evidence_lines(o, f->sites.top, f->sites.n, f->sites.total);
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

/* What every kind keeps for s goes (NULL ops: nothing kept). */
static void ps_release(struct pstate *s)
{
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (kinds[k]->release)
			kinds[k]->release(s);
}

static void ps_free(struct pstate *s)
{
	free(s->mem.s);
	ps_release(s);
	free(s);
}

/* s's findings are no longer active */
static void findings_end(struct pstate *s)
{
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (s->f[k])
			s->f[k]->f.active = false;
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
		findings_end(s);
		ps_free(s);
	}
	d->nps = j;
}

/* ---- evaluation ------------------------------------------------------------------ */

/* Nothing reads a final entry's samples again (it is never evaluated, and
 * the end-of-stream judgement starts from the entry's birth): they go now,
 * not when agg folds the entry, which a report never does.  On a trace of
 * many short-lived processes the next ones reuse the memory instead of
 * faulting in more. */
static void proc_final(struct pstate *s)
{
	findings_end(s);
	s->final = true;
	free(s->mem.s);
	s->mem.s = NULL;
	s->mem.n = 0;
	ps_release(s);
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (s->f[k] && kinds[k]->finding_release)
			kinds[k]->finding_release(s->f[k]);
}

static void proc_eval(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	/* After the exit the kernel tears the address space down: its RSS
	 * records say nothing about leaks.  CPU counters are still right. */
	if (!p->exited)
		mem_take(d, s, p, now);
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (!(p->exited && kinds[k]->memory))
			kinds[k]->eval(d, s, p, now);
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

		if (!s && !(s = detector_state_new(d, p->id)))
			continue; /* out of memory: judged next time */
		s->gen = d->gen;
		if (!s->final)
			proc_eval(d, s, p, now);
	}
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (kinds[k]->host_eval)
			kinds[k]->host_eval(d, a, now);
	ps_prune(d);
	d->last_now = now;
	d->evaluated = true;
}

void detector_finish(struct detector *d, struct agg *a, __u64 now)
{
	detector_eval(d, a, now);
	for (unsigned k = 0; k < FIND_KIND_COUNT; k++)
		if (kinds[k]->finish)
			kinds[k]->finish(d, a, now);
}

/* ---- construction and access ----------------------------------------------------------- */

/* A finding the list forgets, with what its kind keeps beside it. */
static void finding_free(struct frec *r)
{
	if (kind_of(r->f.kind) && kind_of(r->f.kind)->finding_release)
		kind_of(r->f.kind)->finding_release(r);
	free(r);
}

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
	d->finding_free = finding_free;
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
	for (size_t i = 0; i < d->nlist; i++)
		finding_free(d->list[i]);
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
	if (kind_of(r->f.kind))
		kind_of(r->f.kind)->render(r);
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
