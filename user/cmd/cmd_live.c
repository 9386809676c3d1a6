// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil live: the targets, interval by interval.  On a terminal the
 * ncurses view (docs/live-view.md); with --batch, or when stdout is not a
 * terminal that can draw, a text snapshot per interval; --format json prints
 * one JSON object per line per interval instead (the report's schema over
 * the interval, docs/report.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "pf_source.h"
#include "clock.h"
#include "commands.h"
#include "detect.h"
#include "dump_write.h"
#include "model.h"
#include "procfs.h"
#include "report.h"
#include "selfstat.h"
#include "bpfcost.h"
#include "session.h"
#include "sink.h"
#include "source.h"
#include "targets.h"
#include "trace_run.h"

#define EXITED_KEEP_NS (10ull * 1000000000ull) /* exited processes stay visible this long */

struct live {
	struct model *model;
	struct dump_writer *w; /* --record */
	int write_err;
	char alert[256]; /* shown in the view's header (stderr would garble it) */
};

/* What the sink's ticks need besides the model: the run's host and clock
 * base, vigil's own cost. */
struct json_lines {
	struct dump_host host;
	struct report_meta meta;
	struct report_self self;
	struct source_counts prev; /* totals at the previous line: lines carry the interval's */
	double prev_cpu_s;
};

static void to_model(void *ctx, const struct ev_hdr *rec)
{
	struct live *l = ctx;

	model_event(l->model, rec);
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

/* Host, clock base and page-fault source for the whole run. */
static void json_lines_init(struct json_lines *jl, struct session *s, unsigned long long start_ns)
{
	dump_host_init(&jl->host);
	/* the page-fault source as the report names it (counters, tracepoint, perf) */
	jl->host.pf_source = (__u32)source_pf_source(session_source(s));
	report_meta_from_host(&jl->meta, &jl->host);
	/* since_s counts from when tracing started; the wall clock follows */
	jl->meta.real_ns = jl->host.real_ns + (start_ns - jl->host.mono_ns);
	jl->meta.origin_ns = start_ns;
	jl->meta.sources = source_ksources(session_source(s));
	jl->meta.interval = true;
	jl->meta.live_line = true;
	jl->meta.self = &jl->self;
}

/* vigil's BPF programs: the last sample, or < 0 */
static double bpf_cost(struct session *s, double *ns_per_run)
{
	struct bpfcost_result r;
	int err;

	if (!source_bpf_cost(session_source(s), &r, &err))
		return *ns_per_run = -1;
	*ns_per_run = r.ns_per_run;
	return r.cpu_pct;
}

/* vigil's own cost over the interval */
static void self_interval(struct json_lines *jl, struct session *s)
{
	struct source_counts sc;
	struct rusage ru;
	double cpu_s = 0;

	source_counts(session_source(s), &sc);
	jl->self.produced = sc.produced - jl->prev.produced;
	jl->self.received = sc.received - jl->prev.received;
	jl->self.lost = sc.lost - jl->prev.lost;
	jl->self.pending = sc.pending - jl->prev.pending;
	jl->self.malformed = sc.malformed - jl->prev.malformed;
	jl->prev = sc;
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		jl->self.max_rss_bytes = (unsigned long long)ru.ru_maxrss * 1024;
	}
	jl->self.cpu_s = cpu_s - jl->prev_cpu_s;
	jl->self.bpf_cpu_pct = bpf_cost(s, &jl->self.bpf_ns_per_run);
	jl->prev_cpu_s = cpu_s;
}

/* vigil's own CPU over the interval and RSS, its BPF programs' last sample */
static void self_cost(struct run_status *si, struct session *s, struct selfstat *prev)
{
	struct selfstat now;
	double ns;

	si->self_cpu_pct = -1;
	si->self_rss = 0;
	if (selfstat_read(&now) == 0) {
		si->self_cpu_pct = selfstat_cpu_pct(prev, &now);
		si->self_rss = now.rss;
		*prev = now;
	}
	si->bpf_cpu_pct = bpf_cost(s, &ns);
}

/* A reader that went away (| head) is an ordinary end; other errors are not. */
static int stdout_failed(void)
{
	if (errno == EPIPE)
		return EXIT_OK;
	cli_err("writing to stdout failed: %s", strerror(errno));
	return EXIT_RUNTIME;
}

/* The model, the dump of --record and the session feeding both. */
static int live_open(struct cli *c, struct live *l, struct session **s)
{
	int rc;

	l->model = model_new(&c->config, NULL);
	if (!l->model) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	agg_set_ncpus(model_agg(l->model), (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	/* the model folds exited processes once its detectors saw them exit */
	model_set_reap(l->model, EXITED_KEEP_NS);
	if (c->record && (rc = trace_open_dump(c, c->record, &l->w)))
		return rc;
	rc = trace_session_open(c, s, to_model, l);
	if (rc) {
		if (l->w) {
			dump_writer_close(l->w);
			l->w = NULL;
			unlink(c->record);
		}
		return rc;
	}
	if (l->w)
		return trace_note_sources(l->w, *s);
	return EXIT_OK;
}

/* The sink's last word: the whole run's totals, with the records flushed at
 * stop and vigil's cost since it started (the JSON sink's final line). */
static int live_close_sink(struct sink *out, struct run_status *tick, struct json_lines *jl,
			   const struct trace_loop *loop, struct session *s, bool json, bool gone)
{
	unsigned long long end = loop->stop_ns ? loop->stop_ns : clock_mono_ns();

	agg_settle(model_agg(tick->m), 0);
	memset(&jl->prev, 0, sizeof(jl->prev));
	jl->prev_cpu_s = 0;
	tick->elapsed_s = tick->interval_s = (end - loop->start_ns) / 1e9;
	if (json) {
		self_interval(jl, s);
		tick->self = &jl->self;
	}
	if (sink_close(out, gone ? NULL : tick) && !gone)
		return stdout_failed();
	return EXIT_OK;
}

/* The sink cmd_live draws on: JSON lines (--format json, always batch),
 * text snapshots (--batch), else the live view, or text snapshots when
 * stdout cannot show it. */
static int live_sink_open(struct cli *c, struct sink *out, const struct report_meta *meta)
{
	bool json = c->format == FMT_JSON;

	if (!json && !c->batch) {
		if (sink_open(out, SINK_LIVE, "tui", stdout, meta, 0) == 0)
			return EXIT_OK;
		fprintf(stderr, "vigil: %s: printing text snapshots\n", out->why);
	}
	if (sink_open(out, SINK_LIVE, json ? "json" : cli_format_name(c->format), stdout, meta, 40)) {
		cli_err("live cannot show format %s", cli_format_name(c->format));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int cmd_live(struct cli *c)
{
	struct live l = {0};
	struct session *s = NULL;
	struct trace_loop loop;
	struct run_status tick = {.mode = "LIVE", .self_cpu_pct = -1, .bpf_cpu_pct = -1};
	struct json_lines jl = {0};
	struct sink out = {0};
	bool json = c->format == FMT_JSON; /* never drawn: JSON is always batch lines */
	bool out_gone = false; /* stdout failed or its reader left */
	bool interactive = false; /* the live view: it waits for keys */
	struct selfstat self_prev;
	const char *pf_source;
	int rc;

	rc = trace_preflight(c);
	if (rc)
		return rc;
	/* make run on a host without any AI service must not show an empty table */
	if (targets_is_default(c->targets) && !any_role_process(c->targets)) {
		targets_set_all(c->targets);
		tick.note = "no asr, avatar or camera process is running: showing every process";
		if (json)
			fprintf(stderr, "vigil: %s\n", tick.note);
	}
	if ((rc = live_open(c, &l, &s)))
		goto out;
	pf_source = pf_source_desc(source_pf_source(session_source(s)));
	trace_loop_init(&loop, c);
	self_prev = loop.self_start;
	json_lines_init(&jl, s, loop.start_ns);
	tick.m = l.model;
	/* the sink: the live view on a terminal, else text snapshots or JSON lines */
	if ((rc = live_sink_open(c, &out, &jl.meta)))
		goto out;
	interactive = out.ops->wait != NULL;
	tick.pf_source = pf_source;
	unsigned long long last_tick = loop.start_ns;
	while (!trace_loop_done(&loop, s)) {
		if (interactive) {
			/* keys wait with the drain period; the view never waits on events */
			session_poll(s, 0);
			if (sink_wait(&out, loop.poll_ms))
				break;
		} else {
			session_poll(s, loop.poll_ms);
		}
		if (l.write_err) {
			snprintf(l.alert, sizeof(l.alert), "%s; recording stopped, the view goes on",
				 dump_writer_error(l.w));
			if (!interactive) /* the view shows it in its header */
				cli_err("%s", l.alert);
			dump_writer_close(l.w);
			l.w = NULL;
			l.write_err = 0;
		}
		if (!trace_loop_tick(&loop))
			continue;
		unsigned long long now = clock_mono_ns();
		struct agg *a = model_agg(l.model);
		agg_settle(a, 0);
		tick.elapsed_s = (now - loop.start_ns) / 1e9;
		tick.interval_s = (now - last_tick) / 1e9;
		if (json) { /* a JSON line takes its own (self_interval) */
			self_interval(&jl, s);
			tick.self = &jl.self;
		} else {
			self_cost(&tick, s, &self_prev);
		}
		tick.wall_ns = clock_real_ns();
		tick.alert = l.alert[0] ? l.alert : NULL;
		if (sink_interval(&out, &tick)) {
			rc = stdout_failed();
			out_gone = true;
			break;
		}
		agg_interval_reset(a, 0);
		last_tick = now;
		if (l.w && (l.write_err = dump_writer_flush(l.w)))
			continue;
	}
	if (interactive) /* the terminal is the user's again before anything is printed */
		sink_close(&out, NULL);
	session_stop(s);
	if (!interactive) {
		int crc = live_close_sink(&out, &tick, &jl, &loop, s, json, out_gone);
		if (crc)
			rc = crc;
	}
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
	sink_close(&out, NULL);
	session_close(s);
	dump_writer_close(l.w);
	model_free(l.model);
	return rc;
}
