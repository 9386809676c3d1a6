// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "snapshot.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg.h"
#include "format.h"
#include "pview.h"
#include "roles.h"
#include "targets.h"

/* the interval's length by the one span rule (pview.h) */
static double span_s(struct agg *a, const struct run_status *si)
{
	return pview_span_s(a, true, 0, si->interval_s);
}

static void header(FILE *f, struct agg *a, const struct run_status *si)
{
	const struct agg_host *h = agg_host(a);
	char when[32] = "", b1[16];
	double span = span_s(a, si), ivl_ns = span * 1e9;

	if (si->wall_ns) {
		time_t t = si->wall_ns / 1000000000ull;
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	}
	fprintf(f, "-- vigil %s +%.1fs | events %s/s, lost %llu | %u CPUs busy", when, si->elapsed_s,
		fmt_count(b1, sizeof(b1), span > 0 ? (h->tot.events - h->base.events) / span : 0),
		(unsigned long long)h->tot.lost, h->ncpus);
	for (unsigned c = 0; c < h->ncpus && c < 64; c++) {
		double pct = ivl_ns > 0 ? 100.0 * (h->cpu_busy_ns[c] - h->cpu_busy_base[c]) / ivl_ns : 0;
		fprintf(f, " %.0f%%", pct > 100 ? 100 : pct);
	}
	fprintf(f, " | runnable %.2f | page faults: %s", agg_runnable_avg(a, 1), si->pf_source ? si->pf_source : "?");
	if (si->self_cpu_pct >= 0)
		fprintf(f, " | vigil %.1f%% %s", si->self_cpu_pct, fmt_bytes(b1, sizeof(b1), (double)si->self_rss));
	if (si->bpf_cpu_pct >= 0)
		fprintf(f, ", BPF %.1f%%", si->bpf_cpu_pct);
	fputc('\n', f);
	if (si->note)
		fprintf(f, "   %s\n", si->note);
}

/* one cell of the table, as the field says: aligned, a left-aligned one cut */
static void cell(FILE *f, const struct pview_field *fd, const char *text, bool last)
{
	if (fd->width < 0)
		fprintf(f, "%-*.*s", -fd->width, -fd->width, text);
	else
		fprintf(f, "%*s", fd->width, text);
	fputc(last ? '\n' : ' ', f);
}

void snapshot_text(FILE *f, struct agg *a, const struct run_status *si, unsigned max_rows)
{
	size_t n = agg_nprocs(a), nrows = 0;
	struct pview *rows = calloc(n ? n : 1, sizeof(*rows));
	double span = span_s(a, si);

	header(f, a, si);
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		if (!p->exited)
			pview_fill(&rows[nrows++], p, true, span);
	}
	qsort(rows, nrows, sizeof(*rows), pview_cmp);
	size_t last = 0; /* the last column ends the line */
	for (size_t k = 0; k < pview_nfields; k++)
		if (pview_fields[k].title)
			last = k;
	for (size_t k = 0; k < pview_nfields; k++)
		if (pview_fields[k].title) /* the rest are metrics only */
			cell(f, &pview_fields[k], pview_fields[k].title, k == last);
	for (size_t i = 0; i < nrows && (!max_rows || i < max_rows); i++) {
		for (size_t k = 0; k < pview_nfields; k++) {
			char b[32];

			if (!pview_fields[k].title)
				continue;
			pview_fields[k].fill(b, sizeof(b), &rows[i]);
			cell(f, &pview_fields[k], b, k == last);
		}
	}
	if (max_rows && nrows > max_rows)
		fprintf(f, "   (+%zu more processes)\n", nrows - max_rows);
	fflush(f);
	free(rows);
}
