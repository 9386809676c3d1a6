// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The text sink: `live --batch` and `replay --batch`, a plain-text snapshot
 * per interval (snapshot.c) and, under it, the findings raised since the
 * last one. */
#include "sink.h"

#include <errno.h>

#include "agg.h"
#include "model.h"
#include "snapshot.h"

static int text_interval(struct sink *s, const struct run_status *t)
{
	struct run_status st = *t;

	if (!st.pf_source)
		st.pf_source = s->meta.pf_source;
	errno = 0;
	snapshot_text(s->out, model_agg(t->m), &st, s->max_rows);
	return ferror(s->out) ? -1 : 0;
}

static int text_findings(struct sink *s, const struct run_status *t, const struct finding *const *f, size_t n)
{
	struct report r = {.agg = model_agg(t->m), .meta = &s->meta, .findings = f, .nfindings = n};

	report_findings_text(s->out, &r, "NEW FINDINGS");
	fflush(s->out);
	return ferror(s->out) ? -1 : 0;
}

const struct sink_ops sink_text = {
	.name = "text",
	.use = SINK_LIVE,
	.interval = text_interval,
	.findings = text_findings,
};
