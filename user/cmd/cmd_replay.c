// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil replay FILE [--speed X]: the live view driven by a dump.
 *
 * The dump's records go through the model exactly as a live run's did,
 * paced by their timestamps (divided by the speed), and the view gets an
 * interval every second of event time.  Going back means rebuilding the
 * model from the start of the dump: the model cannot run backwards, and
 * dumps decode far faster than they play.  Without a terminal that can
 * show the view (a pipe, TERM=dumb) every interval is printed as the text
 * snapshot of `live --batch` instead; `--batch` prints those snapshots
 * (or, with `--format json`, the JSON lines of `live --format json`)
 * without pacing, as fast as the dump reads. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "pf_source.h"
#include "clock.h"
#include "detect.h"
#include "commands.h"
#include "dump_read.h"
#include "model.h"
#include "procfs.h"
#include "report.h"
#include "sink.h"
#include "source.h"
#include "tui.h"

#define NS 1000000000ull
#define IVL_NS NS                    /* one interval: a second of event time */
#define JUMP_NS (10 * NS)            /* left/right arrows */
#define EXITED_KEEP_NS (10 * NS)     /* exited processes stay listed this long, as in live */
#define BATCH_BUDGET_NS (200000000ull) /* play at most this long between looks at the keys */
#define SPEED_MIN 0.01
#define SPEED_MAX 1e6

struct replay {
	struct cli *c;
	struct dump_reader *r;
	struct dump_host host;
	struct model *m;
	struct tui *t; /* NULL: text snapshots */
	const struct ev_hdr *next; /* read, not yet fed: at or after the boundary */
	int rd;                    /* last dump_reader_next(): 1 more, 0 end, -1 damage */
	char damage[320];          /* the reader's message when rd < 0 */
	__u64 origin;              /* event time of +0 s */
	__u64 pos;                 /* the model is settled up to here: an interval boundary */
	__u64 ivl_start;           /* start of the interval on screen */
	bool ended, paused;
	double speed;
	unsigned long long base_wall; /* pacing: wall time when the position was base_pos */
	__u64 base_pos;
	char mode[48];
	bool batch, json;          /* --batch: no pacing; --format json: live's JSON lines */
	struct sink out;           /* no view: live's text or JSON sink */
	int out_err;               /* writing stdout failed (errno) */
};

/* ---- the dump and the model ---- */

static void read_next(struct replay *p)
{
	p->rd = dump_reader_next(p->r, &p->next);
	if (p->rd != 1)
		p->next = NULL;
	if (p->rd < 0)
		snprintf(p->damage, sizeof(p->damage), "%s: %s at offset %llu; playing what was readable",
			 p->c->file, dump_reader_error(p->r), dump_reader_error_offset(p->r));
}

/* opens (or reopens) the dump and a fresh model, positioned at the start */
static int start(struct replay *p, char *err, size_t errlen)
{
	if (p->r)
		dump_reader_close(p->r);
	model_free(p->m);
	p->r = NULL;
	p->m = NULL;
	if (dump_reader_open(&p->r, p->c->file, err, errlen))
		return EXIT_RUNTIME;
	p->host = *dump_reader_host(p->r);
	p->m = model_new(&p->c->config, NULL);
	if (!p->m) {
		snprintf(err, errlen, "out of memory");
		return EXIT_RUNTIME;
	}
	agg_set_ncpus(model_agg(p->m), p->host.ncpus);
	/* exited processes leave the table as in live, once the detectors saw them go */
	model_set_reap(p->m, EXITED_KEEP_NS);
	p->damage[0] = '\0';
	read_next(p);
	/* +0 is where the recording started; records stamped before it
	 * (processes described at start) move it back */
	p->origin = p->host.mono_ns;
	if (p->next && (!p->origin || p->next->ts < p->origin))
		p->origin = p->next->ts;
	p->pos = p->ivl_start = p->origin;
	p->ended = false;
	return EXIT_OK;
}

/* feeds every record before `until`; false once the dump has no more */
static bool feed(struct replay *p, __u64 until)
{
	while (p->next && p->next->ts < until && !cli_stop) {
		model_event(p->m, p->next);
		read_next(p);
	}
	return p->next != NULL;
}

/* ---- what the header says ---- */

/* the run's status at the replay's position; interval_s: the interval shown
 * (0: the numbers on screen stay, the findings are the model's last) */
static void status(struct replay *p, struct run_status *st, double interval_s)
{
	if (p->ended)
		snprintf(p->mode, sizeof(p->mode), "REPLAY x%g  end of recording", p->speed);
	else
		snprintf(p->mode, sizeof(p->mode), "REPLAY x%g%s", p->speed, p->paused ? "  paused" : "");
	*st = (struct run_status){
		.m = p->m,
		.mode = p->mode,
		.host = p->host.hostname,
		.elapsed_s = (double)(p->pos - p->origin) / 1e9,
		.interval_s = interval_s,
		/* the dump's clock base: wall = ts - mono_ns + real_ns */
		.wall_ns = p->host.real_ns && p->pos >= p->host.mono_ns ? p->pos - p->host.mono_ns + p->host.real_ns : 0,
		.pf_source = pf_source_desc((int)p->host.pf_source),
		/* vigil's own cost was the recorder's, not in the dump */
		.self_cpu_pct = -1,
		.bpf_cpu_pct = -1,
		.alert = p->damage[0] ? p->damage : NULL,
	};
}

/* the settled model, interval [ivl_start, now) -> the view or stdout */
static void show(struct replay *p, __u64 now)
{
	struct run_status st;

	status(p, &st, (double)(now - p->ivl_start) / 1e9);
	if (p->t) {
		tui_update(p->t, &st);
		return;
	}
	st.note = st.alert; /* text has no highlighted line */
	if (!p->out_err && sink_interval(&p->out, &st))
		p->out_err = errno ? errno : EIO;
}

/* the end of the dump: the model's last word, and the last partial interval
 * if it is long enough to mean something */
static void finish(struct replay *p)
{
	const struct agg_host *h;
	struct run_status st;

	model_finish(p->m);
	p->ended = true;
	h = agg_host(model_agg(p->m));
	if (h->last_ts > p->ivl_start + IVL_NS / 2) {
		p->pos = h->last_ts;
		show(p, p->pos);
		return;
	}
	if (p->t) { /* the last full interval stays, with the final findings */
		status(p, &st, 0);
		tui_update(p->t, &st);
	}
}

/* plays one interval; shows it when asked */
static void step(struct replay *p, bool shown)
{
	__u64 b = p->pos + IVL_NS;
	struct agg *a = model_agg(p->m);

	if (p->ended)
		return;
	if (!feed(p, b)) {
		finish(p);
		return;
	}
	/* the detectors judge up to b even when the stream went quiet */
	model_advance(p->m, b);
	agg_settle(a, b);
	p->pos = b;
	if (shown)
		show(p, b);
	agg_interval_reset(a, b);
	p->ivl_start = b;
}

/* plays up to event time `target` (an interval boundary or beyond), showing
 * only the last interval; stops early after the time budget */
static void play_to(struct replay *p, __u64 target, bool budget)
{
	unsigned long long t0 = clock_mono_ns();

	while (!p->ended && p->pos + IVL_NS <= target && !cli_stop) {
		bool last = p->pos + 2 * IVL_NS > target || (budget && clock_mono_ns() - t0 > BATCH_BUDGET_NS);
		step(p, last || !p->t); /* text mode prints every interval */
		if (last)
			break;
	}
}

static void rebase(struct replay *p)
{
	p->base_wall = clock_mono_ns();
	p->base_pos = p->pos;
}

/* event time the playback should have reached by now */
static __u64 due(const struct replay *p)
{
	return p->base_pos + (__u64)((double)(clock_mono_ns() - p->base_wall) * p->speed);
}

/* ---- controls ---- */

static int seek_back(struct replay *p)
{
	__u64 target = p->pos - p->origin > JUMP_NS ? p->pos - JUMP_NS : p->origin;
	char err[512];
	struct run_status st;
	int rc;

	target = p->origin + (target - p->origin) / IVL_NS * IVL_NS;
	rc = start(p, err, sizeof(err));
	if (rc) {
		cli_err("%s", err);
		return rc;
	}
	if (target == p->origin) { /* nothing played yet: an empty table */
		status(p, &st, 1.0);
		tui_update(p->t, &st);
	}
	play_to(p, target, false);
	return EXIT_OK;
}

static void redraw_status(struct replay *p)
{
	struct run_status st;

	/* the header alone: the numbers of the interval on screen stay */
	status(p, &st, 0);
	tui_set_status(p->t, &st);
}

/* one action from the keys; returns an exit code to stop, -1 to go on */
static int act(struct replay *p, int a)
{
	switch (a) {
	case TUI_QUIT:
		return EXIT_OK;
	case TUI_PAUSE:
		p->paused = !p->paused;
		break;
	case TUI_STEP:
		p->paused = true;
		step(p, true);
		break;
	case TUI_FASTER:
		p->speed = p->speed * 2 > SPEED_MAX ? SPEED_MAX : p->speed * 2;
		break;
	case TUI_SLOWER:
		p->speed = p->speed / 2 < SPEED_MIN ? SPEED_MIN : p->speed / 2;
		break;
	case TUI_FORWARD:
		play_to(p, p->pos + JUMP_NS, false);
		break;
	case TUI_BACK: {
		int rc = seek_back(p);
		if (rc)
			return rc;
		break;
	}
	case TUI_REDRAW:
		tui_draw(p->t);
		return -1;
	default:
		return -1;
	}
	rebase(p);
	redraw_status(p);
	tui_draw(p->t);
	return -1;
}

/* wall time to wait for the next interval, in ms */
static int wait_ms(const struct replay *p)
{
	double ms;

	if (p->paused || p->ended)
		return 1000;
	ms = ((double)(p->pos + IVL_NS) - (double)due(p)) / p->speed / 1e6;
	return ms < 1 ? 1 : ms > 250 ? 250 : (int)ms + 1;
}

static int run_view(struct replay *p)
{
	struct run_status st;

	status(p, &st, 1.0);
	tui_update(p->t, &st);
	tui_draw(p->t);
	rebase(p);
	while (!cli_stop) {
		int rc;

		if (!p->paused && !p->ended && due(p) >= p->pos + IVL_NS) {
			play_to(p, due(p), true);
			if (p->ended)
				redraw_status(p);
			tui_draw(p->t);
		}
		rc = act(p, tui_input(p->t, wait_ms(p)));
		if (rc >= 0)
			return rc;
	}
	return EXIT_OK;
}

static void print_findings(struct replay *p)
{
	struct detector *d = model_detector(p->m);
	size_t n = d ? detector_nfindings(d) : 0;

	for (size_t i = 0; i < n; i++) {
		const struct finding *f = detector_finding(d, i);
		char comm[VIGIL_COMM_LEN], summary[FINDING_SUMMARY_LEN];

		/* the comm and the summary may carry a process's bytes */
		procfs_printable(comm, sizeof(comm), f->comm, strnlen(f->comm, sizeof(f->comm)));
		procfs_printable(summary, sizeof(summary), f->summary, strnlen(f->summary, sizeof(f->summary)));
		printf("finding: %s %s pid %u %s%s: %s\n", finding_kind_name(f->kind), finding_severity_name(f->severity),
		       f->pid, comm, f->active ? "" : " (ended)", summary);
	}
}

/* --batch: every interval, unpaced, through the sink; JSON ends with the
 * whole dump's line, text with the findings */
static int run_batch(struct replay *p)
{
	while (!cli_stop && !p->ended && !p->out_err)
		step(p, true);
	if (!p->json && p->ended && !p->out_err) {
		printf("-- end of recording\n");
		print_findings(p);
		if (fflush(stdout))
			p->out_err = errno ? errno : EIO;
	}
	if (p->json && p->ended && !p->out_err) {
		const struct agg_host *h = agg_host(model_agg(p->m));
		double span = h->last_ts > p->origin ? (double)(h->last_ts - p->origin) / 1e9 : 0;
		struct run_status t = {.m = p->m, .elapsed_s = span, .interval_s = span, .self_cpu_pct = -1,
				      .bpf_cpu_pct = -1};

		if (sink_close(&p->out, &t))
			p->out_err = errno ? errno : EIO;
	}
	if (!p->out_err)
		fflush(stdout);
	if (p->out_err && p->out_err != EPIPE) { /* a reader that left (| head) is no failure */
		cli_err("writing to stdout failed: %s", strerror(p->out_err));
		return EXIT_RUNTIME;
	}
	return EXIT_OK;
}

/* no view: every interval as text, paced the same way */
static int run_text(struct replay *p)
{
	rebase(p);
	while (!cli_stop && !p->ended) {
		int ms = wait_ms(p);
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

		if (due(p) < p->pos + IVL_NS) {
			nanosleep(&ts, NULL); /* EINTR: SIGINT, checked above */
			continue;
		}
		play_to(p, due(p), false);
	}
	if (p->ended) {
		printf("-- end of recording\n");
		print_findings(p);
	}
	fflush(stdout);
	return EXIT_OK;
}

int cmd_replay(struct cli *c)
{
	struct replay p = {.c = c, .speed = c->speed > 0 ? c->speed : 1.0};
	char err[512], why[160];
	int rc;

	/* JSON is never drawn: always batch lines, as in live */
	p.json = c->format == FMT_JSON;
	p.batch = c->batch || p.json;
	rc = start(&p, err, sizeof(err));
	if (rc) {
		cli_err("%s", err);
		goto out;
	}
	if (!p.batch) {
		p.t = tui_open(TUI_REPLAY, why, sizeof(why));
		if (!p.t && isatty(STDOUT_FILENO))
			fprintf(stderr, "vigil: %s: printing text snapshots\n", why);
	}
	if (!p.t) {
		struct report_meta meta = {0};

		report_meta_from_host(&meta, &p.host);
		/* since_s counts from +0, the wall clock follows */
		if (meta.real_ns)
			meta.real_ns = p.host.real_ns + p.origin - p.host.mono_ns; /* mod 2^64: origin may be earlier */
		meta.origin_ns = p.origin;
		sink_open(&p.out, SINK_LIVE, p.json ? "json" : "text", stdout, &meta, 40); /* both exist */
	}
	rc = p.t ? run_view(&p) : p.batch ? run_batch(&p) : run_text(&p);
	tui_close(p.t); /* before anything else is printed */
	if (rc == EXIT_OK && p.damage[0]) {
		cli_err("%s", p.damage);
		rc = EXIT_RUNTIME;
	}
out:
	sink_close(&p.out, NULL);
	model_free(p.m);
	if (p.r)
		dump_reader_close(p.r);
	return rc;
}
