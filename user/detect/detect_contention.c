// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Contention: a process that waits for a CPU too much, named with the
 * processes that held the CPU meanwhile.
 *
 * Judged over a sliding window of event time (contention.window_s), from
 * the process's own counter samples: with at least min_runnable_s of
 * runnable time (on CPU + waiting) in the window, the process breaks its
 * role's budget when
 *   - waiting / runnable > runq_wait_share_max, or
 *   - the p99 of its run-queue waits > runq_p99_budget_ms (with at least
 *     P99_MIN_WAITS waits in the window: the p99 of a handful is their max).
 * A finding covers an episode: from the start of the first window that
 * broke the budget to the last evaluation that still saw it broken; its
 * numbers (share, p99, wakeup vs preemption waits, who held the CPU) are
 * those of the latest episode.  At the end of the stream the whole trace is
 * judged as well (detector_finish).
 *
 * The host finding (pid 0): runnable tasks (CPUs running + tracked threads
 * waiting, agg's integrals) above ncpus * host_oversubscription on average
 * over the window. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect_core.h"
#include "format.h"

#define P99_MIN_WAITS 20

/* ---- samples ------------------------------------------------------------------------ */

static bool cpu_seen(const struct agg_proc *p)
{
	return p->tot.on_cpu_ns || p->tot.runq_wait_ns || hist_count(&p->runq);
}

static size_t cpu_bytes(unsigned hnoct, __u32 nwb)
{
	return (size_t)hnoct * CH_OCT * sizeof(__u32) + (size_t)nwb * (sizeof(__u64) + sizeof(__u32));
}

/* Room for a block of bytes at c->data, keeping what is there. */
static int cpu_room(struct cpu_sample *c, size_t bytes)
{
	void *data;

	if (bytes <= c->room)
		return 0;
	if (!(data = realloc(c->data, bytes)))
		return -1;
	c->data = data;
	c->room = (__u32)bytes;
	return 0;
}

static void coarse_hist(__u32 *h, const struct hist *src)
{
	_Static_assert(HIST_SUB % (1u << CH_SHIFT) == 0, "coarse buckets never straddle an octave");
	/* src->lo * HIST_SUB is a multiple of 1 << CH_SHIFT: bucket k of the
	 * stored run folds into coarse bucket k >> CH_SHIFT of the kept run */
	memset(h, 0, (size_t)src->noct * CH_OCT * sizeof(*h));
	for (unsigned k = 0; k < (unsigned)src->noct * HIST_SUB; k++)
		h[k >> CH_SHIFT] += (__u32)src->b[k];
}

static void cpu_counters(struct cpu_sample *c, const struct agg_proc *p, __u64 now)
{
	c->ts = now;
	c->on_cpu = p->tot.on_cpu_ns;
	c->wait = p->tot.runq_wait_ns;
	c->wake_ns = hist_sum(&p->runq_wakeup);
	c->pre_ns = hist_sum(&p->runq_preempt);
	c->nwaits = hist_count(&p->runq);
}

/* The histogram is folded only when it changed: a process that did not
 * wait since prev has prev's counts (also when prev is c, refilled). */
int cpu_sample_fill(struct cpu_sample *c, const struct cpu_sample *prev, const struct agg_proc *p,
		    __u64 now)
{
	__u64 nwaits = hist_count(&p->runq);
	bool same = prev && prev->nwaits == nwaits;
	unsigned lo = same ? prev->hlo : p->runq.lo, noct = same ? prev->hnoct : p->runq.noct;
	__u64 *wb_ns;
	__u32 *wb_pid;

	/* the block begins with the histogram, which a refill keeps */
	if (cpu_room(c, cpu_bytes(noct, p->nwb)))
		return -1;
	if (!noct)
		; /* no wait stored yet: nothing to fold, and c->data may be NULL */
	else if (!same)
		coarse_hist(c->data, &p->runq);
	else if (prev != c)
		memcpy(c->data, prev->data, cpu_bytes(noct, 0));
	c->hlo = (__u8)lo;
	c->hnoct = (__u8)noct;
	cpu_counters(c, p, now);
	c->nwb = p->nwb;
	wb_ns = (__u64 *)cpu_wb_ns(c);
	wb_pid = (__u32 *)cpu_wb_pid(c);
	for (__u32 i = 0; i < p->nwb; i++) {
		wb_pid[i] = p->wb[i].pid;
		wb_ns[i] = p->wb[i].ns;
	}
	return 0;
}

int cpu_sample_copy(struct cpu_sample *dst, const struct cpu_sample *src)
{
	void *data = dst->data;
	__u32 room = dst->room;
	size_t bytes = cpu_bytes(src->hnoct, src->nwb);

	if (cpu_room(dst, bytes))
		return -1;
	data = dst->data;
	room = dst->room;
	*dst = *src;
	dst->data = data;
	dst->room = room;
	if (bytes)
		memcpy(dst->data, src->data, bytes);
	return 0;
}

void cpu_sample_free(struct cpu_sample *c)
{
	if (c)
		free(c->data);
	free(c);
}

void cpu_ring_free(struct ring *r)
{
	for (__u32 i = 0; i < r->n; i++)
		free(((struct cpu_sample *)ring_at(r, i))->data);
	free(r->s);
	r->s = NULL;
	r->n = 0;
}

static const struct cpu_sample *cpu_take(struct detector *d, struct pstate *s, const struct agg_proc *p,
					 __u64 now)
{
	struct cpu_sample *last, *c;
	__u32 n0;

	if (!s->cpu.s && ring_init(&s->cpu, d->cpu_cap, sizeof(struct cpu_sample)))
		return NULL;
	last = ring_last(&s->cpu);
	if (last && now < last->opened + d->cpu_period) {
		/* counters are cumulative: the newest read wins */
		return cpu_sample_fill(last, last, p, now) ? NULL : last;
	}
	n0 = s->cpu.n;
	c = ring_push_reuse(&s->cpu); /* may move the ring: the previous sample is found again */
	if (cpu_sample_fill(c, s->cpu.n >= 2 ? ring_at(&s->cpu, s->cpu.n - 2) : NULL, p, now)) {
		/* out of memory, nothing written: the push is undone (an
		 * overwritten oldest sample is intact, its block too) */
		if (s->cpu.n == n0)
			s->cpu.start = (s->cpu.start + s->cpu.cap - 1) % s->cpu.cap;
		else
			s->cpu.n--;
		return NULL;
	}
	c->opened = now;
	return c;
}

/* The newest sample at least a window old; else the entry's birth, when
 * every counter was 0. */
static void window_base(const struct detector *d, const struct pstate *s, const struct agg_proc *p,
			__u64 now, struct cpu_sample *base)
{
	__u64 w = (__u64)(d->cfg.contention.window_s * NS_PER_S);
	const struct cpu_sample *best = NULL;

	for (__u32 i = 0; i < s->cpu.n; i++) {
		const struct cpu_sample *c = ring_at(&s->cpu, i);

		if (now >= w && c->ts <= now - w)
			best = c;
	}
	if (best) {
		*base = *best;
		return;
	}
	memset(base, 0, sizeof(*base));
	base->ts = base->opened = p->first_ts;
}

/* ---- numbers over a span ------------------------------------------------------------------ */

struct cspan {
	__u64 from, to;
	__u64 on, wait, run, wake, pre, n;
	double share, p99_ns;
	const struct cpu_sample *cur, *base;
};

double cpu_coarse_p99(const struct cpu_sample *cur, const struct cpu_sample *base, __u64 n)
{
	__u64 rank = (__u64)ceil(0.99 * (double)n), cum = 0;
	unsigned from = CH_N, to = 0;

	if (!n)
		return 0;
	/* outside the octaves either sample keeps, both hold 0: the sum
	 * cannot reach rank (>= 1) there */
	if (cur->hnoct) {
		from = (unsigned)cur->hlo * CH_OCT;
		to = from + (unsigned)cur->hnoct * CH_OCT;
	}
	if (base->hnoct) {
		unsigned f = (unsigned)base->hlo * CH_OCT, t = f + (unsigned)base->hnoct * CH_OCT;

		from = f < from ? f : from;
		to = t > to ? t : to;
	}
	for (unsigned c = from; c < to; c++) {
		cum += (__u32)(cpu_bucket(cur, c) - cpu_bucket(base, c));
		if (cum >= rank)
			return ch_bucket_mid(c);
	}
	return 0;
}

static void span_of(const struct cpu_sample *cur, const struct cpu_sample *base, struct cspan *w)
{
	w->from = base->ts;
	w->to = cur->ts;
	w->on = cur->on_cpu - base->on_cpu;
	w->wait = cur->wait - base->wait;
	w->run = w->on + w->wait;
	w->wake = cur->wake_ns - base->wake_ns;
	w->pre = cur->pre_ns - base->pre_ns;
	w->n = cur->nwaits - base->nwaits;
	w->share = w->run ? (double)w->wait / (double)w->run : 0;
	w->p99_ns = -1; /* not computed yet: see span_p99() */
	w->cur = cur;
	w->base = base;
}

static double span_p99(struct cspan *w)
{
	if (w->p99_ns < 0)
		w->p99_ns = cpu_coarse_p99(w->cur, w->base, w->n);
	return w->p99_ns;
}

/* How far over its budget: > 1 breaks it. */
static double excess(const struct detector *d, const struct vigil_role_cfg *rc, struct cspan *w)
{
	double share = w->share / rc->runq_wait_share_max, p99 = 0;

	if (w->run < d->cfg.contention.min_runnable_s * NS_PER_S)
		return 0;
	if (w->n >= P99_MIN_WAITS)
		p99 = span_p99(w) / (rc->runq_p99_budget_ms * 1e6);
	return fmax(share, p99);
}

__u64 cpu_base_ns(const struct cpu_sample *base, __u32 pid)
{
	const __u32 *wb_pid = cpu_wb_pid(base);

	for (__u32 i = 0; i < base->nwb; i++)
		if (wb_pid[i] == pid)
			return cpu_wb_ns(base)[i];
	return 0;
}

/* Keeps out[0..*n) the max largest by ns, largest first. */
static void top_insert(struct finding_holder *out, __u32 *n, __u32 max, __u32 pid, const char *comm, __u64 ns)
{
	__u32 k;

	if (*n == max && out[max - 1].ns >= ns)
		return;
	if (*n < max)
		(*n)++;
	for (k = *n - 1; k > 0 && out[k - 1].ns < ns; k--)
		out[k] = out[k - 1];
	out[k].pid = pid;
	out[k].ns = ns;
	memcpy(out[k].comm, comm, VIGIL_COMM_LEN);
	out[k].comm[VIGIL_COMM_LEN - 1] = 0;
}

/* Who held the CPU since base, largest first. */
static __u32 holders_since(const struct agg_proc *p, const struct cpu_sample *base,
			   struct finding_holder *out, __u32 max)
{
	__u32 n = 0;

	for (__u32 i = 0; i < p->nwb; i++) {
		__u64 b = cpu_base_ns(base, p->wb[i].pid);

		if (p->wb[i].ns > b)
			top_insert(out, &n, max, p->wb[i].pid, p->wb[i].comm, p->wb[i].ns - b);
	}
	return n;
}

/* ---- the process finding ------------------------------------------------------------------ */

static void who_held(char *who, size_t len, const struct finding *f)
{
	size_t used = 0;

	who[0] = 0;
	for (__u32 i = 0; i < f->ev.contention.nbehind && used < len; i++) {
		const struct finding_holder *h = &f->ev.contention.behind[i];

		used += (size_t)snprintf(who + used, len - used, "%s%s(%u) %.2f s", i ? ", " : "",
					 h->comm[0] ? h->comm : "?", h->pid, (double)h->ns / NS_PER_S);
	}
}

static void host_render(struct frec *r)
{
	struct finding *f = &r->f;
	char who[160];

	who_held(who, sizeof(who), f);
	summary_set(f, "%.2f runnable tasks on average for %u CPUs (limit %.2f per CPU) over %.0f s; "
		       "tracked processes waited %.0f%% of their runnable time; CPUs held by %s",
		    f->ev.contention.runnable_avg, f->ev.contention.ncpus, r->host_limit,
		    (double)(f->ev.contention.to_ts - f->ev.contention.from_ts) / NS_PER_S,
		    100 * f->ev.contention.wait_share, who[0] ? who : "nobody named");
}

static void contention_render(struct frec *r)
{
	struct finding *f = &r->f;
	char who[160];

	if (!f->proc_id) {
		host_render(r);
		return;
	}
	who_held(who, sizeof(who), f);
	summary_set(f, "waited %.0f%% of its runnable time (max %.0f%%), run-queue p99 %.1f ms (budget %.0f ms) "
		       "over %.0f s; behind %s; %.2f s after wakeups, %.2f s preempted",
		    100 * f->ev.contention.wait_share, 100 * f->ev.contention.wait_share_max,
		    f->ev.contention.p99_ms, f->ev.contention.budget_ms,
		    (double)(f->ev.contention.to_ts - f->ev.contention.from_ts) / NS_PER_S,
		    who[0] ? who : "nobody named", (double)f->ev.contention.wakeup_wait_ns / NS_PER_S,
		    (double)f->ev.contention.preempt_wait_ns / NS_PER_S);
}

static void contention_fill(struct finding *f, const struct vigil_role_cfg *rc, const struct agg_proc *p,
			    struct cspan *e, const struct cpu_sample *base)
{
	f->ev.contention.wait_share = e->share;
	f->ev.contention.wait_share_max = rc->runq_wait_share_max;
	f->ev.contention.p99_ms = span_p99(e) / 1e6;
	f->ev.contention.budget_ms = rc->runq_p99_budget_ms;
	f->ev.contention.wakeup_wait_ns = e->wake;
	f->ev.contention.preempt_wait_ns = e->pre;
	f->ev.contention.runnable_ns = e->run;
	f->ev.contention.wait_ns = e->wait;
	f->ev.contention.nwaits = e->n;
	f->ev.contention.from_ts = e->from;
	f->ev.contention.to_ts = e->to;
	f->ev.contention.nbehind = holders_since(p, base, f->ev.contention.behind, FINDING_BEHIND_MAX);
}

static double run_confidence(const struct detector *d, __u64 run)
{
	return fmin(1, 0.5 + 0.5 * (double)run / (5 * d->cfg.contention.min_runnable_s * NS_PER_S));
}

/* The window broke the budget: open or extend the episode. */
static void contention_report(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now,
			      const struct cpu_sample *cur, const struct cpu_sample *wbase, double ex)
{
	const struct vigil_role_cfg *rc = config_role(&d->cfg, p->role);
	struct frec *r = s->f[FIND_CONTENTION];
	struct cspan e;

	if (!r && !(r = s->f[FIND_CONTENTION] = finding_open(d, FIND_CONTENTION, p, wbase->ts, now)))
		return;
	if (!r->base && !(r->base = calloc(1, sizeof(*r->base))))
		return;
	/* a new episode starts with this window; the ring's copy will be
	 * overwritten while the episode lasts, so the base is a copy */
	if ((!r->f.active || r->f.raised_ts == now) && cpu_sample_copy(r->base, wbase))
		return;
	span_of(cur, r->base, &e);
	contention_fill(&r->f, rc, p, &e, r->base);
	r->f.confidence = run_confidence(d, e.run);
	finding_touch(r, ex >= 2 ? SEV_CRIT : SEV_WARN, now);
}

/* Adds this window's holders to the host's sums. */
static void host_account(struct detector *d, const struct agg_proc *p, const struct cpu_sample *base,
			 const struct cspan *w)
{
	d->win_wait += w->wait;
	d->win_run += w->run;
	for (__u32 i = 0; i < p->nwb; i++) {
		__u64 b = cpu_base_ns(base, p->wb[i].pid), ns = p->wb[i].ns > b ? p->wb[i].ns - b : 0;
		__u32 key = p->wb[i].pid + 1, k = key % HOLDERS_MAX;

		for (unsigned probe = 0; ns && probe < HOLDERS_MAX; probe++, k = (k + 1) % HOLDERS_MAX) {
			struct holder_sum *h = &d->holders[k];

			if (h->key && h->key != key)
				continue;
			if (!h->key) {
				h->key = key;
				memcpy(h->comm, p->wb[i].comm, VIGIL_COMM_LEN);
			}
			h->ns += ns;
			break;
		}
	}
}

static void contention_eval(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	const struct vigil_role_cfg *rc = config_role(&d->cfg, p->role);
	const struct cpu_sample *cur;
	struct cpu_sample base;
	struct cspan w;
	double ex;

	if (!cpu_seen(p) || !(cur = cpu_take(d, s, p, now)))
		return;
	window_base(d, s, p, now, &base);
	span_of(cur, &base, &w);
	host_account(d, p, &base, &w);
	ex = excess(d, rc, &w);
	if (ex > 1)
		contention_report(d, s, p, now, cur, &base, ex);
	else if (s->f[FIND_CONTENTION])
		s->f[FIND_CONTENTION]->f.active = false;
}

/* ---- the host finding -------------------------------------------------------------------- */

static const struct host_sample *host_take(struct detector *d, const struct agg_host *h, __u64 now)
{
	struct host_sample *last = ring_last(&d->host);

	if (!last || now >= last->ts + d->cpu_period)
		last = ring_push(&d->host);
	last->ts = now;
	last->task_ns = h->tot.running_task_ns + h->tot.waiting_task_ns;
	last->acc_ts = h->accounted_ts;
	return last;
}

static void host_base(const struct detector *d, const struct agg_host *h, __u64 now, struct host_sample *b)
{
	__u64 w = (__u64)(d->cfg.contention.window_s * NS_PER_S);

	*b = (struct host_sample){h->sched_start_ts, 0, h->sched_start_ts};
	for (__u32 i = 0; i < d->host.n; i++) {
		const struct host_sample *c = ring_at(&d->host, i);

		if (now >= w && c->ts <= now - w)
			*b = *c;
	}
}

/* The largest sums of the holder table, largest first. */
static __u32 host_holders(const struct detector *d, struct finding_holder *out, __u32 max)
{
	__u32 n = 0;

	for (unsigned i = 0; i < HOLDERS_MAX; i++)
		if (d->holders[i].key)
			top_insert(out, &n, max, d->holders[i].key - 1, d->holders[i].comm, d->holders[i].ns);
	return n;
}

static void host_fill(struct detector *d, struct frec *r, double avg, unsigned ncpus, __u64 from, __u64 now)
{
	struct finding *f = &r->f;

	r->host_limit = d->cfg.contention.host_oversubscription;
	f->ev.contention.runnable_avg = avg;
	f->ev.contention.ncpus = ncpus;
	f->ev.contention.wait_share = d->win_run ? (double)d->win_wait / (double)d->win_run : 0;
	f->ev.contention.runnable_ns = d->win_run;
	f->ev.contention.wait_ns = d->win_wait;
	f->ev.contention.from_ts = from;
	f->ev.contention.to_ts = now;
	f->ev.contention.nbehind = host_holders(d, f->ev.contention.behind, FINDING_BEHIND_MAX);
}

static void contention_host_eval(struct detector *d, struct agg *a, __u64 now)
{
	const struct agg_host *h = agg_host(a);
	double limit = h->ncpus * d->cfg.contention.host_oversubscription, avg;
	const struct host_sample *cur;
	struct host_sample b;
	struct frec *r = d->host_f;

	if (!h->sched_start_ts || !h->ncpus)
		return;
	cur = host_take(d, h, now);
	host_base(d, h, now, &b);
	avg = cur->acc_ts > b.acc_ts ? (double)(cur->task_ns - b.task_ns) / (double)(cur->acc_ts - b.acc_ts) : 0;
	if (cur->acc_ts - b.acc_ts < d->cfg.contention.window_s * NS_PER_S / 2 || avg <= limit) {
		if (r)
			r->f.active = false;
		return;
	}
	if (!r && !(r = d->host_f = finding_open(d, FIND_CONTENTION, NULL, b.ts, now)))
		return;
	if (!r->f.active || r->f.raised_ts == now) {
		r->host_base_task = b.task_ns; /* a new episode */
		r->host_base_acc = b.acc_ts;
		r->f.ev.contention.from_ts = b.ts;
	}
	avg = (double)(cur->task_ns - r->host_base_task) / (double)(cur->acc_ts - r->host_base_acc);
	host_fill(d, r, avg, h->ncpus, r->f.ev.contention.from_ts, now);
	r->f.confidence = 0.8; /* integrals are exact, but only as complete as the switch stream */
	finding_touch(r, avg >= 2 * limit ? SEV_CRIT : SEV_WARN, now);
}

/* ---- the whole trace, at the end ------------------------------------------------------------ */

static void finish_proc(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now)
{
	const struct vigil_role_cfg *rc = config_role(&d->cfg, p->role);
	struct cpu_sample cur, zero;
	struct cspan w;
	double ex;

	if (s->f[FIND_CONTENTION] || !cpu_seen(p))
		return;
	memset(&zero, 0, sizeof(zero));
	zero.ts = p->first_ts;
	/* the span's p99 is the exact one below, and holders are read from
	 * p: of the newest sample only the counters are needed */
	memset(&cur, 0, sizeof(cur));
	cpu_counters(&cur, p, now);
	span_of(&cur, &zero, &w);
	w.p99_ns = (double)hist_percentile(&p->runq, 99); /* exact here */
	if ((ex = excess(d, rc, &w)) <= 1 || !(s->f[FIND_CONTENTION] = finding_open(d, FIND_CONTENTION, p, p->first_ts, now)))
		return;
	contention_fill(&s->f[FIND_CONTENTION]->f, rc, p, &w, &zero);
	s->f[FIND_CONTENTION]->f.confidence = run_confidence(d, w.run);
	finding_touch(s->f[FIND_CONTENTION], ex >= 2 ? SEV_CRIT : SEV_WARN, now);
	s->f[FIND_CONTENTION]->f.active = !p->exited;
}

static void contention_finish(struct detector *d, struct agg *a, __u64 now)
{
	const struct agg_host *h = agg_host(a);
	double avg = agg_runnable_avg(a, 0), limit = h->ncpus * d->cfg.contention.host_oversubscription;

	for (size_t i = 0; i < agg_nprocs(a); i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		struct pstate *s = detector_state(d, p->id);

		if (s)
			finish_proc(d, s, p, now);
	}
	if (d->host_f || !h->ncpus || avg <= limit ||
	    h->accounted_ts - h->sched_start_ts < d->cfg.contention.min_runnable_s * NS_PER_S)
		return;
	d->win_wait = d->win_run = 0;
	memset(d->holders, 0, sizeof(d->holders));
	for (size_t i = 0; i < agg_nprocs(a); i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		struct cpu_sample zero;
		struct cspan w = {0};

		memset(&zero, 0, sizeof(zero));
		w.wait = p->tot.runq_wait_ns;
		w.run = p->tot.on_cpu_ns + p->tot.runq_wait_ns;
		host_account(d, p, &zero, &w);
	}
	if (!(d->host_f = finding_open(d, FIND_CONTENTION, NULL, h->sched_start_ts, now)))
		return;
	host_fill(d, d->host_f, avg, h->ncpus, h->sched_start_ts, now);
	d->host_f->f.confidence = 0.8;
	finding_touch(d->host_f, avg >= 2 * limit ? SEV_CRIT : SEV_WARN, now);
}

static void contention_release(struct pstate *s)
{
	cpu_ring_free(&s->cpu);
}

/* an episode's base sample */
static void contention_finding_release(struct frec *r)
{
	cpu_sample_free(r->base);
	r->base = NULL;
}

/* ---- evidence (evidence.h) ---- */

static void contention_fields(const struct finding *f, struct evidence_fields *o)
{
	const __typeof__(f->ev.contention) *c = &f->ev.contention;

	o->num(o->ctx, "wait_share", c->wait_share, 4);
	o->num(o->ctx, "runq_p99_ms", c->p99_ms, 3);
	o->num(o->ctx, "budget_ms", c->budget_ms, 3);
	o->num(o->ctx, "wait_share_max", c->wait_share_max, 4);
	o->u64(o->ctx, "runnable_ns", c->runnable_ns);
	o->u64(o->ctx, "wait_ns", c->wait_ns);
	o->u64(o->ctx, "waits", c->nwaits);
	if (c->to_ts) {
		o->time(o->ctx, "from_s", c->from_ts);
		o->time(o->ctx, "to_s", c->to_ts);
	}
	o->u64(o->ctx, "wakeup_wait_ns", c->wakeup_wait_ns);
	o->u64(o->ctx, "preempt_wait_ns", c->preempt_wait_ns);
	o->num(o->ctx, "runnable_avg", c->runnable_avg, 3);
	o->u64(o->ctx, "ncpus", c->ncpus);
	o->list(o->ctx, "behind");
	for (unsigned i = 0; i < c->nbehind && i < FINDING_BEHIND_MAX; i++) {
		o->item(o->ctx);
		o->u64(o->ctx, "pid", c->behind[i].pid);
		o->str(o->ctx, "comm", c->behind[i].comm, sizeof(c->behind[i].comm));
		o->u64(o->ctx, "ns", c->behind[i].ns);
		o->end(o->ctx);
	}
	o->end(o->ctx);
}

static void contention_lines(const struct finding *f, struct evidence_lines *o)
{
	const __typeof__(f->ev.contention) *c = &f->ev.contention;
	char a[16], b[16];

	if (!f->pid) {
		ev_line(o, "%.1f runnable tasks on average on %u CPUs", c->runnable_avg, c->ncpus);
	} else {
		ev_line(o, "waits %.0f%% of its runnable time", 100 * c->wait_share);
		fmt_ns(a, sizeof(a), c->p99_ms * 1e6);
		fmt_ns(b, sizeof(b), c->budget_ms * 1e6);
		if (c->budget_ms > 0)
			ev_line(o, "run-queue p99 %s (budget %s)", a, b);
		else
			ev_line(o, "run-queue p99 %s", a);
		ev_line(o, "waited %s after wakeups, %s after preemption", fmt_ns(a, sizeof(a), c->wakeup_wait_ns),
			fmt_ns(b, sizeof(b), c->preempt_wait_ns));
	}
	if (!c->nbehind)
		return;
	o->begin(o->ctx);
	ev_printf(o, "CPU held meanwhile by ");
	for (unsigned i = 0; i < c->nbehind && i < FINDING_BEHIND_MAX; i++) {
		if (i)
			ev_printf(o, ", ");
		o->name(o->ctx, c->behind[i].comm, sizeof(c->behind[i].comm), c->behind[i].pid);
		ev_printf(o, " %s", fmt_ns(a, sizeof(a), c->behind[i].ns));
	}
	o->end(o->ctx);
}

const struct detector_kind detect_contention_kind = {
	.kind = FIND_CONTENTION,
	.name = "contention",
	.badge = "CONTEND",
	.eval = contention_eval,
	.host_eval = contention_host_eval,
	.finish = contention_finish,
	.render = contention_render,
	.release = contention_release,
	.finding_release = contention_finding_release,
	.fields = contention_fields,
	.lines = contention_lines,
	.colour = FC_MAGENTA,
};
