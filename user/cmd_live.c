// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil live: the targets, interval by interval.  Until the ncurses view
 * exists, every interval prints a text snapshot (what --batch prints). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "commands.h"
#include "dump_write.h"
#include "procfs.h"
#include "session.h"
#include "snapshot.h"
#include "source.h"
#include "targets.h"
#include "trace_common.h"

#define EXITED_KEEP_NS (10ull * 1000000000ull) /* exited processes stay visible this long */

struct live {
	struct agg *agg;
	struct dump_writer *w; /* --record */
	int write_err;
};

static void to_model(void *ctx, const struct ev_hdr *rec)
{
	struct live *l = ctx;

	agg_event(l->agg, rec);
	if (l->w && !l->write_err)
		l->write_err = dump_writer_add(l->w, rec);
}

/* Is any process of the default roles running now? */
static bool any_role_process(const struct targets *t)
{
	struct procfs_iter it;
	struct proc_info pi;
	unsigned pid;
	bool found = false;

	if (procfs_iter_open(&it))
		return false;
	while (!found && procfs_iter_next(&it, &pid) == 1)
		found = procfs_read(pid, &pi) == 0 && targets_match(t, pid, pi.comm, pi.cmdline_str);
	procfs_iter_close(&it);
	return found;
}

static unsigned long long wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int open_record(struct cli *c, struct live *l)
{
	struct dump_host host;
	char msg[512];
	int err;

	dump_host_init(&host);
	host.pf_source = c->pf_source;
	host.ringbuf_size = c->ringbuf_kb * 1024;
	err = dump_writer_open(&l->w, c->record, &host, c->force, msg, sizeof(msg));
	if (err) {
		cli_err("%s", msg);
		return err == -EEXIST || err == -ELOOP || err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	return EXIT_OK;
}

int cmd_live(struct cli *c)
{
	struct live l = {0};
	struct session *s = NULL;
	struct trace_loop loop;
	struct snapshot_info si = {.max_rows = 40};
	int rc;

	if (c->format == FMT_JSON) {
		cli_err("live --format json: the JSON snapshot comes with the report (not built yet); use text");
		return EXIT_USAGE;
	}
	rc = trace_preflight(c);
	if (rc)
		return rc;
	/* make run on a host without any AI service must not show an empty table */
	if (targets_is_default(c->targets) && !any_role_process(c->targets)) {
		targets_set_all(c->targets);
		si.note = "no asr, avatar or camera process is running: showing every process";
	}
	l.agg = agg_new(NULL);
	if (!l.agg) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	agg_set_ncpus(l.agg, (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	if (c->record && (rc = open_record(c, &l)))
		goto out;
	rc = trace_session_open(c, &s, to_model, &l);
	if (rc) {
		if (l.w) {
			dump_writer_close(l.w);
			l.w = NULL;
			unlink(c->record);
		}
		goto out;
	}
	si.pf_source = source_pf_name(source_pf_source(session_source(s)));
	trace_loop_init(&loop, c);
	unsigned long long last_tick = loop.start_ns;
	while (!trace_loop_done(&loop, s)) {
		session_poll(s, loop.poll_ms);
		if (l.write_err) {
			cli_err("%s; recording stopped, the view goes on", dump_writer_error(l.w));
			dump_writer_close(l.w);
			l.w = NULL;
			l.write_err = 0;
		}
		if (!trace_loop_tick(&loop))
			continue;
		unsigned long long now = trace_now_ns();
		agg_settle(l.agg, 0);
		si.elapsed_s = (now - loop.start_ns) / 1e9;
		si.interval_s = (now - last_tick) / 1e9;
		si.wall_ns = wall_ns();
		snapshot_text(stdout, l.agg, &si);
		agg_interval_reset(l.agg, 0);
		agg_reap(l.agg, 0, EXITED_KEEP_NS);
		last_tick = now;
		if (l.w && (l.write_err = dump_writer_flush(l.w)))
			continue;
	}
	session_stop(s);
	trace_report_end(&loop, s, stderr);
	if (l.w) {
		if (dump_writer_finish(l.w)) {
			cli_err("%s", dump_writer_error(l.w));
			rc = EXIT_RUNTIME;
		} else {
			fprintf(stderr, "vigil: wrote %s\n", c->record);
		}
	}
out:
	session_close(s);
	dump_writer_close(l.w);
	agg_free(l.agg);
	return rc;
}
