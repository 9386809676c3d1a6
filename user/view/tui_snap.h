/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the live view shows, copied out of the model once per interval: the
 * numbers of every process over the interval (the process view of the text
 * snapshot, pview.h: its field table fills the table's cells), what the
 * detail view draws (with the process's top allocation sites), and the
 * findings.
 *
 * Why a copy rather than reading the model at draw time: the view re-sorts,
 * filters, scrolls and opens details between intervals, and pauses while
 * the model keeps going; reading the model then would show half an
 * interval's counts divided by a whole interval.  Every string in here is
 * printable (procfs_printable) but a finding's evidence (tui_detail.c makes it
 * safe where it draws it), so nothing a process controls reaches the
 * terminal.  Pure: no terminal, no I/O, no clock.
 */
#ifndef VIGIL_TUI_SNAP_H
#define VIGIL_TUI_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include "agg.h"
#include "detect.h"
#include "pview.h"

#define TUI_SERIES_MAX 256  /* RSS points kept per process (the newest) */
#define TUI_RQ_SLOTS 32     /* log2 run-queue slots in us: 2^32 us is 71 min */
#define TUI_FINDINGS_MAX 128 /* newest findings kept */
#define TUI_SITES_TOP 5      /* allocation sites kept per process */

#define TUI_BADGE(kind) (1u << (kind)) /* a row's bit for a finding kind */
#define TUI_COLS_MAX 24      /* columns of the process table */
#define TUI_CELL_MAX 48      /* a cell's text: a sanitized comm fits */

/* A column of the process table: a field of the process view's table
 * (pview.h, its live part), or one of the view's own two, which are no
 * number of the model: the findings' badges and the command line (the
 * last column, taking whatever width is left). */
struct tui_col {
	const char *id;    /* the field's id; "finding", "cmdline" */
	const char *title;
	int width;
	bool right;        /* right-aligned */
	int drop;          /* dropped in this order (highest first) when narrow; 0: never */
	enum { TUI_COL_FIELD, TUI_COL_BADGES, TUI_COL_CMDLINE } what;
	const struct pview_field *field; /* TUI_COL_FIELD's */
};

/* The columns in display order: the pview fields with a live title, in the
 * table's order, then "finding", then "cmdline".  Sets *n. */
const struct tui_col *tui_cols(size_t *n);
/* The index of column id, or -1. */
int tui_col_find(const char *id);

struct tui_wb {
	__u32 pid;
	char comm[VIGIL_COMM_LEN]; /* printable; "" when never named */
	__u64 ns, ivl_ns;          /* whole trace, current interval */
};

struct tui_row {
	__u64 id; /* agg_proc.id: the view keeps its selection by it */
	size_t rank; /* its place in the process view's order (pview_cmp) */
	__u32 pid, ppid, nthreads;
	__u16 role;
	bool exited;
	__s32 exit_code;
	char comm[VIGIL_COMM_LEN];
	char cmdline[VIGIL_CMDLINE_MAX + 1];

	/* the table's cells and sort keys, by column (tui_cols), filled by
	 * the pview fields over the interval; the view's own columns are drawn
	 * from badges and cmdline */
	char cell[TUI_COLS_MAX][TUI_CELL_MAX];
	double key[TUI_COLS_MAX];
	unsigned badges, badges_active, badges_crit; /* TUI_BADGE bits */

	/* the same process view's numbers, for the group lines and the detail:
	 * rates over the interval, gauges now */
	double cpu_pct, invol_per_s, vol_per_s, faults_per_s;
	bool rq_known; /* a run-queue wait ended in the interval */
	double rq_p50_ns, rq_p99_ns;
	bool rss_known; /* an RSS record has been seen */
	__u64 rss;
	double rss_trend_per_min; /* over up to the last minute of the series */

	/* the detail view */
	__u64 start_ns, first_ts, last_ts, exit_ts;
	struct agg_counters tot, ivl;
	struct agg_mem mem;
	__u64 rq_count;
	double rq_p50_all, rq_p90_all, rq_p99_all, rq_max_all; /* ns, whole trace */
	__u64 rq_slots[TUI_RQ_SLOTS]; /* hist_log2 of the whole trace, us */
	unsigned rq_nslots;
	unsigned nwb;
	struct tui_wb wb[AGG_WB_TOP];
	/* the allocation sites holding the most live bytes now
	 * (site_proc_top), when the trace samples them: the stack ids stay
	 * valid after the snapshot, the site model outlives its processes */
	unsigned nsites;
	__u64 sites_total; /* live bytes of all the process's sites */
	struct finding_site sites[TUI_SITES_TOP];
	unsigned nseries;
	__u64 series_step_ns, series_t0, series_t1; /* first and last point shown */
	float series[TUI_SERIES_MAX]; /* peak RSS of each step, oldest first */
};

struct tui_snap {
	bool valid; /* taken at least once */
	bool sites; /* the trace samples allocation sites */
	double interval_s;
	__u64 ts; /* event time the model was settled to */
	unsigned ncpus;
	double *cpu_busy_pct; /* [ncpus], as far as switches were streamed */
	double runnable;      /* running + waiting tasks on average over the interval */
	__u64 events_ivl, lost_total;
	struct agg_drops drops;
	struct tui_row *rows;
	size_t nrows, rows_cap;
	struct pview *pv; /* scratch of tui_snap_take: the rows' process views, */
	size_t *by_view;  /* and their order; rows_cap long */
	struct finding *findings; /* newest first; comm and summary printable */
	size_t nfindings, findings_cap;
};

/* Copies the model's state (a settled agg and its findings, newest first)
 * into s, reusing s's memory.  interval_s: the wall-clock length of the
 * interval the agg's base counters started, used only when the model has no
 * event time for it (pview.h's span rule).  Exited entries are included (marked).
 * 0, or -1 when out of memory (s then keeps its previous content). */
int tui_snap_take(struct tui_snap *s, const struct agg *a, const struct finding *const *f, size_t nf,
		  double interval_s);
/* Only the findings and the badges (the numbers stay): the end of a replay,
 * where the last full interval stays on screen with the final findings. */
int tui_snap_take_findings(struct tui_snap *s, const struct finding *const *f, size_t nf);
void tui_snap_free(struct tui_snap *s);

struct tui_order {
	int key;            /* a column (tui_cols): its field's sort rule; the
			     * badges: most and gravest first; the command line: A to Z */
	bool invert;
	int role;           /* enum vigil_role, or -1 for every role */
	const char *filter; /* substring of comm or cmdline, any case; NULL or "" = all */
};

/* Rows of s that pass o's filters, as indices into s->rows, grouped by role
 * (asr, avatar, camera, other) and sorted by o->key within a group (the
 * process view's order, pview_cmp, breaks ties).  idx has room for s->nrows.  Returns the count. */
size_t tui_snap_order(const struct tui_snap *s, const struct tui_order *o, size_t *idx);

/* The row of proc id, or -1. */
long tui_snap_find(const struct tui_snap *s, __u64 id);

#endif
