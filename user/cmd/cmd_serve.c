// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* vigil serve: the headless daemon.  The pipeline of live (session ->
 * model -> detectors) with an HTTP server instead of a view.
 *
 * One client never stalls tracing: once per interval the tracing thread
 * renders /metrics (both formats) and /findings into immutable buffers and
 * publishes them under a mutex held for a pointer swap; the server's thread
 * takes a reference under the same mutex and sends from it at the
 * client's pace (http_server.h bounds the clients). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "detect.h"
#include "http_server.h"
#include "model.h"
#include "record_dir.h"
#include "report.h"
#include "selfstat.h"
#include "session.h"
#include "sink_metrics.h"
#include "source.h"
#include "targets.h"
#include "trace_run.h"

/* An exited process stays in /metrics this long, so that scrapes see its
 * last counters, then leaves (bounded label cardinality). */
#define SERVE_EXITED_KEEP_NS (60ull * 1000000000ull)

/* What the server's thread reads. */
struct published {
	pthread_mutex_t mu;
	struct http_blob *text, *om, *findings;
	unsigned long long at_ns; /* CLOCK_MONOTONIC of the last publication */
	unsigned long long stale_ns; /* /healthz fails when older than this */
};

struct serve {
	struct cli *c;
	struct model *model;
	struct session *s;
	struct record_dir rec;
	struct http_server *http;
	struct published pub;
};

static volatile sig_atomic_t reload_asked;

static void on_hup(int sig)
{
	(void)sig;
	reload_asked = 1;
}

static void to_model(void *ctx, const struct ev_hdr *rec)
{
	struct serve *sv = ctx;

	model_event(sv->model, rec);
	record_dir_add(&sv->rec, rec);
}

static struct http_blob *blob_ref(struct published *p, struct http_blob *const *which)
{
	struct http_blob *b;

	pthread_mutex_lock(&p->mu);
	b = http_blob_get(*which);
	pthread_mutex_unlock(&p->mu);
	return b;
}

static struct http_blob *text_blob(const char *t)
{
	return http_blob_new(t, strlen(t));
}

/* The server's thread: a reference to what was published, nothing more. */
static void handle(void *ctx, const struct http_request *rq, struct http_reply *rp)
{
	struct published *p = ctx;

	if (!strcmp(rq->path, "/metrics")) {
		bool om = metrics_wants_openmetrics(rq->accept);
		rp->body = blob_ref(p, om ? &p->om : &p->text);
		rp->ctype = om ? METRICS_CTYPE_OM : METRICS_CTYPE_TEXT;
		rp->status = 200;
	} else if (!strcmp(rq->path, "/findings")) {
		rp->body = blob_ref(p, &p->findings);
		rp->ctype = "application/json";
		rp->status = 200;
	} else if (!strcmp(rq->path, "/healthz")) {
		unsigned long long at = __atomic_load_n(&p->at_ns, __ATOMIC_RELAXED);
		bool ok = at && clock_mono_ns() - at < p->stale_ns;
		rp->body = text_blob(ok ? "ok\n" : "stale: the tracing loop has not published lately\n");
		rp->ctype = "text/plain; charset=utf-8";
		rp->status = ok ? 200 : 503;
	} else if (!strcmp(rq->path, "/")) {
		rp->body = text_blob("vigil serve: /metrics /findings /healthz\n");
		rp->ctype = "text/plain; charset=utf-8";
		rp->status = 200;
	}
	if (rp->status == 200 && !rp->body)
		rp->status = 503; /* out of memory */
}

/* The text a writer produced, as a blob; NULL when it failed. */
static struct http_blob *render(struct serve *sv, int what, const struct metrics_self *self)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct http_blob *b = NULL;
	int rc;

	if (!f)
		return NULL;
	if (what == 2) {
		const struct finding **fs = NULL;
		size_t cap = 0;
		struct detector *d = model_detector(sv->model);
		struct report r = {.agg = model_agg(sv->model)};
		r.nfindings = detector_findings(d, &fs, &cap);
		r.findings = fs;
		r.findings_dropped = detector_dropped(d);
		rc = r.nfindings == (size_t)-1 ? -1 : report_findings_json(f, &r);
		free(fs);
	} else {
		rc = metrics_write(f, sv->model, self, what == 1);
	}
	if (fclose(f) == 0 && rc == 0)
		b = http_blob_new(buf, len);
	free(buf);
	return b;
}

static void swap_in(struct published *p, struct http_blob **slot, struct http_blob *b)
{
	struct http_blob *old;

	if (!b) /* out of memory: the last one stays */
		return;
	pthread_mutex_lock(&p->mu);
	old = *slot;
	*slot = b;
	pthread_mutex_unlock(&p->mu);
	http_blob_put(old);
}

static void publish(struct serve *sv)
{
	struct metrics_self self = {0};
	struct source_counts sc;
	struct selfstat st;
	struct rusage ru;

	agg_settle(model_agg(sv->model), 0);
	source_counts(session_source(sv->s), &sc);
	self.events = sc.received;
	self.lost = sc.lost;
	self.malformed = sc.malformed;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		self.cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
			     ru.ru_stime.tv_usec / 1e6;
	if (selfstat_read(&st) == 0)
		self.rss_bytes = st.rss;
	self.http_rejected = sv->http ? http_server_rejected(sv->http) : 0;
	swap_in(&sv->pub, &sv->pub.text, render(sv, 0, &self));
	swap_in(&sv->pub, &sv->pub.om, render(sv, 1, &self));
	swap_in(&sv->pub, &sv->pub.findings, render(sv, 2, NULL));
	__atomic_store_n(&sv->pub.at_ns, clock_mono_ns(), __ATOMIC_RELAXED);
}

/* The model, the session feeding it and the first dump. */
static int pipeline_open(struct serve *sv)
{
	int rc;

	sv->model = model_new(&sv->c->config, NULL);
	if (!sv->model) {
		cli_err("out of memory");
		return EXIT_RUNTIME;
	}
	agg_set_ncpus(model_agg(sv->model), (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	model_set_reap(sv->model, SERVE_EXITED_KEEP_NS);
	if ((rc = record_dir_open(&sv->rec, sv->c)))
		return rc;
	if ((rc = trace_session_open(sv->c, &sv->s, to_model, sv)))
		return rc;
	return record_dir_sources(&sv->rec, sv->s);
}

/* Stops tracing and finishes the dump.  An exit code. */
static int pipeline_close(struct serve *sv)
{
	int rc;

	if (sv->s)
		session_stop(sv->s); /* a second stop is harmless */
	rc = record_dir_close(&sv->rec);
	session_close(sv->s);
	model_free(sv->model);
	sv->s = NULL;
	sv->model = NULL;
	return rc;
}

/* SIGHUP: the config file again.  A file that does not load changes
 * nothing; one that does restarts tracing with it (roles and patterns are
 * in the kernel's filter, thresholds in the detectors), so counters start
 * over, which Prometheus reads as a counter reset. */
static int reload(struct serve *sv)
{
	struct cli *c = sv->c;
	const char *path = c->config_path;
	struct vigil_config cfg;
	char err[768], warn[768] = "";

	if (!path && access(config_default_path(), F_OK) == 0)
		path = config_default_path();
	config_defaults(&cfg);
	if (path && config_load_trusted(&cfg, path, c->insecure_config, err, sizeof(err), warn, sizeof(warn))) {
		cli_err("SIGHUP: %s; the running config stays", err);
		return EXIT_OK;
	}
	if (warn[0])
		cli_err("warning: %s", warn);
	if (targets_apply_config(c->targets, &cfg, err, sizeof(err))) {
		cli_err("SIGHUP: %s; the running config stays", err);
		return EXIT_OK;
	}
	c->config = cfg;
	fprintf(stderr, "vigil: SIGHUP: read %s, tracing restarts\n", path ? path : "the built-in defaults");
	int rc = pipeline_close(sv);
	if (rc)
		return rc;
	return pipeline_open(sv);
}

static void published_free(struct published *p)
{
	http_blob_put(p->text);
	http_blob_put(p->om);
	http_blob_put(p->findings);
	pthread_mutex_destroy(&p->mu);
}

int cmd_serve(struct cli *c)
{
	struct serve sv = {.c = c};
	struct trace_loop loop;
	struct sigaction sa = {.sa_handler = on_hup}; /* no SA_RESTART: poll must return */
	char host[256], err[512];
	unsigned port;
	int rc;

	if (http_parse_listen(c->listen, host, sizeof(host), &port, err, sizeof(err))) {
		cli_err("%s", err);
		return EXIT_USAGE;
	}
	rc = trace_preflight(c);
	if (rc)
		return rc;
	pthread_mutex_init(&sv.pub.mu, NULL);
	/* a daemon's address is its contract: fail before loading anything */
	sv.http = http_server_start(c->listen, handle, &sv.pub, err, sizeof(err));
	if (!sv.http) {
		cli_err("%s", err);
		published_free(&sv.pub);
		return EXIT_RUNTIME;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	if (targets_is_default(c->targets))
		fprintf(stderr, "vigil: exporting the asr, avatar and camera roles as they run (--all: every "
				"process)\n");
	trace_loop_init(&loop, c);
	/* healthy while the loop publishes: three intervals late is stuck */
	sv.pub.stale_ns = 3 * loop.tick_ns + 2000000000ull;
	rc = pipeline_open(&sv);
	if (rc)
		goto out;
	publish(&sv);
	fprintf(stderr, "vigil: serving http://%s/metrics\n", http_server_addr(sv.http));
	while (!trace_loop_done(&loop, sv.s)) {
		session_poll(sv.s, loop.poll_ms);
		if (reload_asked) {
			reload_asked = 0;
			if ((rc = reload(&sv)))
				goto out;
			publish(&sv);
		}
		if (!trace_loop_tick(&loop))
			continue;
		publish(&sv);
		record_dir_tick(&sv.rec, c, sv.s, model_agg(sv.model));
	}
	session_stop(sv.s);
	trace_report_end(&loop, sv.s, stderr);
	rc = pipeline_close(&sv);
	if (!rc && c->record_dir)
		fprintf(stderr, "vigil: %llu dumps written to %s\n", sv.rec.files, c->record_dir);
out:
	http_server_stop(sv.http);
	if (sv.s || sv.model) {
		int crc = pipeline_close(&sv);
		if (!rc)
			rc = crc;
	}
	published_free(&sv.pub);
	return rc;
}
