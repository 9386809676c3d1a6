// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil record: targets' events into a dump file until interrupted, the
 * duration ends, the size limit is reached or every -p target exited. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "dump_write.h"
#include "procfs.h"
#include "session.h"
#include "targets.h"
#include "trace_run.h"

struct recorder {
	struct dump_writer *w;
	int write_err; /* first error, then every later add is skipped */
};

static void to_dump(void *ctx, const struct ev_hdr *rec)
{
	struct recorder *r = ctx;

	if (!r->write_err)
		r->write_err = dump_writer_add(r->w, rec);
}

int cmd_record(struct cli *c)
{
	struct recorder r = {0};
	struct session *s = NULL;
	struct trace_loop loop;
	int err, rc = EXIT_OK;

	/* -o is CLI_REQUIRED in the option table: cli_parse saw to it */
	rc = trace_preflight(c);
	if (rc)
		return rc;
	rc = trace_open_dump(c, c->output, &r.w);
	if (rc)
		return rc;
	err = trace_session_open(c, &s, to_dump, &r);
	if (err) {
		dump_writer_close(r.w);
		unlink(c->output); /* nothing was recorded: leave no file behind */
		return err;
	}
	rc = trace_note_sources(r.w, s);
	if (rc) {
		session_close(s);
		dump_writer_close(r.w);
		unlink(c->output);
		return rc;
	}
	trace_loop_init(&loop, c);
	while (!trace_loop_done(&loop, s)) {
		session_poll(s, loop.poll_ms);
		if (trace_loop_tick(&loop)) {
			if (!r.write_err)
				r.write_err = dump_writer_flush(r.w);
		}
		if (r.write_err) {
			cli_err("%s; stopping (everything written before stays readable)", dump_writer_error(r.w));
			rc = EXIT_RUNTIME;
			break;
		}
		if (c->max_size_bytes && dump_writer_bytes(r.w) >= c->max_size_bytes) {
			fprintf(stderr, "vigil: --max-size reached (%llu bytes), stopping\n", dump_writer_bytes(r.w));
			break;
		}
	}
	session_stop(s);
	trace_report_end(&loop, s, stderr);
	err = dump_writer_finish(r.w); /* trailer + fsync; the writer keeps its message */
	if (err && !r.write_err) {
		cli_err("%s", dump_writer_error(r.w));
		rc = EXIT_RUNTIME;
	}
	dump_writer_close(r.w);
	if (!rc)
		fprintf(stderr, "vigil: wrote %s\n", c->output);
	session_close(s);
	return rc;
}
