// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil report FILE [--format text|json|md]: the model and the detectors
 * over every record of a dump, then one report.  A damaged or cut dump is
 * reported up to where it broke (said on stderr and in the report) and
 * exits 1. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg.h"
#include "cli.h"
#include "commands.h"
#include "detect.h"
#include "dump_read.h"
#include "malloc_tune.h"
#include "model.h"
#include "report.h"
#include "sink.h"

#define REPORT_HEAP_RESERVE (32u << 20) /* address space; RSS only as used */

/* Feeds every record; returns the reader's last result (0 clean end, -1
 * damage), or 1 when a signal stopped it (cli_stop: a dump can be long). */
static int replay(struct dump_reader *r, struct model *m)
{
	const struct ev_hdr *h;
	int rc = 0;

	while (!cli_stop && (rc = dump_reader_next(r, &h)) == 1)
		model_event(m, h);
	if (cli_stop)
		return 1;
	model_finish(m);
	return rc;
}

/* The report sink of --format, closed over the whole trace: the document. */
static int write_report(struct cli *c, struct model *m, const struct report_meta *meta)
{
	struct sink out;
	struct run_status t = {.m = m};
	int err;

	if (sink_open(&out, SINK_REPORT, cli_format_name(c->format), stdout, meta, 0)) {
		cli_err("no report in format %s", cli_format_name(c->format));
		return EXIT_USAGE;
	}
	errno = 0;
	err = sink_close(&out, &t);
	if (err && errno != EPIPE) { /* a reader that left (| head) is no failure */
		cli_err("writing the report failed: %s", errno ? strerror(errno) : "output error");
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_report(struct cli *c)
{
	struct dump_reader *r;
	struct model *m;
	struct report_meta meta = {0};
	struct report_dump ds = {0};
	const struct dump_totals *t;
	char err[512];
	int rd, rc;

	if (dump_reader_open(&r, c->file, err, sizeof(err))) {
		cli_err("%s", err); /* nothing readable: no report */
		return EXIT_RUNTIME;
	}
	m = model_new(&c->config, NULL);
	if (!m) {
		cli_err("out of memory");
		dump_reader_close(r);
		return EXIT_RUNTIME;
	}
	agg_set_ncpus(model_agg(m), dump_reader_host(r)->ncpus);
	/* The replay is one burst of ~10 MB of fresh heap: huge pages make that
	 * a few dozen page faults instead of thousands (see malloc_tune.h).  Only now:
	 * the model's big tables (3 MB, sparse) have mappings of their own
	 * already, zero without a memset (a report of a small dump: 7 ms, not
	 * 12). */
	heap_prefer_huge_pages(REPORT_HEAP_RESERVE);
	rd = replay(r, m);
	if (rd == 1) {
		cli_err("%s: interrupted after %llu events; no report", c->file,
			(unsigned long long)dump_reader_totals(r)->events);
		model_free(m);
		dump_reader_close(r);
		return EXIT_RUNTIME;
	}

	t = dump_reader_totals(r);
	ds.path = c->file;
	ds.complete = rd == 0;
	ds.error = rd < 0 ? dump_reader_error(r) : NULL;
	ds.offset = rd < 0 ? dump_reader_error_offset(r) : 0;
	ds.chunks = t->chunks;
	ds.events = t->events;
	report_meta_from_host(&meta, dump_reader_host(r));
	meta.title = c->file;
	meta.dump = &ds;

	rc = write_report(c, m, &meta);
	if (rd < 0) {
		/* the reader's message names the offset where the damage starts */
		cli_err("%s: %s; the report covers the %llu events before offset %llu", c->file, ds.error,
			(unsigned long long)ds.events, ds.offset);
		rc = EXIT_RUNTIME;
	}
	model_free(m);
	dump_reader_close(r);
	return rc;
}
