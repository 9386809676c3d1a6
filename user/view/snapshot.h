/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A plain-text snapshot of the model over the last interval: what
 * `vigil live --batch` prints every interval (logs, pipes, ssh without a
 * terminal). */
#ifndef VIGIL_SNAPSHOT_H
#define VIGIL_SNAPSHOT_H

#include <stdio.h>

struct agg;

struct snapshot_info {
	double elapsed_s;    /* since tracing started */
	double interval_s;   /* length of the interval shown */
	unsigned long long wall_ns; /* CLOCK_REALTIME of the snapshot, 0 = omit */
	const char *pf_source;
	const char *note;    /* e.g. why every process is shown; NULL = none */
	double self_cpu_pct; /* vigil's own CPU over the interval, % of one CPU; < 0 = omit */
	unsigned long long self_rss; /* bytes; 0 = omit */
	double bpf_cpu_pct;  /* vigil's BPF programs, last sample; < 0 = omit */
	unsigned max_rows;   /* 0 = all */
};

void snapshot_text(FILE *f, struct agg *a, const struct snapshot_info *si);

#endif
