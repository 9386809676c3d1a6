/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the detectors: the state kept per process between evaluations,
 * what detect_core.c offers the detectors (rings, line fit, RSS floor,
 * finding list, memory samples), and the table row each detector file
 * defines (struct detector_kind), which detect.c's loop runs.  Layers:
 * detect.c -> detect_leak.c, detect_retention.c, detect_contention.c ->
 * detect_core.c; nothing calls upwards.  Not for sinks: they read struct
 * finding (detect.h).
 */
#ifndef VIGIL_DETECT_CORE_H
#define VIGIL_DETECT_CORE_H

#include "agg.h"
#include "config.h"
#include "finding.h"
#include "evidence.h"

#define NS_PER_S 1000000000ULL
#define MIB (1024.0 * 1024.0)

/* Memory samples: at most this many cover the longest judged span (the
 * ring holds a few more); contention samples likewise. */
#define MEM_SAMPLES_MAX 120
#define MEM_RING_MAX (MEM_SAMPLES_MAX + 4)
#define CPU_SAMPLES_MAX 60

/* ---- memory samples (leak, retention) -----------------------------------------
 * One per period of event time (the detector's mem_period, 1 s unless the
 * judged spans are long): the RSS range over the span it covers, read off
 * the whole-trace series (agg_rss_series) so that a dip between two
 * evaluations still counts, plus the memory counters at its end. */
struct mem_sample {
	__u64 ts;           /* the evaluation that opened it */
	__u64 from_ts;      /* the span covered is (from_ts, end_ts] */
	__u64 end_ts;       /* the last evaluation merged into it */
	__u64 min, max, last; /* RSS over the span, and at end_ts */
	__u64 anon, anon_live, heap, file, shmem; /* at end_ts */
	__u64 on_cpu;       /* cumulative on-CPU ns at end_ts */
	__u64 given_back;   /* cumulative bytes handed back to the kernel */
};

/* The memory counters at the start of a span (a floor is taken to lie
 * there: growth measured from it includes the whole span's). */
struct mem_base {
	__u64 ts;
	__u64 rss, anon, anon_live, heap, file, shmem, given_back;
};

/* ---- CPU samples (contention) -------------------------------------------------
 * Counters of one process at one evaluation; a window is the difference of
 * two.  The run-queue histogram is kept at 8 buckets per power of two
 * (agg's 32 folded by 4), enough for a p99 within about 5 %.
 *
 * A sample keeps only the octaves the process's histogram stores (every
 * other bucket is 0) and only the waited-behind entries that exist, in a
 * block of its own: a process's waits span 6-19 octaves, so a sample takes
 * a few hundred bytes where a full table took 1.3 KB, and on a trace of
 * short-lived processes those pages were most of what the detectors
 * touched. */
#define CH_SHIFT 2
#define CH_N (HIST_NBUCKETS >> CH_SHIFT)
#define CH_OCT (HIST_SUB >> CH_SHIFT) /* coarse buckets per octave */

struct cpu_sample {
	__u64 ts;     /* when the counters were read */
	__u64 opened; /* the evaluation that opened the sample */
	__u64 on_cpu, wait, wake_ns, pre_ns, nwaits;
	__u32 nwb;            /* waited-behind entries in data */
	__u8 hlo, hnoct;      /* octaves of the histogram in data */
	__u32 room;           /* bytes allocated at data */
	/* __u32 h[hnoct * CH_OCT] (cumulative counts of coarse buckets
	 * hlo * CH_OCT on; differences are taken modulo 2^32), then
	 * __u64 wb_ns[nwb], then __u32 wb_pid[nwb].  h is a whole number of
	 * 32-byte octaves, so wb_ns stays aligned. */
	void *data;
};

static inline const __u32 *cpu_hist(const struct cpu_sample *c)
{
	return c->data;
}

/* an empty sample has no data: no pointer arithmetic on NULL (UB even + 0) */
static inline const __u64 *cpu_wb_ns(const struct cpu_sample *c)
{
	if (!c->data)
		return NULL;
	return (const __u64 *)((const char *)c->data + (size_t)c->hnoct * CH_OCT * sizeof(__u32));
}

static inline const __u32 *cpu_wb_pid(const struct cpu_sample *c)
{
	if (!c->data)
		return NULL;
	return (const __u32 *)(cpu_wb_ns(c) + c->nwb);
}

/* Coarse bucket i (< CH_N) of a sample: what a full table would hold. */
static inline __u32 cpu_bucket(const struct cpu_sample *c, unsigned i)
{
	unsigned first = (unsigned)c->hlo * CH_OCT;

	return i >= first && i < first + (unsigned)c->hnoct * CH_OCT ? cpu_hist(c)[i - first] : 0;
}

/* The middle of coarse bucket c's range of wait times (ns): what a
 * percentile that falls in it reads. */
static inline double ch_bucket_mid(unsigned c)
{
	unsigned first = c << CH_SHIFT, last = first + (1u << CH_SHIFT) - 1;
	double lo = (double)hist_bucket_lo(first);
	double hi = (double)hist_bucket_lo(last) + (double)hist_bucket_width(last);

	return lo + (hi - lo) / 2;
}

/* A ring of samples, oldest first; cap is the detector's.  The storage
 * grows (doubling) as samples arrive, so a process that lives a few seconds
 * holds a few samples, not a window's worth; start stays 0 until the ring
 * is full, so growing never reorders it. */
struct ring {
	void *s;
	__u32 start, n, cap;
	__u32 alloc; /* samples allocated, <= cap */
	size_t size; /* of one sample */
};

/* A finding and what its detector keeps about it. */
struct frec {
	struct finding f;
	bool dirty;   /* evidence changed: the summary is written when read */
	bool stopped; /* leak: the growth ended while the process lived */
	__u64 grew_until; /* leak: the last evaluation whose rule held */
	struct cpu_sample *base; /* contention: the current episode's start, NULL elsewhere */
	__u64 host_base_task, host_base_acc; /* host contention episode start */
	double host_limit; /* host contention: runnable tasks per CPU allowed */
};

/* What the detectors remember about one process entry. */
struct pstate {
	__u64 id; /* agg_proc.id */
	__u64 gen; /* evaluation that last saw the entry */
	bool final; /* exited and evaluated: nothing changes any more */
	struct frec *f[FIND_KIND_COUNT]; /* its finding of each kind, NULL: none (yet) */
	/* a kind's own state, for a detector that keeps more than the fields
	 * below (which the three first ones keep inline, to allocate nothing
	 * per process); freed by its release op */
	void *kstate[FIND_KIND_COUNT];

	/* memory */
	struct ring mem;
	bool has_mem;
	__u64 prev_ts, prev_rss;  /* last evaluation, RSS then */
	struct mem_base prev;     /* counters at the last evaluation */
	struct mem_base low;      /* at the lowest RSS seen (the floor) */
	__u64 step_seen_ts;       /* stepwise: RSS records judged up to this ts */
	bool step_ok;             /* stepwise: result then */

	/* leak */
	struct mem_base leak_base; /* counters where the growth began */

	/* retention */
	bool in_rest;
	__u64 rest_start;

	/* contention */
	struct ring cpu;
};

struct host_sample {
	__u64 ts, task_ns, acc_ts;
};

/* Per-evaluation sums over processes, for the host finding. */
#define HOLDERS_MAX 512
struct holder_sum {
	__u32 key; /* pid + 1; 0 = free slot */
	char comm[VIGIL_COMM_LEN];
	__u64 ns;
};

struct detector {
	struct vigil_config cfg;
	struct pstate **ps; /* sorted by id */
	size_t nps, cap_ps;
	struct frec **list; /* raise order, oldest first */
	size_t nlist, cap_list;
	size_t dropped;
	__u64 gen, last_now;
	bool evaluated;

	__u32 mem_cap;
	__u64 mem_period;
	__u32 cpu_cap;
	__u64 cpu_period;

	__u64 *scratch; /* suffix minima of an RSS series */
	size_t scratch_cap;
	/* frees a finding the list forgets, with its kind's part (detect.c
	 * sets it: the core does not know the kinds) */
	void (*finding_free)(struct frec *r);

	/* host */
	struct ring host;
	struct frec *host_f;
	bool host_on;
	__u64 win_wait, win_run; /* tracked processes, this evaluation's windows */
	struct holder_sum holders[HOLDERS_MAX];
};

/* ---- detect_core.c: what the detectors share ---- */
struct pstate *detector_state(const struct detector *d, __u64 id); /* NULL if none */
struct pstate *detector_state_new(struct detector *d, __u64 id);  /* NULL: out of memory */
/* one evaluation's memory sample of s (p alive), the floor with it */
void mem_take(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now);
void *ring_at(const struct ring *r, __u32 i); /* i-th oldest */
void *ring_last(const struct ring *r);
void *ring_push(struct ring *r); /* a slot for a new newest sample (overwrites the oldest) */
/* ring_push for samples that own memory: the slot of the oldest comes back
 * as it was, for the new sample to reuse its block; a new slot is zeroed. */
void *ring_push_reuse(struct ring *r);
int ring_init(struct ring *r, __u32 cap, size_t size);

struct frec *finding_open(struct detector *d, enum finding_kind k, const struct agg_proc *p,
			  __u64 since, __u64 now);
void finding_touch(struct frec *r, enum finding_severity sev, __u64 now);
/* printf into f->summary; a summary too long for it is cut, never overrun */
void summary_set(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
__u64 mem_given_back(const struct agg_counters *c);

/* The floor of the whole-trace RSS series from each point on: F[j] = lowest
 * RSS of points j..n-1 (non-decreasing in j).  The array lives in the
 * detector until the next call; NULL when out of memory. */
const __u64 *series_floor(struct detector *d, const struct agg_rss_series *r);
/* The lowest RSS from t to now (from the first point at or after t). */
__u64 series_floor_from(const struct agg_rss_series *r, const __u64 *F, __u64 t);
/* When the floor was last at most level: the point after which it rose. */
__u64 series_last_at(const struct agg_rss_series *r, const __u64 *F, __u64 level);

/* Least-squares line y = a + b x; sigma = RMS of the residuals, r2 the
 * share of the variance it explains (1 when y does not vary). */
struct line {
	double a, b, sigma, r2;
};
bool line_fit(const double *x, const double *y, size_t n, struct line *l);

/* ---- the detectors: one row each, run by detect.c ---- */
struct detector_kind {
	enum finding_kind kind;
	const char *name;  /* "leak": reports, JSON, `vigil replay` */
	const char *badge; /* "LEAK": the live view's word for it */
	bool memory;       /* judged on memory: not once the process exited */
	/* one process entry at one evaluation (memory sample taken) */
	void (*eval)(struct detector *d, struct pstate *s, const struct agg_proc *p, __u64 now);
	/* after every process, once per evaluation; NULL: none */
	void (*host_eval)(struct detector *d, struct agg *a, __u64 now);
	/* the end of the stream, after the last evaluation; NULL: none */
	void (*finish)(struct detector *d, struct agg *a, __u64 now);
	/* the summary from the finding's own fields, when read (writing it at
	 * every evaluation cost more than the rules) */
	void (*render)(struct frec *r);
	/* frees what the kind keeps for s (final, or folded); NULL: nothing */
	void (*release)(struct pstate *s);
	/* frees what the kind keeps beside a finding; NULL: nothing */
	void (*finding_release)(struct frec *r);
	/* its evidence for the outputs (evidence.h): named values (JSON) and
	 * lines for people (text, Markdown, the live view's detail) */
	void (*fields)(const struct finding *f, struct evidence_fields *o);
	void (*lines)(const struct finding *f, struct evidence_lines *o);
	const char *hint;  /* the advice when the finding carries none; NULL: none */
	enum finding_colour colour; /* the live view's colour for it */
};
extern const struct detector_kind detect_leak_kind, detect_retention_kind, detect_contention_kind;

/* CPU samples (detect_contention.c; exported for its tests).  cpu_sample_fill reads p's counters
 * at now into c, reusing c's block (prev: the sample before, whose
 * histogram is copied when no wait came since; may be c itself or NULL);
 * -1 when out of memory. */
int cpu_sample_fill(struct cpu_sample *c, const struct cpu_sample *prev, const struct agg_proc *p,
		    __u64 now);
int cpu_sample_copy(struct cpu_sample *dst, const struct cpu_sample *src); /* deep; -1: dst unchanged */
void cpu_sample_free(struct cpu_sample *c); /* one allocated alone, with its block; NULL is fine */
void cpu_ring_free(struct ring *r);
/* The p99 of the waits between two samples (n of them), at the middle of its coarse bucket. */
double cpu_coarse_p99(const struct cpu_sample *cur, const struct cpu_sample *base, __u64 n);
__u64 cpu_base_ns(const struct cpu_sample *base, __u32 pid); /* waited behind pid at base; 0 if not kept */

/* The finding's sites: the process's stacks that grew most over
 * (from, to] (allocation sites, model/sites.h). */
void finding_sites_fill(struct finding *f, const struct agg_proc *p, __u64 from, __u64 to);

#endif
