// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The sink table and the driver every sink shares (sink.h). */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "model.h"

/* One row per output format. */
static const struct sink_ops *const sinks[] = {
	&sink_text,
	&sink_json,
};

int sink_open(struct sink *s, const char *name, FILE *out, const struct report_meta *meta, unsigned max_rows)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(sinks) / sizeof(sinks[0]); i++)
		if (!strcmp(sinks[i]->name, name))
			s->ops = sinks[i];
	if (!s->ops) {
		errno = EINVAL;
		return -1;
	}
	s->out = out;
	s->meta = *meta;
	s->max_rows = max_rows;
	return 0;
}

int sink_interval(struct sink *s, const struct sink_tick *t)
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

int sink_close(struct sink *s, const struct sink_tick *t)
{
	int rc = 0;

	if (s->ops && s->ops->close)
		rc = s->ops->close(s, t);
	free(s->fs);
	s->fs = NULL;
	s->fs_cap = 0;
	return rc;
}
