/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What a finding is: its kinds, severities and evidence, the record the
 * detectors fill and every output reads, and the names of its values.
 * Apart from the detectors' loop (detect.h), so the detectors' core
 * (detect_core.h), the detectors and the sites' evidence (site_evidence.h)
 * can say a finding without using the loop that uses them: no circle of
 * modules (scripts/include-graph.sh).
 */
#ifndef VIGIL_FINDING_H
#define VIGIL_FINDING_H

#include <stdbool.h>
#include "events.h"

enum finding_kind { FIND_LEAK, FIND_RETENTION, FIND_CONTENTION, FIND_KIND_COUNT };
/* A kind's colour in the live view: the ANSI colour numbers (curses's
 * COLOR_* have the same values). */
enum finding_colour { FC_RED = 1, FC_GREEN, FC_YELLOW, FC_BLUE, FC_MAGENTA, FC_CYAN };
enum finding_severity { SEV_WARN, SEV_CRIT };
enum leak_shape { LEAK_LINEAR, LEAK_STEPWISE };

#define FINDING_BEHIND_MAX 4
#define FINDING_SUMMARY_LEN 256

struct finding_holder {
	__u32 pid;
	char comm[VIGIL_COMM_LEN];
	__u64 ns; /* time the finding's process waited while this one held the CPU */
};

/* The allocation sites that grew most over a memory finding's window
 * (model/sites.h): stack ids of agg_sites(), which outlive the process. */
#define FINDING_SITES_MAX 5
struct finding_site {
	__u32 stack;
	__u64 bytes;   /* growth over the window */
	__u64 samples; /* samples of the stack, ever */
};
struct finding_sites {
	__u32 n;
	__u64 total; /* positive growth of all the process's stacks over the window */
	struct finding_site top[FINDING_SITES_MAX];
};

struct finding {
	enum finding_kind kind;
	enum finding_severity severity; /* the worst seen while active */
	__u64 proc_id;   /* agg_proc.id; 0 for a host finding */
	__u32 pid;       /* 0 for a host finding (contention: runnable > CPUs) */
	__u16 role;      /* enum vigil_role */
	char comm[VIGIL_COMM_LEN]; /* "[host]" for the host finding */
	__u64 since_ts;  /* event time the condition began (e.g. start of growth) */
	__u64 raised_ts; /* event time the detector first reported it */
	__u64 last_ts;   /* last evaluation that still saw it */
	bool active;     /* still true at the last evaluation (false once the process exited) */
	double confidence; /* 0..1 */
	char summary[FINDING_SUMMARY_LEN]; /* one line, printable ASCII */
	const char *hint; /* what to do about it (static string), NULL when none */
	struct finding_sites sites; /* leak, retention: where the memory came from (n 0: unknown) */
	union {
		struct {
			enum leak_shape shape;
			double rate_bytes_per_s;
			__u64 rss_from, rss_to; /* bytes: floor when the growth began, RSS now */
			/* which memory grows, since the growth began: brk heap, live
			 * anonymous mappings (mmap never unmapped), file and shmem RSS */
			__s64 brk_growth, anon_map_growth, file_growth, shmem_growth;
			__s64 anon_growth; /* anonymous RSS (includes brk heap and mappings) */
			__u32 steps; /* stepwise: rises of the floor counted */
		} leak;
		struct {
			__u64 rss_bytes, floor_bytes, retained_bytes; /* resident now, floor before the burst, kept */
			__u64 heap_bytes;         /* brk heap still held */
			__u64 heap_peak_bytes;    /* its high-water mark */
			__u64 given_back_bytes;   /* munmap + MADV_DONTNEED/FREE + brk/mremap shrink since the floor */
			__s64 anon_growth;        /* anonymous RSS growth since the floor */
			__s64 anon_map_growth;    /* live anonymous mappings grown since the floor */
			double idle_s;            /* how long it has been flat and idle */
		} retention;
		struct {
			double wait_share;     /* waiting / runnable time */
			double p99_ms, budget_ms;
			double wait_share_max; /* the role's threshold */
			__u64 wakeup_wait_ns, preempt_wait_ns;
			__u64 runnable_ns, wait_ns, nwaits; /* over [from_ts, to_ts] */
			__u64 from_ts, to_ts;  /* span the numbers cover (the latest episode) */
			double runnable_avg;   /* host finding: runnable tasks on average */
			unsigned ncpus;        /* host finding */
			__u32 nbehind;
			/* process: who held its CPU while it waited; host: who held
			 * CPUs while tracked processes waited (latest window) */
			struct finding_holder behind[FINDING_BEHIND_MAX];
		} contention;
	} ev;
};

const char *finding_severity_name(enum finding_severity s); /* "warn", "crit" */
const char *leak_shape_name(enum leak_shape s);       /* "linear", "stepwise" */

#endif
