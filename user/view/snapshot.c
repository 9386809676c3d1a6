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
static double span_s(struct agg *a, const struct snapshot_info *si)
{
	return pview_span_s(a, true, 0, si->interval_s);
}

static void header(FILE *f, struct agg *a, const struct snapshot_info *si)
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

void snapshot_text(FILE *f, struct agg *a, const struct snapshot_info *si)
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
	fprintf(f, "%-6s %7s %-16s %6s %8s %8s %7s %8s %8s %8s %8s %8s\n", "ROLE", "PID", "COMM", "CPU%",
		"RQ-P50", "RQ-P99", "INVOL/s", "RSS", "RSS/min", "FAULT/s", "ANON-MAP", "HEAP");
	for (size_t i = 0; i < nrows && (!si->max_rows || i < si->max_rows); i++) {
		const struct pview *v = &rows[i];
		const struct agg_proc *p = v->p;
		char p50[16] = "-", p99[16] = "-", rss[16], trend[16], faults[16], anon[16], heap[16], inv[16];

		if (v->runq->count) {
			fmt_ns(p50, sizeof(p50), hist_percentile(v->runq, 50));
			fmt_ns(p99, sizeof(p99), hist_percentile(v->runq, 99));
		}
		fmt_count(inv, sizeof(inv), v->invol_per_s);
		fmt_count(faults, sizeof(faults), v->faults_per_s);
		fmt_bytes(rss, sizeof(rss), p->mem.rss);
		fmt_bytes(trend, sizeof(trend), agg_rss_trend_per_min(&p->rss));
		fmt_bytes(anon, sizeof(anon), p->mem.anon_live_bytes);
		fmt_bytes(heap, sizeof(heap), p->mem.heap_bytes);
		fprintf(f, "%-6s %7u %-16.16s %6.1f %8s %8s %7s %8s %8s %8s %8s %8s\n", role_name(p->role), p->pid,
			p->comm, v->cpu_pct, p50, p99, inv, p->mem.rss_first_ts ? rss : "-", trend, faults,
			anon, heap);
	}
	if (si->max_rows && nrows > si->max_rows)
		fprintf(f, "   (+%zu more processes)\n", nrows - si->max_rows);
	fflush(f);
	free(rows);
}
