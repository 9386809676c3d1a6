// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The text report, for a terminal; its findings block is also what
 * `live --batch` prints under a snapshot (sink_text.c). */
#include "report_view.h"

#include <string.h>
#include <sys/wait.h>

#include "decode.h"
#include "format.h"
#include "hist.h"
#include "ksources.h"
#include "roles.h"
#include "sink.h"
#include "textsafe.h"

static void t_dump_line(FILE *f, const struct report_dump *d)
{
	char err[256];

	if (d->complete)
		fprintf(f, "  dump:    complete, %llu chunks, %llu events\n", d->chunks, d->events);
	else
		fprintf(f, "  dump:    DAMAGED at offset %llu: %s; the numbers cover the %llu events before it\n",
			d->offset, text_sanitize(err, sizeof(err), dump_error(d), 200), d->events);
}

static void t_header(FILE *f, const struct report_view *c)
{
	const struct report_meta *m = c->m;
	char wall[48], buf[512];

	fprintf(f, "vigil %s", m->interval ? "interval" : "report");
	if (m->title)
		fprintf(f, ": %s", text_sanitize(buf, sizeof(buf), m->title, 400));
	fputc('\n', f);
	/* even a dump header's strings are outside text */
	fprintf(f, "  host:    %s", text_sanitize(buf, sizeof(buf), str0(m->hostname), 64));
	fprintf(f, ", %s", text_sanitize(buf, sizeof(buf), str0(m->arch), 16));
	fprintf(f, ", kernel %s, %u CPUs", text_sanitize(buf, sizeof(buf), str0(m->kernel), 64),
		host_ncpus(c));
	if (m->pf_source)
		fprintf(f, "; page faults from %s", m->pf_source);
	fputc('\n', f);
	if (m->sources)
		fprintf(f, "  sources: %s\n", ksources_str(m->sources, buf, sizeof(buf)));
	fprintf(f, "  traced:  %.2f s", c->span_s);
	if (m->interval)
		fprintf(f, " (interval, %.1f s since start)", m->elapsed_s);
	if (wall_str(c, wall, sizeof(wall), false))
		fprintf(f, " from %s", wall);
	fprintf(f, "; %s\n", METHOD);
	if (m->dump)
		t_dump_line(f, m->dump);
}

static void t_finding(FILE *f, const struct report_view *c, const struct finding *fd)
{
	char buf[FINDING_SUMMARY_LEN * 2];
	struct items it = {.f = f, .st = ST_TEXT, .indent = "        ", .sites = agg_sites(c->r->agg)};

	fprintf(f, "  %-4s  %-10s  %-6s  ", sev_label(fd), finding_kind_name(fd->kind),
		fd->pid ? role_name(fd->role) : "host");
	if (fd->pid)
		put_name(f, ST_TEXT, fd->comm, sizeof(fd->comm), fd->pid, false);
	else
		fputs("(whole host)", f);
	fprintf(f, "  since +%.1fs%s\n", rel_s(c, fd->since_ts), fd->active ? "" : " (no longer seen)");
	fprintf(f, "        %s\n", text_sanitize(buf, sizeof(buf), fd->summary, sizeof(fd->summary)));
	finding_items(&it, fd);
}

static void t_findings(FILE *f, const struct report_view *c, const char *title, bool say_none)
{
	if (!c->nfs) {
		if (say_none)
			fprintf(f, "\n%s: none\n", title);
		return;
	}
	fprintf(f, "\n%s (%zu, most severe first", title, c->nfs);
	if (c->r->findings_dropped)
		fprintf(f, "; %zu older ones dropped", c->r->findings_dropped);
	fputs(")\n", f);
	for (size_t i = 0; i < c->nfs; i++)
		t_finding(f, c, c->fs[i]);
}

static void t_cpu_row(FILE *f, const struct pview *v)
{
	char st[16], p50[16], p99[16], max[16], h[16], vol[16], inv[16];

	rq_strs(v, p50, p99, max, sizeof(p50));
	fprintf(f, "  %7u ", v->p->pid);
	text_cell(f, v->p->comm, sizeof(v->p->comm), 15);
	fprintf(f, " %-7s %6.1f %6.1f %7s %7s %7s %7s %7s  ", state_str(st, sizeof(st), v->p), v->cpu_pct,
		100 * v->wait_share, p50, p99, max, fmt_count(vol, sizeof(vol), v->c.sw_vol),
		fmt_count(inv, sizeof(inv), v->c.sw_invol));
	if (v->nwb) {
		put_name(f, ST_TEXT, v->wb[0].comm, sizeof(v->wb[0].comm), v->wb[0].pid, false);
		fprintf(f, " %s%s", fmt_ns(h, sizeof(h), v->wb[0].ns), own_thread(v, 0) ? " (own thread)" : "");
	} else {
		fputc('-', f);
	}
	fputc('\n', f);
}

static void t_mem_row(FILE *f, const struct pview *v)
{
	char fl[16], mm[16], mu[16], brk[16], heap[16], anon[16], s[16], e[16], pk[16];

	rss_strs(v, s, e, pk, sizeof(s));
	fprintf(f, "  %7u ", v->p->pid);
	text_cell(f, v->p->comm, sizeof(v->p->comm), 15);
	fprintf(f, " %7s %7s %7s %7s %7s %8s %9s %8s %8s\n", fmt_count(fl, sizeof(fl), v->c.page_faults),
		fmt_bytes(mm, sizeof(mm), v->c.mmap_bytes), fmt_bytes(mu, sizeof(mu), v->c.munmap_bytes),
		fmt_bytes(brk, sizeof(brk), v->c.brk_grow_bytes), fmt_bytes(heap, sizeof(heap), v->p->mem.heap_bytes),
		fmt_bytes(anon, sizeof(anon), v->p->mem.anon_live_bytes), s, e, pk);
}

static void t_role(FILE *f, const struct report_view *c, unsigned role)
{
	size_t first, n, shown = role_rows(c, role, &first, &n);
	struct role_sum s = role_sum(c, first, n);
	char rss[16], w[16];

	if (!n) {
		fprintf(f, "\n%s: no process\n", role_name(role));
		return;
	}
	fprintf(f, "\n%s: %zu process%s", role_name(role), n, n == 1 ? "" : "es");
	if (shown < n)
		fprintf(f, " (%zu busiest shown; all in --format json)", shown);
	fprintf(f, ", CPU %.1f%%, run-queue wait %s, RSS %s\n", s.cpu_pct, fmt_ns(w, sizeof(w), s.wait_ns),
		fmt_bytes(rss, sizeof(rss), s.rss));
	fprintf(f, "  %7s %-15s %-7s %6s %6s %7s %7s %7s %7s %7s  %s\n", "PID", "COMM", "STATE", "CPU%", "WAIT%",
		"RQ-P50", "RQ-P99", "RQ-MAX", "SW-VOL", "SW-INV", "MOST WAITED BEHIND");
	for (size_t i = first; i < first + shown; i++)
		t_cpu_row(f, &c->pv[i]);
	fprintf(f, "  %7s %-15s %7s %7s %7s %7s %7s %8s %9s %8s %8s\n", "PID", "COMM", "FAULTS", "MMAP", "MUNMAP",
		"BRK+", "HEAP", "ANON-MAP", "RSS-START", "RSS-END", "RSS-PEAK");
	for (size_t i = first; i < first + shown; i++)
		t_mem_row(f, &c->pv[i]);
}

static void t_events(FILE *f, const struct report_view *c)
{
	const struct agg_drops *d = &c->h->drops;
	unsigned shown = 0;

	fprintf(f, "\nevents: %llu in %.2f s (%.0f/s), lost %llu", (unsigned long long)ev_total(c), c->span_s,
		ev_rate(c), (unsigned long long)ev_lost(c));
	if (c->h->tot.bad_records)
		fprintf(f, ", malformed %llu", (unsigned long long)c->h->tot.bad_records);
	fputc('\n', f);
	for (unsigned t = 1; t < EV_TYPE_MAX; t++) {
		__u64 n = ev_by_type(c, t);
		if (!n)
			continue;
		fprintf(f, "%s%s %llu", shown++ ? ", " : "  ", ev_type_name(t), (unsigned long long)n);
	}
	if (shown)
		fputc('\n', f);
	if (c->m->self) {
		const struct report_self *s = c->m->self;
		fprintf(f, "  vigil itself: %.2f s CPU (%.2f%%), ring buffer produced %llu, received %llu, lost %llu\n",
			s->cpu_s, self_cpu_pct(c, s), s->produced, s->received, s->lost);
	}
	const struct {
		const char *name;
		__u64 v;
	} lim[] = {
		{"processes over the limit", d->procs}, {"threads over the limit", d->threads},
		{"exited processes folded early", d->exited_folded}, {"holder names overwritten", d->names},
		{"CPUs beyond the limit", d->cpus}, {"unexpected switches (lost or unstreamed)", d->sched_mismatch},
		{"CPU holders folded", d->wb_evicted}, {"anonymous mappings not tracked", d->anon_untracked},
		{"site samples dropped (stack table full)", d->site_samples},
	};
	shown = 0;
	for (size_t i = 0; i < sizeof(lim) / sizeof(lim[0]); i++) {
		if (!lim[i].v)
			continue;
		fprintf(f, "%s%s %llu", shown++ ? ", " : "  model limits: ", lim[i].name, (unsigned long long)lim[i].v);
	}
	if (shown)
		fputc('\n', f);
}

static void t_report(FILE *f, const struct report_view *c)
{
	t_header(f, c);
	t_findings(f, c, "FINDINGS", true);
	for (size_t r = 0; r < sizeof(role_order) / sizeof(role_order[0]); r++)
		t_role(f, c, role_order[r]);
	late_targets(f, c, "note: ", "");
	t_events(f, c);
}


static int text_report(FILE *f, const struct report_view *c)
{
	t_report(f, c);
	return 0;
}

void report_findings_text(FILE *f, const struct report *r, const char *title)
{
	static const struct report_meta none;
	struct report_meta m = r->meta ? *r->meta : none;
	struct report_view c;

	if (!ctx_init(&c, r, &m))
		t_findings(f, &c, title ? title : "FINDINGS", false);
	ctx_free(&c);
}


const struct sink_ops sink_report_text = {
	.name = "text",
	.use = SINK_REPORT,
	.report = text_report,
};
