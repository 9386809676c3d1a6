// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON sink: `live --format json` and `replay --format json`, one line
 * per interval with the report's schema over the interval, and at the
 * close one line with "final": true and the whole run's totals
 * (docs/report.md). */
#include "sink.h"

#include <errno.h>

#include "detect.h"
#include "model.h"

static int json_line(struct sink *s, const struct run_status *t)
{
	struct detector *d = model_detector(t->m);
	struct report r = {.agg = model_agg(t->m), .meta = &s->meta};

	r.nfindings = detector_findings(d, &s->fs, &s->fs_cap);
	if (r.nfindings == (size_t)-1)
		r.nfindings = 0; /* out of memory: the line goes without them */
	r.findings = s->fs;
	r.findings_dropped = d ? detector_dropped(d) : 0;
	s->meta.elapsed_s = t->elapsed_s;
	s->meta.duration_s = t->interval_s;
	s->meta.self = t->self;
	s->meta.one_line = true;
	errno = 0;
	if (report_write(s->out, "json", &r)) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int json_interval(struct sink *s, const struct run_status *t)
{
	s->meta.interval = true;
	s->meta.live_line = true;
	s->meta.final = false;
	return json_line(s, t);
}

/* The last line is the run's summary, never a sliver of an interval:
 * span "trace", "final": true, the whole run's totals. */
static int json_close(struct sink *s, const struct run_status *t)
{
	if (!t)
		return 0;
	s->meta.interval = false;
	s->meta.live_line = true;
	s->meta.final = true;
	if (json_line(s, t))
		return -1;
	return fflush(s->out) ? -1 : 0;
}

const struct sink_ops sink_json = {
	.name = "json",
	.use = SINK_LIVE,
	.interval = json_interval,
	.close = json_close,
};
