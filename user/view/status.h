/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A run's status at one tick: what the outputs show besides the model's
 * numbers (its clock, vigil's own cost, a note).  One struct for the text
 * snapshot, every sink's ticks (sink.h) and the live view's header
 * (tui.h), filled by `live` and `replay`.
 */
#ifndef VIGIL_STATUS_H
#define VIGIL_STATUS_H

struct model;
struct report_self;

struct run_status {
	struct model *m;             /* settled up to the tick */
	const char *mode;            /* live view: "LIVE", "REPLAY x2.0", ...; NULL: "LIVE" */
	const char *host;            /* live view: the host's name (the dump's in replay); NULL: none */
	const char *pf_source;       /* the page-fault source described (pf_source_desc); NULL: unknown */
	const char *note;            /* one line, e.g. why every process is shown; NULL: none */
	const char *alert;           /* highlighted: a damaged dump, recording stopped; NULL: none */
	double elapsed_s;            /* since tracing (the recording) started */
	double interval_s;           /* wall-clock length of the interval (close: of the run);
				      * the span rule's fallback (pview.h) */
	unsigned long long wall_ns;  /* CLOCK_REALTIME of the numbers; 0: omit */
	double self_cpu_pct;         /* vigil's own CPU over the interval, % of one CPU; < 0: omit */
	unsigned long long self_rss; /* bytes; 0: omit */
	double bpf_cpu_pct;          /* vigil's BPF programs, last sample; < 0: omit */
	const struct report_self *self; /* vigil's own cost for JSON; NULL: unknown */
};

#endif
