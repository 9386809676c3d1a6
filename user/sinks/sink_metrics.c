// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Prometheus / OpenMetrics exposition of the model (sink_metrics.h).
 * The per-process metrics are the pview field table's rows: a new metric
 * is a row there, not code here. */
#include "sink_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect.h"
#include "hist.h"
#include "json.h"
#include "model.h"
#include "pview.h"
#include "roles.h"
#include "textsafe.h"

/* Run-queue latency buckets: every second octave of ns from 2^10 (1 us) to
 * 2^30 (1.07 s).  An octave edge is an edge of hist.h's buckets, so the
 * cumulative counts are exact: le is 2^k - 1 ns, i.e. the count of waits
 * shorter than 2^k ns.  Eleven buckets keep a process at 14 series. */
#define RQ_LE_FIRST 10
#define RQ_LE_LAST 30
#define RQ_LE_STEP 2

struct out {
	FILE *f;
	bool om;
};

/* A label value: the one text-safety policy (no controls, valid UTF-8),
 * then the exposition's escapes. */
static void label_value(FILE *f, const char *src, size_t srclen)
{
	char safe[4 * VIGIL_COMM_LEN + 1];

	text_sanitize(safe, sizeof(safe), src, srclen);
	for (const char *s = safe; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void proc_labels(FILE *f, unsigned pid, const char *comm, size_t commlen, unsigned role)
{
	fprintf(f, "pid=\"%u\",comm=\"", pid);
	label_value(f, comm, commlen);
	fprintf(f, "\",role=\"%s\"", role_name((enum vigil_role)role));
}

static void value(FILE *f, double v)
{
	char b[40];

	fprintf(f, " %s\n", json_fmt_double(b, sizeof(b), v));
}

/* A family's header.  OpenMetrics names a counter's family without its
 * "_total" and declares the unit; the text format names the sample. */
static void family(const struct out *o, const char *name, const char *type, const char *unit, const char *help)
{
	size_t len = strlen(name);

	if (o->om && !strcmp(type, "counter") && len > 6 && !strcmp(name + len - 6, "_total"))
		len -= 6;
	if (o->om) {
		fprintf(o->f, "# TYPE vigil_%.*s %s\n", (int)len, name, type);
		if (unit && *unit)
			fprintf(o->f, "# UNIT vigil_%.*s %s\n", (int)len, name, unit);
	}
	if (help)
		fprintf(o->f, "# HELP vigil_%.*s %s\n", (int)len, name, help);
	if (!o->om)
		fprintf(o->f, "# TYPE vigil_%.*s %s\n", (int)len, name, type);
}

/* by pid, the live entry before an exited one of the same pid */
static int row_cmp(const void *x, const void *y)
{
	const struct pview *a = x, *b = y;

	if (a->p->pid != b->p->pid)
		return a->p->pid < b->p->pid ? -1 : 1;
	if (a->p->exited != b->p->exited)
		return a->p->exited ? 1 : -1;
	return a->p->id < b->p->id ? 1 : a->p->id > b->p->id ? -1 : 0;
}

/* One row per pid: a pid reused while its exited entry is still kept
 * would give two series the same labels; the live one is exported. */
static size_t rows_of(struct agg *a, struct pview *rows)
{
	size_t n = agg_nprocs(a), nrows = 0;

	for (size_t i = 0; i < n; i++)
		pview_fill(&rows[nrows++], agg_proc_at(a, i), false, 0);
	qsort(rows, nrows, sizeof(*rows), row_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < nrows; i++)
		if (!kept || rows[kept - 1].p->pid != rows[i].p->pid)
			rows[kept++] = rows[i];
	return kept;
}

static const char *kind_type(enum pview_kind k)
{
	return k == PVIEW_COUNTER ? "counter" : "gauge";
}

static void proc_metrics(const struct out *o, const struct pview *rows, size_t n)
{
	for (size_t k = 0; k < pview_nfields; k++) {
		const struct pview_field *fd = &pview_fields[k];
		const struct pview_metric *m = &fd->metric;

		if (!m->name)
			continue;
		/* rows sharing a name are adjacent: one header, before the first */
		if (!k || !pview_fields[k - 1].metric.name || strcmp(pview_fields[k - 1].metric.name, m->name))
			family(o, m->name, kind_type(fd->kind), m->unit, m->help);
		for (size_t i = 0; i < n; i++) {
			double v = m->value(&rows[i]);
			const struct agg_proc *p = rows[i].p;

			if (isnan(v))
				continue;
			fprintf(o->f, "vigil_%s{", m->name);
			proc_labels(o->f, p->pid, p->comm, sizeof(p->comm), p->role);
			if (m->label)
				fprintf(o->f, ",%s", m->label);
			fputc('}', o->f);
			value(o->f, v);
		}
	}
}

static void runq_histogram(const struct out *o, const struct pview *rows, size_t n)
{
	family(o, "process_runqueue_latency_seconds", "histogram", "seconds",
	       "Run-queue waits of the process's threads, from wakeup or preemption to running.");
	for (size_t i = 0; i < n; i++) {
		const struct agg_proc *p = rows[i].p;
		const struct hist *h = rows[i].runq;
		unsigned b = 0;
		__u64 below = 0;

		for (unsigned k = RQ_LE_FIRST; k <= RQ_LE_LAST + RQ_LE_STEP; k += RQ_LE_STEP) {
			bool inf = k > RQ_LE_LAST;
			__u64 edge = 1ull << k;
			char le[40];

			/* buckets wholly below 2^k ns */
			for (; !inf && hist_bucket_lo(b) + hist_bucket_width(b) <= edge; b++)
				below += hist_bucket_count(h, b);
			fputs("vigil_process_runqueue_latency_seconds_bucket{", o->f);
			proc_labels(o->f, p->pid, p->comm, sizeof(p->comm), p->role);
			if (inf)
				snprintf(le, sizeof(le), "+Inf");
			else
				json_fmt_double(le, sizeof(le), (double)(edge - 1) / 1e9);
			fprintf(o->f, ",le=\"%s\"}", le);
			value(o->f, (double)(inf ? hist_count(h) : below));
		}
		fputs("vigil_process_runqueue_latency_seconds_sum{", o->f);
		proc_labels(o->f, p->pid, p->comm, sizeof(p->comm), p->role);
		fputc('}', o->f);
		value(o->f, (double)hist_sum(h) / 1e9);
		fputs("vigil_process_runqueue_latency_seconds_count{", o->f);
		proc_labels(o->f, p->pid, p->comm, sizeof(p->comm), p->role);
		fputc('}', o->f);
		value(o->f, (double)hist_count(h));
	}
}

static bool same_labels(const struct finding *a, const struct finding *b)
{
	return a->kind == b->kind && a->severity == b->severity && a->pid == b->pid && a->role == b->role &&
	       !strncmp(a->comm, b->comm, sizeof(a->comm));
}

/* 1 per active finding; one that ended leaves the exposition (absent, not
 * 0, so that `vigil_findings` alone is the alert). */
static int findings(const struct out *o, struct model *m)
{
	const struct finding **fs = NULL;
	size_t cap = 0, n = detector_findings(model_detector(m), &fs, &cap);

	if (n == (size_t)-1)
		return -1;
	family(o, "findings", "gauge", NULL, "1 while a detector's finding is active (kind, severity).");
	for (size_t i = 0; i < n; i++) {
		bool dup = false;

		if (!fs[i]->active)
			continue;
		for (size_t j = 0; j < i && !dup; j++)
			dup = fs[j]->active && same_labels(fs[i], fs[j]);
		if (dup)
			continue;
		fprintf(o->f, "vigil_findings{kind=\"%s\",severity=\"%s\",", finding_kind_name(fs[i]->kind),
			finding_severity_name(fs[i]->severity));
		proc_labels(o->f, fs[i]->pid, fs[i]->comm, sizeof(fs[i]->comm), fs[i]->role);
		fputc('}', o->f);
		value(o->f, 1);
	}
	free(fs);
	return 0;
}

static void one(const struct out *o, const char *name, const char *type, const char *unit, const char *help,
		double v)
{
	family(o, name, type, unit, help);
	fprintf(o->f, "vigil_%s", name);
	value(o->f, v);
}

static void self_metrics(const struct out *o, const struct metrics_self *s, size_t nprocs)
{
	one(o, "events_total", "counter", NULL, "Events received from the kernel.", (double)s->events);
	one(o, "lost_events_total", "counter", NULL, "Events the kernel could not queue (ring buffer full).",
	    (double)s->lost);
	one(o, "malformed_events_total", "counter", NULL, "Events refused as malformed.", (double)s->malformed);
	one(o, "cpu_seconds_total", "counter", "seconds", "vigil's own CPU time (user + system).", s->cpu_s);
	if (s->rss_bytes)
		one(o, "resident_bytes", "gauge", "bytes", "vigil's own resident set size.", (double)s->rss_bytes);
	one(o, "http_rejected_connections_total", "counter", NULL,
	    "HTTP connections turned away: over the limit, too slow, or a bad request.", (double)s->http_rejected);
	one(o, "processes", "gauge", NULL, "Processes exported (traced, or exited within the grace period).",
	    (double)nprocs);
}

int metrics_write(FILE *f, struct model *m, const struct metrics_self *self, bool openmetrics)
{
	struct out o = {f, openmetrics};
	struct agg *a = model_agg(m);
	struct pview *rows = calloc(agg_nprocs(a) + 1, sizeof(*rows));
	size_t n;
	int rc = 0;

	if (!rows)
		return -1;
	n = rows_of(a, rows);
	proc_metrics(&o, rows, n);
	runq_histogram(&o, rows, n);
	if (findings(&o, m))
		rc = -1;
	self_metrics(&o, self, n);
	if (openmetrics)
		fputs("# EOF\n", f);
	free(rows);
	if (fflush(f) || ferror(f))
		rc = -1;
	return rc;
}

/* Prometheus sends "application/openmetrics-text;version=1.0.0,...;q=0.5,
 * text/plain;version=0.0.4;q=0.4,*\/\*;q=0.1": OpenMetrics when it is
 * named with a q above 0. */
bool metrics_wants_openmetrics(const char *accept)
{
	const char *s = accept;

	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char item[256];

		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		snprintf(item, sizeof(item), "%.*s", (int)len, s);
		if (!strncasecmp(item, "application/openmetrics-text", 28)) {
			const char *q = strstr(item, "q=");
			if (!q || strtod(q + 2, NULL) > 0)
				return true;
		}
		s = end ? end + 1 : NULL;
	}
	return false;
}
