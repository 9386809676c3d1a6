/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What `record` and `live` share: checks before tracing, opening the
 * session with its startup report, and the timing of the main loop. */
#ifndef VIGIL_TRACE_RUN_H
#define VIGIL_TRACE_RUN_H

#include <stdbool.h>
#include <stdio.h>
#include "selfstat.h"
#include "session.h"

struct cli;

/* Privilege (exit 3), -p pids that do not exist (exit 2), the page-fault
 * source resolved so a dump header can name it.  0 when all is well. */
int trace_preflight(struct cli *c);

/* Opens the session and says on stderr what is traced and how.  Returns
 * an exit code. */
int trace_session_open(struct cli *c, struct session **s, session_sink sink, void *ctx);

struct dump_writer;

/* Creates the dump at path with this run's host description.  Returns an
 * exit code: usage when the path itself is unusable (exists, a link, a
 * directory), runtime otherwise; the reason is on stderr. */
int trace_open_dump(const struct cli *c, const char *path, struct dump_writer **w);
/* Once the session is open: the dump header says which kernel sources it has. */
int trace_note_sources(struct dump_writer *w, struct session *s);

struct trace_loop {
	unsigned long long start_ns, end_ns, stop_ns, next_tick_ns, tick_ns;
	int poll_ms;
	bool only_pids;
	bool targets_gone;
	struct selfstat self_start; /* what vigil had used before tracing */
	struct selfstat self_stop;  /* ... and when it stopped (detaching is not tracing) */
};

void trace_loop_init(struct trace_loop *l, const struct cli *c);
/* true on a signal, at the end of --duration, or when every -p target exited */
bool trace_loop_done(struct trace_loop *l, struct session *s);
/* true once per tick (the interval, or one second for record) */
bool trace_loop_tick(struct trace_loop *l);
/* what the run cost and what was lost */
void trace_report_end(const struct trace_loop *l, struct session *s, FILE *f);


#endif
