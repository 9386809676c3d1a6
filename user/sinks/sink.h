/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sinks: every output of vigil.  A sink is one file that defines a struct
 * sink_ops and one row in sink.c's table; a command picks one by its use
 * and name (the --format value) and drives it the same way:
 *
 *   sink_open() (the open op) ->
 *     SINK_LIVE:    sink_wait() (the user of the live view) and, for each
 *                   interval, sink_interval() (the interval op, then the
 *                   findings op with the findings raised since the last
 *                   call)  -- `live`, `replay` (whose own view it drives
 *                   itself: its keys steer the playback)
 *     SINK_RECORDS: for each record: sink_record()  -- `dump`
 *   -> sink_close() (the close op with the whole run's tick; a report sink
 *      writes its document there: its report op over the run's view)
 *                   -- `report`, and the end of `live --format json`
 *
 * Sinks read the model (settled by the caller up to the tick) and write to
 * their FILE; they never touch the model, the clock or the session.
 */
#ifndef VIGIL_SINK_H
#define VIGIL_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "report.h"
#include "status.h"

struct model;
struct finding;
struct sink;
struct ev_hdr;
struct report_view;
struct names;

/* What a command uses a sink for (a format name is unique within a use). */
enum sink_use { SINK_LIVE, SINK_REPORT, SINK_RECORDS };

struct sink_ops {
	const char *name; /* the --format value */
	enum sink_use use;
	/* before anything else (a header line, the terminal); 0 or -1 with
	 * errno; NULL: nothing */
	int (*open)(struct sink *s);
	/* an interactive sink (the live view): waits up to timeout_ms for the
	 * user and handles what they typed; 1 when they asked to stop, else 0.
	 * NULL: the command waits for events instead */
	int (*wait)(struct sink *s, int timeout_ms);
	/* SINK_RECORDS: one record that passed ev_check (names: what the
	 * stream said so far, s->names); 0 or -1 with errno */
	int (*record)(struct sink *s, const struct ev_hdr *rec);
	/* the interval that ends at the tick; 0, or -1 with errno on a write error */
	int (*interval)(struct sink *s, const struct run_status *t);
	/* the findings raised since the last call, newest first; NULL: the
	 * interval op shows every finding itself */
	int (*findings)(struct sink *s, const struct run_status *t, const struct finding *const *f, size_t n);
	/* the end of the run: its whole totals (t), or NULL when it has no
	 * final word (its reader left); NULL op: nothing to add */
	int (*close)(struct sink *s, const struct run_status *t);
	/* SINK_REPORT: the whole document over v; 0, or -1 on a write error.
	 * The close op of a report sink is sink.c's: it builds the view */
	int (*report)(FILE *f, const struct report_view *v);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	struct report_meta meta; /* the run: host, clock base, page-fault source */
	unsigned max_rows;       /* text: processes shown (0: all) */
	void *state;             /* the sink's own (the live view) */
	char why[160];           /* the open op failed: why */
	unsigned long long t0;   /* records: the time shown as 0 */
	struct names *names;     /* records: process names the stream gave (print.h) */
	size_t shown;            /* findings already passed to the findings op */
	const struct finding **fs; /* the model's findings, newest first */
	size_t fs_cap;
};

/* The sink of that use named name, writing to out; meta describes the run
 * (copied; its strings must outlive the sink), NULL: nothing known.  Then
 * its open op.  0, or -1 with errno (EINVAL: no such sink). */
int sink_open(struct sink *s, enum sink_use use, const char *name, FILE *out, const struct report_meta *meta,
	      unsigned max_rows);
/* The table row of that use and name; NULL: none. */
const struct sink_ops *sink_find(enum sink_use use, const char *name);
/* Waits up to timeout_ms for the user of an interactive sink: 1 when they
 * asked to stop, else 0 (at once when the sink has no user). */
int sink_wait(struct sink *s, int timeout_ms);
/* The interval that ends at t, then the findings raised since the last
 * call.  0, or -1 with errno on a write error. */
int sink_interval(struct sink *s, const struct run_status *t);
/* One record (SINK_RECORDS).  0, or -1 with errno on a write error. */
int sink_record(struct sink *s, const struct ev_hdr *rec);
/* The run's end (t: its totals, NULL: none); frees what the sink holds. */
int sink_close(struct sink *s, const struct run_status *t);

extern const struct sink_ops sink_live_tui, sink_text, sink_json, sink_report_text, sink_report_json, sink_report_md,
	sink_dump_text, sink_dump_csv;

/* Writes the report in the named format ("text", "json", "md": the report
 * sinks of sink.c's table) over the view report_view.h builds.  0, or -1 on
 * a write error (or a JSON writer misuse, which is a bug), errno EINVAL for
 * an unknown format. */
int report_write(FILE *f, const char *format, const struct report *r);

#endif
