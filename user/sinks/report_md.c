// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Markdown report, for incident write-ups. */
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

static void md_header(FILE *f, const struct report_view *c)
{
	const struct report_meta *m = c->m;
	char wall[48];

	fputs("## vigil report", f);
	if (m->title) {
		fputs(": ", f);
		md_code(f, m->title, strlen(m->title), 400, false);
	}
	fputs("\n\n", f);
	fprintf(f, "**Method:** %s (scheduler: `sched_switch`, `sched_wakeup`; memory: page-fault tracepoint "
		   "or perf event, `kmem:rss_stat`, exits of `mmap`/`munmap`/`mremap`/`madvise`/`brk`). "
		   "Every number below comes from kernel events, not from sampling `top`, `ps` or `/proc`.\n\n",
		METHOD);
	fputs("| Host | Kernel | Arch | CPUs | Start | Duration | Events | Lost events |\n", f);
	fputs("|:--|:--|:--|--:|:--|--:|--:|--:|\n", f);
	fputs("| ", f);
	md_text(f, str0(m->hostname), 64);
	fputs(" | ", f);
	md_text(f, str0(m->kernel), 64);
	fputs(" | ", f);
	md_text(f, str0(m->arch), 16);
	fprintf(f, " | %u | %s | %.2f s | %llu | %llu |\n\n", host_ncpus(c),
		wall_str(c, wall, sizeof(wall), false) ? wall : "-", c->span_s, (unsigned long long)ev_total(c),
		(unsigned long long)ev_lost(c));
	if (ev_lost(c))
		fprintf(f, "> **Note:** the kernel could not queue %llu events (ring buffer full); counts that "
			   "depend on them are low by at most that much.\n\n", (unsigned long long)ev_lost(c));
	if (m->dump && !m->dump->complete) {
		fprintf(f, "> **Warning:** the recording is damaged or was cut short at byte offset %llu (", m->dump->offset);
		md_text(f, dump_error(m->dump), 256);
		fprintf(f, "); this report covers the %llu events before that point.\n\n", m->dump->events);
	}
}

static void md_findings(FILE *f, const struct report_view *c)
{
	fputs("### Findings\n\n", f);
	if (!c->nfs) {
		fputs("No leak, retention or contention was found.\n\n", f);
		return;
	}
	fputs("| # | Severity | Kind | Process | Role | Since | Summary |\n", f);
	fputs("|--:|:--|:--|:--|:--|--:|:--|\n", f);
	for (size_t i = 0; i < c->nfs; i++) {
		const struct finding *fd = c->fs[i];
		fprintf(f, "| %zu | **%s** | %s | ", i + 1, sev_label(fd), finding_kind_name(fd->kind));
		if (fd->pid)
			put_name(f, ST_MD, fd->comm, sizeof(fd->comm), fd->pid, true);
		else
			fputs("whole host", f);
		fprintf(f, " | %s | +%.1f s | ", fd->pid ? role_name(fd->role) : "-", rel_s(c, fd->since_ts));
		md_text(f, fd->summary, sizeof(fd->summary));
		fputs(" |\n", f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < c->nfs; i++) {
		const struct finding *fd = c->fs[i];
		struct items it = {.f = f, .st = ST_MD, .sites = agg_sites(c->r->agg)};

		fprintf(f, "**%zu. %s", i + 1, finding_kind_name(fd->kind));
		fputs(" — ", f);
		if (fd->pid) {
			md_code(f, fd->comm, sizeof(fd->comm), VIGIL_COMM_LEN, false);
			fprintf(f, ", pid %u, %s", fd->pid, role_name(fd->role));
		} else {
			fputs("whole host", f);
		}
		fprintf(f, "** (since +%.1f s%s)\n\n", rel_s(c, fd->since_ts), fd->active ? "" : ", no longer seen at the end");
		finding_items(&it, fd);
		fputc('\n', f);
	}
}

static void md_role(FILE *f, const struct report_view *c, unsigned role)
{
	size_t first, n, shown = role_rows(c, role, &first, &n);
	struct role_sum s = role_sum(c, first, n);
	char a[16], b[16], x[16], y[16], z[16], st[16];

	if (!n)
		return; /* md_roles() names the empty roles once */
	fprintf(f, "### Role %s\n\n", role_name(role));
	fprintf(f, "%zu process%s", n, n == 1 ? "" : "es");
	if (shown < n)
		fprintf(f, " (the %zu busiest are shown; the JSON report lists all)", shown);
	fprintf(f, "; together %.1f %% CPU, %s run-queue wait, %s resident at the end.\n\n", s.cpu_pct,
		fmt_ns(a, sizeof(a), s.wait_ns), fmt_bytes(b, sizeof(b), s.rss));

	fputs("| PID | Process | Command | State | CPU % | Run-queue wait | RQ p50 | RQ p99 | RQ max | "
	      "Switches vol / invol | Waited behind |\n", f);
	fputs("|--:|:--|:--|:--|--:|--:|--:|--:|--:|--:|:--|\n", f);
	for (size_t i = first; i < first + shown; i++) {
		const struct pview *v = &c->pv[i];
		fprintf(f, "| %u | ", v->p->pid);
		md_code(f, v->p->comm, sizeof(v->p->comm), VIGIL_COMM_LEN, true);
		fputs(" | ", f);
		md_code(f, v->p->cmdline, sizeof(v->p->cmdline), 80, true);
		rq_strs(v, x, y, z, sizeof(x));
		fprintf(f, " | %s | %.1f | %s (%.0f %%) | %s | %s | %s | %llu / %llu | ", state_str(st, sizeof(st), v->p),
			v->cpu_pct, fmt_ns(a, sizeof(a), v->c.runq_wait_ns), 100 * v->wait_share, x, y, z,
			(unsigned long long)v->c.sw_vol, (unsigned long long)v->c.sw_invol);
		for (unsigned w = 0; w < v->nwb && w < 3; w++) {
			if (w)
				fputs(", ", f);
			put_name(f, ST_MD, v->wb[w].comm, sizeof(v->wb[w].comm), v->wb[w].pid, true);
			fprintf(f, " %s%s", fmt_ns(a, sizeof(a), v->wb[w].ns), own_thread(v, w) ? " (own thread)" : "");
		}
		fputs(v->nwb ? " |\n" : "- |\n", f);
	}
	fputc('\n', f);
	fputs("| PID | Process | Page faults | mmap | munmap | brk growth | Heap | Anon mapped | RSS start | RSS end | "
	      "RSS peak |\n", f);
	fputs("|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", f);
	for (size_t i = first; i < first + shown; i++) {
		const struct pview *v = &c->pv[i];
		char m1[16], m2[16], br[16], hp[16], an[16];
		rss_strs(v, x, y, z, sizeof(x));
		fprintf(f, "| %u | ", v->p->pid);
		md_code(f, v->p->comm, sizeof(v->p->comm), VIGIL_COMM_LEN, true);
		fprintf(f, " | %llu | %s (%llu) | %s (%llu) | %s | %s | %s | %s | %s | %s |\n",
			(unsigned long long)v->c.page_faults, fmt_bytes(m1, sizeof(m1), v->c.mmap_bytes),
			(unsigned long long)v->c.mmap_calls, fmt_bytes(m2, sizeof(m2), v->c.munmap_bytes),
			(unsigned long long)v->c.munmap_calls, fmt_bytes(br, sizeof(br), v->c.brk_grow_bytes),
			fmt_bytes(hp, sizeof(hp), v->p->mem.heap_bytes), fmt_bytes(an, sizeof(an), v->p->mem.anon_live_bytes),
			x, y, z);
	}
	fputc('\n', f);
}

/* per-role sections; the roles without any process in one sentence */
static void md_roles(FILE *f, const struct report_view *c)
{
	size_t first, n, empty = 0, nroles = sizeof(role_order) / sizeof(role_order[0]);

	for (size_t r = 0; r < nroles; r++) {
		role_rows(c, role_order[r], &first, &n);
		if (n) {
			md_role(f, c, role_order[r]);
			continue;
		}
		fputs(empty++ ? ", " : "No process of role ", f);
		fputs(role_name(role_order[r]), f);
	}
	if (empty)
		fputs(" was traced.\n\n", f);
}

static void md_events(FILE *f, const struct report_view *c)
{
	const struct agg_drops *d = &c->h->drops;

	fputs("### Events\n\n| Type | Count |\n|:--|--:|\n", f);
	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		if (ev_by_type(c, t))
			fprintf(f, "| %s | %llu |\n", ev_type_name(t), (unsigned long long)ev_by_type(c, t));
	fprintf(f, "| **total** | **%llu** |\n| events the kernel lost | %llu |\n\n", (unsigned long long)ev_total(c),
		(unsigned long long)ev_lost(c));
	if (d->procs || d->threads || d->exited_folded || d->cpus || d->sched_mismatch || d->wb_evicted)
		fprintf(f, "Model limits hit: processes %llu, threads %llu, exited folded early %llu, CPUs %llu, "
			   "unexpected switches %llu, CPU holders folded %llu (see the JSON `drops`).\n\n",
			(unsigned long long)d->procs, (unsigned long long)d->threads,
			(unsigned long long)d->exited_folded, (unsigned long long)d->cpus,
			(unsigned long long)d->sched_mismatch, (unsigned long long)d->wb_evicted);
	if (c->m->self)
		fprintf(f, "vigil itself used %.2f s of CPU (%.2f %% of the span); ring buffer produced %llu, "
			   "received %llu, lost %llu.\n\n", c->m->self->cpu_s,
			self_cpu_pct(c, c->m->self), c->m->self->produced,
			c->m->self->received, c->m->self->lost);
}

static void md_report(FILE *f, const struct report_view *c)
{
	md_header(f, c);
	md_findings(f, c);
	md_roles(f, c);
	late_targets(f, c, "- Note: ", "\n");
	md_events(f, c);
}


static int md_report_write(FILE *f, const struct report_view *c)
{
	md_report(f, c);
	return 0;
}

const struct sink_ops sink_report_md = {
	.name = "md",
	.use = SINK_REPORT,
	.report = md_report_write,
};
