/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model: per-process, per-thread and host state built from validated
 * records (decode.h), in timestamp order per CPU and nearly in order across
 * CPUs.  Pure computation: no I/O, no clock (every time comes from a record
 * or from the caller), no libbpf.  Sinks (report, live view, JSON) and
 * detectors read it between calls to agg_event(); nothing here is
 * thread-safe.
 *
 * Typical use:
 *   a = agg_new(NULL);                      defaults, see struct agg_limits
 *   for each record: agg_event(a, rec);
 *   every interval:  agg_settle(a, now);    count open spans up to now
 *                    ...read agg_host(a), agg_proc_at(a, i)...
 *                    agg_interval_reset(a, now);
 *                    agg_reap(a, now, keep_ns);
 *   at the end:      agg_settle(a, 0); read; agg_free(a);
 *
 * What is a process entry: one per process lifetime.  An entry is created by
 * EV_PROC, EV_FORK (child), EV_EXEC, or any memory/fault/RSS record of a pid
 * with no entry (so faults count even before EV_PROC arrives).  Scheduler
 * records never create entries: their tasks may be untracked CPU holders.
 * After EV_EXIT with group_dead the entry is "exited"; a later EV_PROC, fork
 * child or exec of the same pid starts a new entry (pid reuse never merges
 * two processes), records within AGG_EXIT_GRACE_NS after the exit still go to
 * the exited entry (the dying threads' last switches, flushed faults), and
 * any other record after that starts a new entry.  Without an exit record
 * (lost events) a reused pid is merged into the old entry.
 *
 * Limits are counted in agg_host.drops, never silent.
 *
 * Scheduler semantics (what tests hold the numbers to):
 *  - on-CPU: from the switch naming a thread next to the switch naming it
 *    prev on that CPU; a span still open counts up to the last settle.
 *  - switches: counted where the thread is prev; involuntary when
 *    EV_SWITCH_PREEMPT or prev_state == 0 (the kernel's nivcsw rule).  The
 *    last switch of a thread after its EV_EXIT is not counted: the kernel
 *    adds a thread's counts to its process before that switch, so
 *    getrusage() never sees it either.
 *  - run-queue wait: from EV_WAKEUP (queued on target_cpu) or from a
 *    runnable switch-out (queued on that CPU) to the next switch naming the
 *    thread next, on any CPU; EV_MIGRATE moves the queue.  A wakeup of a
 *    thread the model has on a CPU is ignored (woken before it slept).
 *    Records out of order across CPUs lose a sample rather than invent one.
 *  - waited_behind: while a thread waits on CPU c, whoever runs on c is
 *    charged the overlap; c's idle task goes to runq_idle_ns instead; a CPU
 *    whose first switch was not seen yet charges pid 0 "[unknown]".
 *  - host busy time and nrunning are only as complete as the switch stream:
 *    the BPF side streams switches of untracked tasks only while a tracked
 *    thread waits on that CPU (drops.sched_mismatch counts the gaps seen).
 */
#ifndef VIGIL_AGG_H
#define VIGIL_AGG_H

#include <stddef.h>
#include "events.h"
#include "hist.h"

/* Records of an exited process within this time still belong to it. */
#define AGG_EXIT_GRACE_NS (1000ULL * 1000 * 1000)
/* waited_behind shows this many CPU holders per process; the rest is summed
 * in runq_other_ns.  Internally up to 64 holders are counted exactly; past
 * that the smaller half is folded into runq_other_ns (drops.wb_evicted), so
 * a holder is listed with all its ns unless it was once in the smaller half
 * of 64. */
#define AGG_WB_TOP 16

/* Zero fields take the default shown. */
struct agg_limits {
	__u32 max_procs;   /* 1024: process entries, live + exited */
	__u32 max_exited;  /* 256: exited entries awaiting agg_reap() */
	__u32 max_threads; /* 16384: threads of tracked processes */
	__u32 max_cpus;    /* 1024: higher CPU numbers are counted in drops.cpus */
	__u32 max_names;   /* 4096: names of untracked CPU holders */
	__u32 rss_points;  /* 240: RSS series points per process (>= 4) */
	__u64 rss_step_ns; /* 100 ms: initial RSS series resolution */
	__u32 page_size;   /* 4096: mapping lengths are rounded to it */
};

/* Monotonic counters.  The value over the current interval is
 * tot - base (agg_counters_delta()). */
struct agg_counters {
	/* CPU */
	__u64 on_cpu_ns;     /* from the switch naming a thread next to the one naming it prev */
	__u64 runq_wait_ns;  /* runnable but not running; open waits count up to the last settle */
	__u64 runq_idle_ns;  /* part of runq_wait_ns while the queue's CPU ran its idle task */
	__u64 runq_other_ns; /* part charged to holders not in wb[] (current after agg_settle) */
	__u64 sw_vol;        /* switched out blocking (ru_nvcsw) */
	__u64 sw_invol;      /* switched out still runnable: preempted (ru_nivcsw) */
	/* memory: successful calls only; lengths as the program passed them */
	__u64 page_faults;
	__u64 major_faults; /* of page_faults; only the counters source tells them apart */
	__u64 mmap_calls, mmap_bytes, mmap_anon_bytes; /* anon: MAP_ANONYMOUS part */
	__u64 munmap_calls, munmap_bytes;
	__u64 mremap_calls, mremap_grow_bytes, mremap_shrink_bytes;
	__u64 madv_dontneed_calls, madv_dontneed_bytes; /* MADV_DONTNEED: given back */
	__u64 madv_free_calls, madv_free_bytes;         /* MADV_FREE: given back lazily */
	__u64 madv_other_calls, madv_other_bytes;
	__u64 brk_calls;        /* brk(2) calls the kernel honoured (queries included) */
	__u64 brk_grow_bytes;   /* sum of new_brk - old_brk when positive */
	__u64 brk_shrink_bytes; /* sum of old_brk - new_brk when positive */
	__u64 failed_calls;     /* memory syscalls that failed: in none of the above */
	__u64 rss_samples;
};

/* Gauges: the state now, not summed.
 * RSS: an EV_RSS carries only the counters that moved (-1 = unchanged), so
 * each counter keeps its last value and counts 0 until first seen
 * (rss_fields_seen): rss_start can miss a counter that had not moved yet.
 * Records are taken as they come: if the kernel side streams rss_stat
 * during the exit teardown, rss of an exited process ends near 0. */
struct agg_mem {
	__u64 rss;          /* anon + file + shmem, latest (the "rss_end") */
	__u64 rss_start;    /* at the first EV_RSS */
	__u64 rss_peak, rss_peak_ts;
	__u64 rss_first_ts, rss_last_ts; /* 0 until an EV_RSS arrived */
	__u64 anon, file, shmem, swap;   /* latest known counters */
	__u32 rss_fields_seen;           /* bit 0 file, 1 anon, 2 swap, 3 shmem */
	__u32 pad;
	/* brk heap: the break first seen (old_brk of the first call since
	 * start or exec) and now.  heap = cur - start when positive. */
	__u64 brk_start, brk_cur, heap_bytes, heap_peak_bytes;
	/* Live anonymous mappings (virtual size), an estimate: MAP_ANONYMOUS
	 * mmaps add their page-rounded length; munmap/mremap of a mapping whose
	 * start we recorded (per-process table of AGG_ANON_TRACKED starts)
	 * subtract what is gone, also from its front or across neighbours.
	 * Mappings beyond the table go to anon_untracked_bytes, which is PART OF
	 * anon_live_bytes (do not add them); an munmap at an unknown start takes
	 * from that pool, so a file munmap can then lower the estimate and an
	 * unmap of a tracked mapping's tail does not.  Reset by exec.  Never
	 * negative. */
	__u64 anon_live_bytes, anon_untracked_bytes;
};
#define AGG_ANON_TRACKED 96

/* RSS over time, the whole trace.  Points lie on a grid of step_ns from
 * origin (the first EV_RSS), at most one per step, each with min, max and
 * last RSS of its step (so a spike or a floor survives downsampling).  The
 * step starts at agg_limits.rss_step_ns and doubles whenever the cap is
 * reached (neighbours merge), so it is the smallest 100 ms * 2^k that
 * keeps the trace within the cap: with the defaults (240 points), 100 ms
 * up to 24 s of trace, 3.2 s for 10 min, 25.6 s for 1 h, 6.8 min for 24 h,
 * 55 min for 7 days.  Steps without a sample have no point. */
struct agg_rss_point {
	__u64 ts; /* first sample of the step */
	__u64 min, max, last;
	__u64 anon; /* last anon */
};
struct agg_rss_series {
	__u64 origin, step_ns;
	__u32 n, cap;
	struct agg_rss_point *pts; /* [n], oldest first */
};

/* A process that held the CPU while this one waited on its queue. */
struct agg_wb {
	__u32 pid; /* 0: unknown (the CPU's holder was never named) */
	char comm[VIGIL_COMM_LEN]; /* "" when never named, "[unknown]" for pid 0 */
	__u64 ns;
	__u64 base_ns; /* ns at the interval start */
};

struct agg_proc {
	__u64 id; /* unique per entry: sinks and detectors key on it, not on pid */
	__u32 pid, ppid;
	__u16 role;       /* enum vigil_role; a fork child inherits its parent's */
	__u8 described;   /* an EV_PROC was seen */
	__u8 exited;      /* EV_EXIT with group_dead */
	__u8 late;        /* EV_PROC_LATE: a target from target_since_ts on, not from its start */
	__u64 target_since_ts;
	__s32 exit_code;  /* raw wait status */
	__u32 nthreads;   /* threads alive as far as we know (seen and not exited) */
	char comm[VIGIL_COMM_LEN];
	/* arguments separated by spaces, control bytes shown as '?', bytes
	 * >= 0x80 kept as they are (UTF-8 paths; JSON sinks must check) */
	char cmdline[VIGIL_CMDLINE_MAX + 1];
	__u64 start_ns;            /* from EV_PROC, 0 if unknown */
	__u64 first_ts, last_ts;   /* records seen for it */
	__u64 exit_ts;

	struct agg_counters tot, base;
	struct agg_mem mem;
	struct agg_rss_series rss;

	/* waited_behind: the AGG_WB_TOP holders with the most ns, largest
	 * first, as of the last agg_settle() (which also names them and brings
	 * runq_other_ns up to date).  After a settle, sum of wb[].ns +
	 * runq_other_ns + runq_idle_ns == runq_wait_ns, in tot and in the
	 * interval (ns - base_ns). */
	__u32 nwb;
	struct agg_wb wb[AGG_WB_TOP];

	/* Completed run-queue waits in ns: after a wakeup, after a preemption,
	 * both, and both over the current interval once intervals are used
	 * (read that one with agg_proc_runq_interval()). */
	struct hist runq_wakeup, runq_preempt, runq, runq_ivl;
	__u8 ivl_hist; /* runq_ivl is kept: agg_interval_reset() was called */

	/* allocation sites (sites.h): NULL until its first sampled fault */
	struct proc_sites *sites;
};

struct agg_host_counters {
	__u64 events;      /* records given to agg_event() */
	__u64 lost;        /* sum of EV_LOST counts */
	__u64 bad_records; /* unknown type or too short: ignored */
	__u64 by_type[EV_TYPE_MAX];
	/* integrals over time of the number of CPUs running a non-idle task and
	 * of tracked threads waiting in a run queue, in task-ns */
	__u64 running_task_ns, waiting_task_ns;
};

struct agg_drops {
	__u64 procs;          /* records whose process found no entry (max_procs) */
	__u64 threads;        /* same for threads (max_threads) */
	__u64 exited_folded;  /* exited entries folded before agg_reap() asked */
	__u64 names;          /* holder names overwritten (max_names) */
	__u64 cpus;           /* scheduler records naming a CPU >= max_cpus */
	__u64 sched_mismatch; /* switch whose prev was not the task the model had
	                       * on that CPU: lost or unstreamed switches */
	__u64 wb_evicted;     /* waited_behind holders folded into runq_other_ns */
	__u64 anon_untracked; /* anonymous mappings beyond AGG_ANON_TRACKED */
	__u64 rss_downsample; /* RSS series step doublings (resolution, not loss) */
	__u64 site_samples;   /* allocation-site samples dropped (a process's stack table full) */
};

/* Exited processes folded by agg_reap(), per role. */
struct agg_role_total {
	__u64 procs;
	struct agg_counters c;
};

struct agg_host {
	__u32 ncpus;     /* max CPU seen + 1, or agg_set_ncpus() if larger */
	__u32 nrunning;  /* CPUs running a non-idle task now */
	__u32 nwaiting;  /* tracked threads in a run queue now */
	__u32 nprocs;    /* entries, live + exited */
	__u32 nexited;
	__u32 nthreads;
	__u64 first_ts, last_ts; /* over all records */
	__u64 sched_start_ts;    /* first scheduler record: where the integrals start */
	__u64 accounted_ts;      /* open spans and integrals are counted up to here */
	__u64 ivl_start_ts;
	struct agg_host_counters tot, base;
	/* per CPU [ncpus]: time a non-idle task ran, as far as switches were
	 * streamed (see docs: switches of untracked tasks are streamed only
	 * while a tracked thread waits on that CPU) */
	const __u64 *cpu_busy_ns, *cpu_busy_base;
	struct agg_drops drops;
	struct agg_role_total exited[ROLE_COUNT];
};

struct agg;

/* NULL lim: defaults.  NULL when out of memory. */
struct agg *agg_new(const struct agg_limits *lim);
void agg_free(struct agg *a); /* NULL is fine */
void agg_set_ncpus(struct agg *a, unsigned ncpus);

/* rec must have passed ev_check(). */
void agg_event(struct agg *a, const struct ev_hdr *rec);

/* Counts on-CPU time, CPU busy time, run-queue waits and the host integrals
 * that are still open up to now (0: the last record's ts).  now must not be
 * later than records still to come, or that span is counted twice. */
void agg_settle(struct agg *a, __u64 now);
/* Settles, then starts a new interval: base = tot for every counter, the
 * interval histograms emptied.  Totals keep going. */
void agg_interval_reset(struct agg *a, __u64 now);
/* Folds exited entries that exited before now - keep_ns (now 0: the last
 * record's ts) into host->exited[role] and frees them; also forgets threads
 * whose exit was seen but whose last switch never came.  Returns the number
 * of entries folded.  Pointers to folded entries become invalid. */
size_t agg_reap(struct agg *a, __u64 now, __u64 keep_ns);

/* Entries, live and exited, in no particular order (stable between calls
 * to agg_event/agg_reap). */
size_t agg_nprocs(const struct agg *a);
const struct agg_proc *agg_proc_at(const struct agg *a, size_t i);
/* The newest entry for pid (exited or not), NULL if none. */
const struct agg_proc *agg_find(const struct agg *a, __u32 pid);
const struct agg_host *agg_host(const struct agg *a);
/* A name for pid: its entry's comm, else a holder name from EV_COMM/EV_PROC/
 * EV_FORK; NULL if unknown. */
const char *agg_name(const struct agg *a, __u32 pid);

void agg_counters_delta(const struct agg_counters *tot, const struct agg_counters *base,
			struct agg_counters *out);
static inline void agg_proc_interval(const struct agg_proc *p, struct agg_counters *out)
{
	agg_counters_delta(&p->tot, &p->base, out);
}
/* Run-queue waits over the current interval.  Until the first
 * agg_interval_reset() the interval is the whole trace and runq holds it,
 * so a model that never resets (vigil report) keeps one histogram less. */
static inline const struct hist *agg_proc_runq_interval(const struct agg_proc *p)
{
	return p->ivl_hist ? &p->runq_ivl : &p->runq;
}
/* Average number of running + waiting tasks (see agg_host_counters) over
 * the current interval (interval != 0) or the whole trace, up to the last
 * settle.  Compare with ncpus. */
double agg_runnable_avg(const struct agg *a, int interval);
/* The frames and stacks of the trace (sites.h); NULL only out of memory. */
const struct site_model *agg_sites(const struct agg *a);

/* RSS change per minute over (up to) the last minute of a series. */
double agg_rss_trend_per_min(const struct agg_rss_series *s);

#endif
