/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The process view: one derived row per process of the model, the same for
 * the report (text, JSON, Markdown), the `live --batch` snapshots and the
 * live view's table.  One rule for spans and rates, one order of rows.
 *
 * The span rule: the model counts on event time, so a share or a rate
 * divides by the event time its counters cover -- for an interval from its
 * start (agg_interval_reset) to the time the model is settled up to
 * (accounted_ts), for the whole trace from the origin to the last record or
 * settled time.  The caller's wall-clock length is used only when the model
 * has no event time for the span (nothing settled in it yet).
 */
#ifndef VIGIL_PVIEW_H
#define VIGIL_PVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include "agg.h"

/* Seconds the counters cover: the interval's (interval) or the trace's
 * since origin (0: the first record); fallback_s when there is no event
 * time for it. */
double pview_span_s(const struct agg *a, bool interval, __u64 origin, double fallback_s);

struct pview {
	const struct agg_proc *p;
	struct agg_counters c;   /* totals, or the interval's */
	const struct hist *runq; /* run-queue latency over the same span */
	unsigned nwb;
	struct agg_wb wb[AGG_WB_TOP]; /* ns over the span, largest first, > 0 */
	double cpu_pct;    /* on-CPU time / span: > 100 with several busy threads */
	double wait_share; /* run-queue wait / (wait + on-CPU) */
	double invol_per_s, vol_per_s, faults_per_s; /* over the span */
};

/* p's row over the interval (interval) or the whole trace, span_s long. */
void pview_fill(struct pview *v, const struct agg_proc *p, bool interval, double span_s);

/* The field table: one row per column of the process tables (the text
 * snapshot's, snapshot.c, and the live view's, tui_snap.c) and per metric
 * of `vigil serve` (sink_metrics.c).  A new column or metric is one row
 * plus its fill.  A row without a title is no column of the text table; a
 * row without a live title is none of the live view's; a row without a
 * metric is no metric. */
enum pview_kind { PVIEW_LABEL, PVIEW_COUNTER, PVIEW_GAUGE };
/* What a row exports: a Prometheus sample per process, the whole trace's
 * total (a counter) or the level now (a gauge), in the metric's base unit
 * (seconds, bytes), never the column's per-span rate. */
struct pview_metric {
	const char *name;  /* without the "vigil_" prefix; NULL: not a metric */
	const char *label; /* an extra fixed label ("kind=\"voluntary\""), or NULL */
	const char *unit;  /* the OpenMetrics unit: "seconds", "bytes", "" */
	const char *help;  /* one line */
	/* the value; NaN when unknown (no sample is written) */
	double (*value)(const struct pview *v);
};
/* The live view's column: a terminal is narrower than a file, so its
 * header and width are shorter, and it gives way on a narrow terminal. */
struct pview_live {
	const char *title; /* "INV/s"; NULL: not a column of the live view */
	int width;         /* columns; < 0: left-aligned */
	int drop;          /* the order it is dropped in when the width runs out
			    * (highest first); 0: never */
	/* the cell when the field's fill would not fit the width or read at a
	 * glance (a trend's sign); NULL: the field's fill */
	void (*fill)(char *buf, size_t len, const struct pview *v);
};
struct pview_field {
	const char *id;    /* stable name: "cpu_pct", "rss_bytes" (JSON) */
	const char *title; /* column header: "CPU%"; NULL: a metric only */
	const char *unit;  /* "percent", "bytes", "ns", "per_s", "" */
	int width;         /* columns; < 0: left-aligned, cut to the width */
	enum pview_kind kind; /* a counter (a rate over the span) or a gauge (a level now) */
	/* the cell's text into buf ("-" when unknown) */
	void (*fill)(char *buf, size_t len, const struct pview *v);
	/* the sort key, largest first (smallest first when asc); NaN: unknown,
	 * after any known value; NULL: the cell's text, A to Z */
	double (*key)(const struct pview *v);
	bool asc;
	struct pview_live live;
	struct pview_metric metric;
};
extern const struct pview_field pview_fields[];
extern const size_t pview_nfields;

/* The one order: role (role_rank), then busiest (on-CPU time over the
 * span), then largest RSS, then pid, then entry id.  For qsort. */
int pview_cmp(const void *x, const void *y);

#endif
