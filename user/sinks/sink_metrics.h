/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The metrics of `vigil serve`: the model in the Prometheus text
 * exposition format (0.0.4) or in OpenMetrics 1.0, as `promtool check
 * metrics` accepts them.  Per process (labels pid, comm, role) the rows of
 * the pview field table that name a metric, plus a run-queue latency
 * histogram; vigil_findings{kind,severity,pid,comm,role} 1 per active
 * finding; vigil's own events, lost events, CPU and RSS.
 *
 * Cardinality is the model's: every process entry it holds is exported,
 * so it is bounded by what is traced (the roles, or every process only with
 * an explicit --all) and by how long the model keeps exited processes
 * (model_set_reap: the caller's grace period), and in any case by
 * agg_limits.max_procs.  Pure: reads a settled model, writes to a FILE.
 */
#ifndef VIGIL_SINK_METRICS_H
#define VIGIL_SINK_METRICS_H

#include <stdbool.h>
#include <stdio.h>

struct model;

/* vigil itself, from the session and the process */
struct metrics_self {
	unsigned long long events, lost, malformed; /* source_counts: received, lost, malformed */
	double cpu_s;                 /* user + system */
	unsigned long long rss_bytes; /* resident now; 0: omitted */
	unsigned long long http_rejected; /* connections turned away (limit, timeout, bad request) */
};

#define METRICS_CTYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_CTYPE_OM "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* Writes the whole exposition (OpenMetrics ends with "# EOF").  0, or -1
 * on a write error or when out of memory. */
int metrics_write(FILE *f, struct model *m, const struct metrics_self *self, bool openmetrics);

/* Does an HTTP Accept header ask for OpenMetrics?  (Prometheus asks for
 * both, OpenMetrics first; NULL: no.) */
bool metrics_wants_openmetrics(const char *accept);

#endif
