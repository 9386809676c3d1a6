// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The sink table and the driver every sink shares (sink.h). */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "model.h"
#include "report_view.h"

/* One row per output format. */
static const struct sink_ops *const sinks[] = {
	&sink_live_tui,    /* live: the ncurses view */
	&sink_text,        /* live, replay: a text snapshot per interval */
	&sink_json,        /* live, replay: a JSON line per interval */
	&sink_report_text, /* report */
	&sink_report_json,
	&sink_report_md,
	&sink_dump_text,   /* dump: a line per record */
	&sink_dump_csv,
};

const struct sink_ops *sink_find(enum sink_use use, const char *name)
{
	for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (sinks[i]->use == use && !strcmp(sinks[i]->name, name))
			return sinks[i];
	return NULL;
}

int sink_open(struct sink *s, enum sink_use use, const char *name, FILE *out, const struct report_meta *meta,
	      unsigned max_rows)
{
	memset(s, 0, sizeof(*s));
	s->ops = sink_find(use, name);
	if (!s->ops) {
		errno = EINVAL;
		return -1;
	}
	s->out = out;
	if (meta)
		s->meta = *meta;
	s->max_rows = max_rows;
	return s->ops->open ? s->ops->open(s) : 0;
}

int sink_wait(struct sink *s, int timeout_ms)
{
	return s->ops->wait ? s->ops->wait(s, timeout_ms) : 0;
}

int sink_interval(struct sink *s, const struct run_status *t)
{
	size_t n;

	if (s->ops->interval(s, t))
		return -1;
	if (!s->ops->findings)
		return 0;
	/* findings are sticky and listed newest first: the new ones lead */
	n = detector_findings(model_detector(t->m), &s->fs, &s->fs_cap);
	if (n == (size_t)-1 || n <= s->shown) /* out of memory: next time */
		return 0;
	if (s->ops->findings(s, t, s->fs, n - s->shown))
		return -1;
	s->shown = n;
	return 0;
}

int sink_record(struct sink *s, const struct ev_hdr *rec)
{
	return s->ops->record(s, rec);
}

/* A report sink's end: the whole run's document, its findings included. */
static int report_close(struct sink *s, const struct run_status *t)
{
	struct detector *d = model_detector(t->m);
	struct report r = {.agg = model_agg(t->m), .meta = &s->meta};

	r.nfindings = detector_findings(d, &s->fs, &s->fs_cap);
	if (r.nfindings == (size_t)-1) {
		errno = ENOMEM;
		return -1;
	}
	r.findings = s->fs;
	r.findings_dropped = d ? detector_dropped(d) : 0;
	errno = 0;
	return report_write(s->out, s->ops->name, &r);
}

int sink_close(struct sink *s, const struct run_status *t)
{
	int rc = 0;

	if (s->ops && s->ops->report && t)
		rc = report_close(s, t);
	else if (s->ops && s->ops->close)
		rc = s->ops->close(s, t);
	free(s->fs);
	s->fs = NULL;
	s->fs_cap = 0;
	s->ops = NULL; /* closed: a second close is a no-op */
	return rc;
}

int report_write(FILE *f, const char *format, const struct report *r)
{
	static const struct report_meta none;
	const struct sink_ops *fmt = sink_find(SINK_REPORT, format);
	struct report_meta m = r->meta ? *r->meta : none;
	struct report_view c;
	int rc;

	if (!fmt) {
		errno = EINVAL;
		return -1;
	}
	if (ctx_init(&c, r, &m)) {
		ctx_free(&c);
		return -1;
	}
	rc = fmt->report(f, &c);
	ctx_free(&c);
	if (fflush(f) || ferror(f))
		rc = -1;
	return rc;
}
