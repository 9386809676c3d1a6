/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sinks: where the numbers of a run go, interval by interval.  A sink is
 * one file that defines a struct sink_ops (open state in struct sink,
 * interval, findings, close) and one row in sink.c's table; `vigil live`
 * and `vigil replay` pick one by name (the --format value) and drive it
 * the same way:
 *
 *   sink_open()  -> for each interval: sink_interval() (the sink's interval
 *   op, then its findings op with the findings raised since the last
 *   call) -> sink_close() (the sink's close op with the whole run's tick).
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

struct model;
struct finding;
struct sink;

/* One tick: what the model does not know. */
struct sink_tick {
	struct model *m;            /* settled up to the tick */
	double elapsed_s;           /* since the run's start */
	double interval_s;          /* wall-clock length of the interval (close: of the run);
				     * the span rule's fallback (pview.h) */
	unsigned long long wall_ns; /* CLOCK_REALTIME of the tick; 0: omit */
	const char *note;           /* e.g. why every process is shown; NULL: none */
	double self_cpu_pct;        /* vigil's own CPU over the interval, % of one CPU; < 0: omit */
	unsigned long long self_rss; /* bytes; 0: omit */
	double bpf_cpu_pct;         /* vigil's BPF programs, last sample; < 0: omit */
	const struct report_self *self; /* vigil's own cost for JSON; NULL: unknown */
};

struct sink_ops {
	const char *name; /* the --format value */
	/* the interval that ends at the tick; 0, or -1 with errno on a write error */
	int (*interval)(struct sink *s, const struct sink_tick *t);
	/* the findings raised since the last call, newest first; NULL: the
	 * interval op shows every finding itself */
	int (*findings)(struct sink *s, const struct sink_tick *t, const struct finding *const *f, size_t n);
	/* the end of the run: its whole totals (t), or NULL when it has no
	 * final word (its reader left); NULL op: nothing to add */
	int (*close)(struct sink *s, const struct sink_tick *t);
};

struct sink {
	const struct sink_ops *ops;
	FILE *out;
	struct report_meta meta; /* the run: host, clock base, page-fault source */
	unsigned max_rows;       /* text: processes shown (0: all) */
	const char *pf_text;     /* text: the page-fault source described; NULL: meta's name */
	size_t shown;            /* findings already passed to the findings op */
	const struct finding **fs; /* the model's findings, newest first */
	size_t fs_cap;
};

/* The sink named name ("text", "json"), writing to out; meta describes the
 * run (copied; its strings must outlive the sink).  0, or -1 (errno
 * EINVAL) for an unknown name. */
int sink_open(struct sink *s, const char *name, FILE *out, const struct report_meta *meta, unsigned max_rows);
/* The interval that ends at t, then the findings raised since the last
 * call.  0, or -1 with errno on a write error. */
int sink_interval(struct sink *s, const struct sink_tick *t);
/* The run's end (t: its totals, NULL: none); frees what the sink holds. */
int sink_close(struct sink *s, const struct sink_tick *t);

extern const struct sink_ops sink_text, sink_json;

#endif
