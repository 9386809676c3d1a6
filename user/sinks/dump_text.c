// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `vigil dump`'s text: one line per record, its time in seconds since the
 * dump's start, then its header fields and details (print.h). */
#include "sink.h"

#include <errno.h>

#include "decode.h"
#include "print.h"

static int text_record(struct sink *s, const struct ev_hdr *h)
{
	const char *comm = h->pid ? names_get(s->names, h->pid) : "-";
	/* records of processes described at start come slightly before it: a
	 * minus sign, not a wrapped number */
	unsigned long long rel = h->ts >= s->t0 ? h->ts - s->t0 : s->t0 - h->ts;
	char when[40];

	snprintf(when, sizeof(when), "%s%llu.%06llu", h->ts >= s->t0 ? "" : "-", rel / 1000000000,
		 rel % 1000000000 / 1000);
	fprintf(s->out, "%13s cpu=%-3u %-8s pid=%u(%s) tid=%u", when, h->cpu, ev_type_name(h->type), h->pid, comm,
		h->tid);
	print_details(s->out, h, s->names);
	fputc('\n', s->out);
	return ferror(s->out) ? -1 : 0;
}

const struct sink_ops sink_dump_text = {
	.name = "text",
	.use = SINK_RECORDS,
	.record = text_record,
};
