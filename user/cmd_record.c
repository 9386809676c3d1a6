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
#include "trace_common.h"

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
	struct dump_host host;
	struct trace_loop loop;
	char msg[512];
	int err, rc = EXIT_OK;

	if (!c->output) {
		cli_err("record needs -o FILE");
		return EXIT_USAGE;
	}
	rc = trace_preflight(c);
	if (rc)
		return rc;
	dump_host_init(&host);
	host.pf_source = c->pf_source; /* resolved by trace_preflight */
	host.ringbuf_size = c->ringbuf_kb * 1024;
	err = dump_writer_open(&r.w, c->output, &host, c->force, msg, sizeof(msg));
	if (err) {
		cli_err("%s", msg);
		/* the path given is unusable (exists, a link, a directory): the user's to fix */
		return err == -EEXIST || err == -ELOOP || err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	err = trace_session_open(c, &s, to_dump, &r);
	if (err) {
		dump_writer_close(r.w);
		unlink(c->output); /* nothing was recorded: leave no file behind */
		return err;
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
