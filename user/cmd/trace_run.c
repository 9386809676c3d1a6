// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "trace_run.h"
#include "clock.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "bpfcost.h"
#include "cli.h"
#include "pf_source.h"
#include "dump_write.h"
#include "feature.h"
#include "procfs.h"
#include "session.h"
#include "site_resolve.h"
#include "source.h"
#include "targets.h"


int trace_preflight(struct cli *c)
{
	const char *cap = feature_missing_capability();
	const unsigned *pids;
	size_t n = targets_pids(c->targets, &pids);

	if (cap) {
		cli_err("%s", cap);
		return EXIT_PRIVILEGE;
	}
	for (size_t i = 0; i < n; i++) {
		if (!procfs_exists(pids[i])) {
			cli_err("--pid %u: no such process", pids[i]);
			return EXIT_USAGE;
		}
	}
	if (c->pf_source == PF_SRC_NONE)
		c->pf_source = feature_default_pf_source();
	/* the one place the size is settled: the option, else the config's
	 * default, rounded to what the kernel takes; the source gets it and the
	 * dump header records it */
	c->ringbuf_kb = source_ringbuf_kb(c->ringbuf_kb ? c->ringbuf_kb : c->config.record.ringbuf_mb * 1024);
	return EXIT_OK;
}

int trace_session_open(struct cli *c, struct session **s, session_sink sink, void *ctx)
{
	struct session_opts so = {
		.targets = c->targets,
		.pf_source = c->pf_source,
		.ringbuf_kb = c->ringbuf_kb,
		.verbose = c->verbose,
		.btf_path = c->btf_path,
		.site_mode = c->sites ? c->sites - 1 : SITE_MODE_DWARF,
		.site_period = c->site_rate,
		.sink = sink,
		.sink_ctx = ctx,
	};
	char msg[512];
	int err;

	err = session_open(s, &so, msg, sizeof(msg));
	if (err) {
		cli_err("%s", msg);
		return err == -EPERM || err == -ENOTSUP || err == -EACCES ? EXIT_PRIVILEGE : EXIT_RUNTIME;
	}
	const char *w = source_warnings(session_source(*s));
	for (const char *line = w; *line;) {
		const char *nl = strchr(line, '\n');
		int len = nl ? (int)(nl - line) : (int)strlen(line);
		fprintf(stderr, "vigil: warning: %.*s\n", len, line);
		line += len + (nl ? 1 : 0);
	}
	fprintf(stderr, "vigil: tracing %s (%zu processes now), page faults from %s\n",
		targets_is_all(c->targets) ? "every process"
		: targets_is_default(c->targets) ? "the asr, avatar and camera roles"
						   : "the selected targets",
		session_live_targets(*s), pf_source_desc(source_pf_source(session_source(*s))));
	return EXIT_OK;
}

int trace_note_sources(struct dump_writer *w, struct session *s)
{
	int err = dump_writer_set_sources(w, source_ksources(session_source(s)));

	if (err)
		cli_err("%s", dump_writer_error(w));
	return err ? EXIT_RUNTIME : EXIT_OK;
}

int trace_open_dump(const struct cli *c, const char *path, struct dump_writer **w)
{
	struct dump_host host;
	char msg[512];
	int err;

	dump_host_init(&host);
	host.pf_source = c->pf_source; /* resolved by trace_preflight */
	host.ringbuf_size = c->ringbuf_kb * 1024; /* rounded by trace_preflight: what the kernel gets */
	err = dump_writer_open(w, path, &host, c->force, msg, sizeof(msg));
	if (!err)
		return EXIT_OK;
	cli_err("%s", msg);
	return err == -EEXIST || err == -ELOOP || err == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
}

void trace_loop_init(struct trace_loop *l, const struct cli *c)
{
	memset(l, 0, sizeof(*l));
	selfstat_read(&l->self_start);
	l->start_ns = clock_mono_ns();
	l->end_ns = c->duration_s > 0 ? l->start_ns + (unsigned long long)(c->duration_s * 1e9) : 0;
	l->tick_ns = (unsigned long long)((c->interval_s > 0 ? c->interval_s : 1.0) * 1e9);
	l->next_tick_ns = l->start_ns + l->tick_ns;
	/* how stale the consumer may be: the kernel wakes it only when the
	 * buffer is filling up, never per event */
	l->poll_ms = c->config.record.flush_ms;
	const unsigned *pids;
	l->only_pids = targets_pids(c->targets, &pids) > 0 && !targets_has_patterns(c->targets) &&
		       !targets_is_all(c->targets);
}

bool trace_loop_done(struct trace_loop *l, struct session *s)
{
	unsigned long long now = clock_mono_ns();

	if (l->only_pids && session_live_pids(s) == 0)
		l->targets_gone = true;
	if (cli_stop || (l->end_ns && now >= l->end_ns) || l->targets_gone) {
		l->stop_ns = now; /* detaching takes a while; it is not traced time */
		selfstat_read(&l->self_stop);
		return true;
	}
	return false;
}

bool trace_loop_tick(struct trace_loop *l)
{
	unsigned long long now = clock_mono_ns();

	if (now < l->next_tick_ns)
		return false;
	while (l->next_tick_ns <= now)
		l->next_tick_ns += l->tick_ns;
	return true;
}

/* what allocation-site sampling took, skipped and cost (docs/sites.md) */
static void trace_report_sites(struct session *s, const struct source_counts *sc, FILE *f)
{
	struct site_resolve_stats rs;
	struct bpfcost_result bc;
	const char *blind = session_site_size_blind(s);
	char bpf[96] = "";

	if (!sc->site_period && !sc->site_taken)
		return;
	session_site_stats(s, &rs);
	/* per run: the program runs at every overflow, ~SITE_SKIP_MEAN per sample */
	if (source_site_bpf_cost(session_source(s), &bc))
		snprintf(bpf, sizeof(bpf), ", BPF %.0f ns/run at %.0f runs/s", bc.ns_per_run, bc.runs_per_s);
	fprintf(f, "vigil: allocation sites: %llu samples (1 fault in %llu now), %llu skipped (ring buffer busy), "
		"%llu stacks, %llu truncated, %llu without a stack (unwinding budget spent), unwinding %.0f us/sample%s, "
		"%llu huge-page faults%s%s%s\n",
		sc->site_taken, sc->site_period, sc->site_skipped, rs.stacks, rs.truncated, rs.over_budget,
		rs.samples ? rs.unwind_ns / 1e3 / (double)rs.samples : 0.0, bpf, rs.large_folios,
		blind ? " (huge pages not seen: " : "", blind ? blind : "", blind ? ")" : "");
	char py[512];
	if (*session_site_python(s, py, sizeof(py)))
		fprintf(f, "vigil: Python: %s; %llu samples with Python frames, %llu frames, %llu unreadable\n", py,
			rs.py_samples, rs.py_frames, rs.py_unresolved);
}

void trace_report_end(const struct trace_loop *l, struct session *s, FILE *f)
{
	struct source_counts sc;
	double secs = ((l->stop_ns ? l->stop_ns : clock_mono_ns()) - l->start_ns) / 1e9;

	source_counts(session_source(s), &sc);
	if (l->targets_gone)
		fprintf(f, "vigil: every target process has exited\n");
	fprintf(f, "vigil: %.1f s, %llu events from the kernel (%.0f/s), %llu lost, %llu malformed\n", secs,
		sc.received + sc.pending, secs > 0 ? (sc.received + sc.pending) / secs : 0.0, sc.lost,
		sc.malformed);
	struct selfstat self;
	if (selfstat_read(&self) == 0)
		fprintf(f, "vigil: own cost: %.1f%% of one core while tracing, peak RSS %.1f MiB\n",
			selfstat_cpu_pct(&l->self_start, l->stop_ns ? &l->self_stop : &self),
			self.peak_rss / 1048576.0);
	struct bpfcost_result bc;
	int bc_err;
	if (source_bpf_cost(session_source(s), &bc, &bc_err))
		fprintf(f, "vigil: BPF programs: %.2f%% of one CPU, %.0f ns per run, %.0f runs/s "
			"(kernel statistics, sampled %d s in %d from %d s on)\n", bc.cpu_pct, bc.ns_per_run,
			bc.runs_per_s, BPFCOST_WINDOW_S, BPFCOST_PERIOD_S, BPFCOST_DELAY_S);
	else if (bc_err)
		fprintf(f, "vigil: BPF programs: run time not measured (%s)\n", strerror(-bc_err));
	else
		fprintf(f, "vigil: BPF programs: run time not measured (first sampled %d s in)\n",
			BPFCOST_DELAY_S);
	trace_report_sites(s, &sc, f);
	/* the accounting identity the flood test holds vigil to */
	fprintf(f, "vigil: ring buffer: produced=%llu received=%llu lost=%llu (+%llu flushed at stop)\n", sc.produced,
		sc.received, sc.lost, sc.pending);
}
