/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Reports over the model: text for a terminal, JSON (the contract: every
 * key in docs/report.md) and Markdown for incident write-ups, each a sink
 * of its own (sinks/report_{text,json,md}.c) over one view model
 * (report_view.h, view/report.c).  Pure sinks: they read an agg that the caller has settled
 * (agg_settle) plus the findings, write to a FILE and touch nothing else.
 * The work is per process and per finding, never per event.
 *
 * Two spans:
 *  - the whole trace (vigil report, end of live): counters are totals;
 *  - one interval (vigil live --batch --format json): counters are the
 *    interval's (tot - base), run-queue latency from the interval's
 *    histogram; RSS values stay gauges (start of trace, now, peak so far).
 *
 * Text from processes (comm, cmdline, holder names, detector summaries) is
 * hostile: JSON escapes it (json.h); text and Markdown replace what
 * textsafe.h calls unsafe (controls, bidi controls, line separators,
 * invalid UTF-8) with '?', and Markdown escapes what its syntax would
 * interpret.
 */
#ifndef VIGIL_REPORT_H
#define VIGIL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "events.h"

struct agg;
struct finding;
struct dump_host;

/* Where a report from a dump stands. */
struct report_dump {
	const char *path;
	bool complete;              /* read up to a trailer that agrees with the chunks */
	const char *error;          /* why not, NULL when complete */
	unsigned long long offset;  /* file offset where the unusable part starts */
	unsigned long long chunks, events; /* what was read */
};

/* vigil's own cost, when known (live). */
struct report_self {
	unsigned long long produced, received, lost, pending, malformed; /* source_counts */
	double cpu_s;                     /* user + system CPU time of vigil */
	unsigned long long max_rss_bytes; /* vigil's peak resident set */
	double bpf_cpu_pct, bpf_ns_per_run; /* its BPF programs, last sample; < 0: not measured */
};

struct report_meta {
	const char *title;    /* what the report is of, e.g. the dump's path; NULL: none */
	const char *kernel, *arch, *hostname; /* NULL: "" */
	unsigned ncpus, page_size;
	const char *pf_source; /* "tracepoint", "perf"; NULL: unknown */
	unsigned sources;      /* KSRC_* of the recording (ksources.h); 0: not recorded */
	__u64 origin_ns;  /* CLOCK_MONOTONIC where the trace started; 0: the first record */
	__u64 real_ns;    /* CLOCK_REALTIME at origin_ns; 0: unknown (no wall time shown) */
	double duration_s; /* > 0: the span the numbers cover; 0: from the records */
	bool interval;     /* the current interval's counters instead of totals */
	bool live_line;    /* a line of `vigil live --format json`: says "final" */
	bool final;        /* live_line: the run's last line, whole-run totals */
	bool one_line;     /* JSON: the document on one line (batch output), not indented */
	double elapsed_s;  /* interval: seconds since the start */
	const struct report_dump *dump; /* NULL: not read from a dump */
	const struct report_self *self; /* NULL: unknown */
	unsigned max_other_rows; /* text and md: processes of role "other" shown (0: 15) */
};

struct report {
	const struct agg *agg;
	const struct finding *const *findings; /* any order; the report sorts */
	size_t nfindings;
	size_t findings_dropped; /* forgotten by the detectors (list full): said, not shown */
	const struct report_meta *meta;
};

/* Host fields and clock base of a dump header (or of dump_host_init()). */
void report_meta_from_host(struct report_meta *m, const struct dump_host *h);

/* The findings block of the text report (what `vigil live` prints under a
 * snapshot), headed `title` (NULL: "FINDINGS"); nothing when there are no
 * findings. */
void report_findings_text(FILE *f, const struct report *r, const char *title);

/* The findings of the JSON report alone: {"findings": [...],
 * "findings_dropped": n}, each finding as in the report (`vigil serve`'s
 * /findings).  0, or -1 on a write error. */
int report_findings_json(FILE *f, const struct report *r);

#endif
