// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The JSON report (the contract: every key in docs/report.md), also the
 * line of `live --format json` (sink_json.c). */
#include "report_view.h"

#include <string.h>
#include <sys/wait.h>

#include "decode.h"
#include "evidence.h"
#include "hist.h"
#include "json.h"
#include "ksources.h"
#include "roles.h"
#include "site_evidence.h"
#include "sites.h"
#include "sink.h"
#include "targets.h"

/* "key": { ... } on one line; closed with json_end() */
static void j_inline_obj(struct json *j, const char *key)
{
	json_key(j, key);
	json_obj_inline(j);
}

static void j_hist_us(struct json *j, const char *key, const struct hist *h)
{
	j_inline_obj(j, key);
	json_kv_u64(j, "count", hist_count(h));
	json_kv_num(j, "p50", ns_to_us(hist_percentile(h, 50)));
	json_kv_num(j, "p90", ns_to_us(hist_percentile(h, 90)));
	json_kv_num(j, "p99", ns_to_us(hist_percentile(h, 99)));
	json_kv_num(j, "max", ns_to_us(hist_max(h)));
	json_kv_num(j, "min", ns_to_us(hist_min(h)));
	json_kv_num(j, "mean", rnd(hist_mean(h) / 1e3, 3));
	json_end(j);
}

static void j_calls(struct json *j, const char *key, __u64 calls, const char *bkey, __u64 bytes)
{
	j_inline_obj(j, key);
	json_kv_u64(j, "calls", calls);
	json_kv_u64(j, bkey, bytes);
	json_end(j);
}

static void j_holder(struct json *j, __u32 pid, const char *comm, __u64 ns)
{
	json_obj_inline(j);
	json_kv_u64(j, "pid", pid);
	json_kv_strn(j, "comm", comm, VIGIL_COMM_LEN);
	json_kv_u64(j, "ns", ns);
	json_end(j);
}

static void j_cpu(struct json *j, const struct report_view *c, const struct pview *v)
{
	const struct agg_proc *p = v->p;

	json_kv_obj(j, "cpu");
	json_kv_u64(j, "on_cpu_ns", v->c.on_cpu_ns);
	json_kv_num(j, "cpu_pct", rnd(v->cpu_pct, 2));
	json_kv_u64(j, "runq_wait_ns", v->c.runq_wait_ns);
	json_kv_num(j, "wait_share", rnd(v->wait_share, 4));
	j_hist_us(j, "runq_latency_us", v->runq);
	if (!c->m->interval) {
		/* the split exists over the whole trace only */
		j_hist_us(j, "runq_latency_wakeup_us", &p->runq_wakeup);
		j_hist_us(j, "runq_latency_preempt_us", &p->runq_preempt);
	}
	j_inline_obj(j, "switches");
	json_kv_u64(j, "voluntary", v->c.sw_vol);
	json_kv_u64(j, "involuntary", v->c.sw_invol);
	json_end(j);
	json_kv_arr(j, "waited_behind");
	for (unsigned i = 0; i < v->nwb; i++)
		j_holder(j, v->wb[i].pid, v->wb[i].comm, v->wb[i].ns);
	json_end(j);
	json_kv_u64(j, "waited_behind_other_ns", v->c.runq_other_ns);
	json_kv_u64(j, "waited_idle_ns", v->c.runq_idle_ns);
	json_end(j);
}

static void j_rss_series(struct json *j, const struct report_view *c, const struct agg_rss_series *s)
{
	json_kv_obj(j, "rss_series");
	json_kv_num(j, "step_s", rnd(s->step_ns / 1e9, 3));
	json_kv_arr(j, "points"); /* [t_s, min, max, last] */
	for (unsigned i = 0; s->pts && i < s->n; i++) {
		json_arr_inline(j);
		json_num(j, rnd(rel_s(c, s->pts[i].ts), 3));
		json_u64(j, s->pts[i].min);
		json_u64(j, s->pts[i].max);
		json_u64(j, s->pts[i].last);
		json_end(j);
	}
	json_end(j);
	json_end(j);
}

/* The detector's evidence fields (evidence.h) as JSON members */
struct jev {
	struct json *j;
	const struct report_view *c;
};
static struct evidence_fields jev_fields(struct jev *e);

static void j_mem(struct json *j, const struct report_view *c, const struct pview *v)
{
	const struct agg_counters *k = &v->c;
	const struct agg_mem *m = &v->p->mem;

	json_kv_obj(j, "mem");
	json_kv_u64(j, "page_faults", k->page_faults);
	json_kv_u64(j, "major_faults", k->major_faults);
	j_inline_obj(j, "mmap");
	json_kv_u64(j, "calls", k->mmap_calls);
	json_kv_u64(j, "bytes", k->mmap_bytes);
	json_kv_u64(j, "anon_bytes", k->mmap_anon_bytes);
	json_end(j);
	j_calls(j, "munmap", k->munmap_calls, "bytes", k->munmap_bytes);
	json_kv_obj(j, "brk");
	json_kv_u64(j, "calls", k->brk_calls);
	json_kv_u64(j, "growth_bytes", k->brk_grow_bytes);
	json_kv_u64(j, "shrink_bytes", k->brk_shrink_bytes);
	json_kv_u64(j, "heap_bytes", m->heap_bytes);
	json_kv_u64(j, "heap_peak_bytes", m->heap_peak_bytes);
	json_end(j);
	j_inline_obj(j, "mremap");
	json_kv_u64(j, "calls", k->mremap_calls);
	json_kv_u64(j, "grow_bytes", k->mremap_grow_bytes);
	json_kv_u64(j, "shrink_bytes", k->mremap_shrink_bytes);
	json_end(j);
	json_kv_obj(j, "madvise");
	j_calls(j, "dontneed", k->madv_dontneed_calls, "bytes", k->madv_dontneed_bytes);
	j_calls(j, "free", k->madv_free_calls, "bytes", k->madv_free_bytes);
	j_calls(j, "other", k->madv_other_calls, "bytes", k->madv_other_bytes);
	json_end(j);
	json_kv_u64(j, "failed_calls", k->failed_calls);
	json_kv_u64(j, "anon_mapped_bytes", m->anon_live_bytes);
	json_kv_bool(j, "rss_known", m->rss_first_ts != 0);
	if (sites_present(agg_sites(c->r->agg))) {
		struct jev e = {.j = j, .c = c};
		struct evidence_fields o = jev_fields(&e);
		struct finding_site top[10];
		__u64 total;
		size_t n = site_proc_top(v->p, top, 10, &total);

		site_evidence_fields(&o, "sites", top, n, total);
	}
	json_kv_u64(j, "rss_start_bytes", m->rss_start);
	json_kv_u64(j, "rss_end_bytes", m->rss);
	json_kv_u64(j, "rss_peak_bytes", m->rss_peak);
	if (m->rss_peak_ts)
		json_kv_num(j, "rss_peak_s", rnd(rel_s(c, m->rss_peak_ts), 3));
	else
		json_kv_null(j, "rss_peak_s");
	j_inline_obj(j, "rss_now");
	json_kv_u64(j, "anon_bytes", m->anon);
	json_kv_u64(j, "file_bytes", m->file);
	json_kv_u64(j, "shmem_bytes", m->shmem);
	json_kv_u64(j, "swap_bytes", m->swap);
	json_end(j);
	json_kv_u64(j, "rss_samples", k->rss_samples);
	if (!c->m->interval)
		j_rss_series(j, c, &v->p->rss);
	json_end(j);
}

static void j_proc(struct json *j, const struct report_view *c, const struct pview *v)
{
	const struct agg_proc *p = v->p;

	json_obj(j);
	json_kv_u64(j, "pid", p->pid);
	json_kv_u64(j, "ppid", p->ppid);
	json_kv_strn(j, "comm", p->comm, sizeof(p->comm));
	json_kv_strn(j, "cmdline", p->cmdline, sizeof(p->cmdline));
	json_kv_str(j, "role", role_name(p->role));
	json_kv_u64(j, "id", p->id);
	json_kv_u64(j, "threads", p->nthreads);
	/* process start: negative when it started before the trace; left
	 * out when the stream never said (no EV_PROC start time) */
	if (p->start_ns)
		json_kv_num(j, "start_s", rnd(((double)p->start_ns - (double)c->origin) / 1e9, 6));
	json_kv_num(j, "first_s", rnd(rel_s(c, p->first_ts), 6));
	/* a process that became a target mid-life: counted from then on */
	if (p->late)
		json_kv_num(j, "target_since_s", rnd(rel_s(c, p->target_since_ts), 6));
	json_kv_num(j, "last_s", rnd(rel_s(c, p->last_ts), 6));
	json_kv_bool(j, "exited", p->exited);
	if (p->exited) {
		int st = p->exit_code;
		json_kv_num(j, "exit_s", rnd(rel_s(c, p->exit_ts), 6));
		json_kv_i64(j, "exit_code", st); /* raw wait status */
		if (WIFSIGNALED(st))
			json_kv_i64(j, "exit_signal", WTERMSIG(st));
		else
			json_kv_i64(j, "exit_status", WEXITSTATUS(st));
	}
	j_cpu(j, c, v);
	j_mem(j, c, v);
	json_end(j);
}


static void jev_num(void *x, const char *key, double v, int digits)
{
	json_kv_num(((struct jev *)x)->j, key, rnd(v, digits));
}

static void jev_u64(void *x, const char *key, __u64 v)
{
	json_kv_u64(((struct jev *)x)->j, key, v);
}

static void jev_i64(void *x, const char *key, __s64 v)
{
	json_kv_i64(((struct jev *)x)->j, key, v);
}

static void jev_str(void *x, const char *key, const char *s, size_t maxlen)
{
	json_kv_strn(((struct jev *)x)->j, key, s, maxlen);
}

static void jev_time(void *x, const char *key, __u64 ts)
{
	struct jev *e = x;

	json_kv_num(e->j, key, rnd(rel_s(e->c, ts), 3));
}

static void jev_flag(void *x, const char *key, bool v)
{
	json_kv_bool(((struct jev *)x)->j, key, v);
}

static void jev_block(void *x)
{
	json_obj(((struct jev *)x)->j);
}

static void jev_list(void *x, const char *key)
{
	json_kv_arr(((struct jev *)x)->j, key);
}

static void jev_item(void *x)
{
	json_obj_inline(((struct jev *)x)->j);
}

static void jev_end(void *x)
{
	json_end(((struct jev *)x)->j);
}

/* evidence writer (evidence.h) over the report's JSON */
static struct evidence_fields jev_fields(struct jev *e)
{
	return (struct evidence_fields){.ctx = e, .sites = agg_sites(e->c->r->agg), .num = jev_num, .u64 = jev_u64,
					.i64 = jev_i64, .str = jev_str, .flag = jev_flag, .time = jev_time,
					.list = jev_list, .item = jev_item, .block = jev_block, .end = jev_end};
}

static void j_evidence(struct json *j, const struct report_view *c, const struct finding *f)
{
	struct jev e = {.j = j, .c = c};
	struct evidence_fields o = jev_fields(&e);

	json_kv_obj(j, "evidence");
	finding_evidence_fields(f, &o);
	json_end(j);
}

static void j_finding(struct json *j, const struct report_view *c, const struct finding *f)
{
	json_obj(j);
	json_kv_str(j, "kind", finding_kind_name(f->kind));
	json_kv_u64(j, "pid", f->pid);
	json_kv_strn(j, "comm", f->comm, sizeof(f->comm));
	json_kv_str(j, "role", role_name(f->role));
	json_kv_str(j, "scope", f->pid ? "process" : "host");
	json_kv_str(j, "severity", finding_severity_name(f->severity));
	json_kv_num(j, "since_s", rnd(rel_s(c, f->since_ts), 3));
	json_kv_num(j, "raised_s", rnd(rel_s(c, f->raised_ts), 3));
	json_kv_num(j, "last_s", rnd(rel_s(c, f->last_ts), 3));
	json_kv_bool(j, "active", f->active);
	json_kv_num(j, "confidence", rnd(f->confidence, 3));
	json_kv_strn(j, "summary", f->summary, sizeof(f->summary));
	json_kv_str(j, "hint", finding_hint(f));
	j_evidence(j, c, f);
	json_end(j);
}

/* only the active sources: what was missing is what the list lacks */
static void j_source(const char *name, int active, void *j)
{
	if (active)
		json_str(j, name);
}

static void j_host(struct json *j, const struct report_view *c)
{
	json_kv_obj(j, "host");
	json_kv_str(j, "kernel", str0(c->m->kernel));
	json_kv_str(j, "arch", str0(c->m->arch));
	json_kv_u64(j, "ncpus", host_ncpus(c));
	json_kv_str(j, "hostname", str0(c->m->hostname));
	json_kv_u64(j, "page_size", c->m->page_size);
	if (c->m->pf_source)
		json_kv_str(j, "page_fault_source", c->m->pf_source);
	if (c->m->sources) {
		json_kv_arr(j, "sources");
		ksources_each(c->m->sources, j_source, j);
		json_end(j);
	}
	json_kv_num(j, "runnable_avg", rnd(agg_runnable_avg(c->r->agg, c->m->interval), 3));
	json_end(j);
}

static void j_events(struct json *j, const struct report_view *c)
{
	json_kv_obj(j, "events");
	json_kv_u64(j, "total", ev_total(c));
	json_kv_u64(j, "lost", ev_lost(c));
	json_kv_obj(j, "by_type");
	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		if (ev_type_stored(t) && (t < EV_SITE_FRAME || sites_present(agg_sites(c->r->agg))))
			json_kv_u64(j, ev_type_name(t), ev_by_type(c, t));
	json_end(j);
	json_kv_u64(j, "bad_records", c->h->tot.bad_records);
	json_kv_num(j, "per_s", rnd(ev_rate(c), 1));
	json_end(j);
}

static void j_drops(struct json *j, const struct report_view *c, const struct agg_drops *d)
{
	json_kv_obj(j, "drops");
	json_kv_u64(j, "procs", d->procs);
	json_kv_u64(j, "threads", d->threads);
	json_kv_u64(j, "exited_folded", d->exited_folded);
	json_kv_u64(j, "names", d->names);
	json_kv_u64(j, "cpus", d->cpus);
	json_kv_u64(j, "sched_mismatch", d->sched_mismatch);
	json_kv_u64(j, "wb_evicted", d->wb_evicted);
	json_kv_u64(j, "anon_untracked", d->anon_untracked);
	json_kv_u64(j, "rss_downsample", d->rss_downsample);
	if (sites_present(agg_sites(c->r->agg)))
		json_kv_u64(j, "site_samples", d->site_samples);
	json_end(j);
}

static void j_dump(struct json *j, const struct report_dump *d)
{
	json_kv_obj(j, "dump");
	json_kv_str(j, "path", str0(d->path));
	json_kv_bool(j, "complete", d->complete);
	if (d->complete) {
		json_kv_null(j, "error");
		json_kv_null(j, "offset");
	} else {
		json_kv_str(j, "error", dump_error(d));
		json_kv_u64(j, "offset", d->offset);
	}
	json_kv_u64(j, "chunks", d->chunks);
	json_kv_u64(j, "events", d->events);
	json_end(j);
}

static void j_self(struct json *j, const struct report_view *c, const struct report_self *s)
{
	json_kv_obj(j, "vigil");
	json_kv_u64(j, "produced", s->produced);
	json_kv_u64(j, "received", s->received);
	json_kv_u64(j, "lost", s->lost);
	json_kv_u64(j, "pending", s->pending);
	json_kv_u64(j, "malformed", s->malformed);
	json_kv_num(j, "cpu_s", rnd(s->cpu_s, 4));
	json_kv_num(j, "cpu_pct", rnd(self_cpu_pct(c, s), 3));
	json_kv_u64(j, "max_rss_bytes", s->max_rss_bytes);
	if (s->bpf_cpu_pct >= 0) {
		json_kv_num(j, "bpf_cpu_pct", rnd(s->bpf_cpu_pct, 3));
		json_kv_num(j, "bpf_ns_per_run", rnd(s->bpf_ns_per_run, 1));
	}
	json_end(j);
}

/* processes agg_reap() folded away: what they added, per role */
static void j_folded(struct json *j, const struct report_view *c)
{
	json_kv_obj(j, "exited_folded");
	for (unsigned r = 0; r < ROLE_COUNT; r++) {
		const struct agg_role_total *t = &c->h->exited[r];
		if (!t->procs)
			continue;
		json_kv_obj(j, role_name(r));
		json_kv_u64(j, "processes", t->procs);
		json_kv_u64(j, "on_cpu_ns", t->c.on_cpu_ns);
		json_kv_u64(j, "runq_wait_ns", t->c.runq_wait_ns);
		json_kv_u64(j, "voluntary", t->c.sw_vol);
		json_kv_u64(j, "involuntary", t->c.sw_invol);
		json_kv_u64(j, "page_faults", t->c.page_faults);
		json_kv_u64(j, "mmap_bytes", t->c.mmap_bytes);
		json_kv_u64(j, "munmap_bytes", t->c.munmap_bytes);
		json_kv_u64(j, "brk_growth_bytes", t->c.brk_grow_bytes);
		json_end(j);
	}
	json_end(j);
}

static void j_report(struct json *j, const struct report_view *c)
{
	char wall[48];

	json_obj(j);
	json_kv_u64(j, "vigil_report", 1);
	json_kv_str(j, "span", c->m->interval ? "interval" : "trace");
	if (c->m->live_line)
		json_kv_bool(j, "final", c->m->final);
	json_kv_num(j, "duration_s", rnd(c->span_s, 6));
	if (c->m->interval)
		json_kv_num(j, "elapsed_s", rnd(c->m->elapsed_s, 3));
	json_kv_str(j, "method", METHOD);
	json_kv_obj(j, "start");
	json_kv_u64(j, "mono_ns", c->origin);
	if (wall_str(c, wall, sizeof(wall), true))
		json_kv_str(j, "wall", wall);
	else
		json_kv_null(j, "wall");
	json_end(j);
	j_host(j, c);
	j_events(j, c);
	if (c->m->dump)
		j_dump(j, c->m->dump);
	if (c->m->self)
		j_self(j, c, c->m->self);
	j_drops(j, c, &c->h->drops);
	json_kv_arr(j, "processes");
	for (size_t i = 0; i < c->npv; i++)
		j_proc(j, c, &c->pv[i]);
	json_end(j);
	j_folded(j, c);
	json_kv_arr(j, "findings");
	for (size_t i = 0; i < c->nfs; i++)
		j_finding(j, c, c->fs[i]);
	json_end(j);
	json_kv_u64(j, "findings_dropped", c->r->findings_dropped);
	json_end(j);
}


static int json_report(FILE *f, const struct report_view *c)
{
	struct json j;

	json_init(&j, f, c->m->one_line ? 0 : 2);
	j_report(&j, c);
	return json_finish(&j);
}

const struct sink_ops sink_report_json = {
	.name = "json",
	.use = SINK_REPORT,
	.report = json_report,
};

int report_findings_json(FILE *f, const struct report *r)
{
	static const struct report_meta none;
	struct report_meta m = r->meta ? *r->meta : none;
	struct report_view c;
	struct json j;
	int rc;

	if (ctx_init(&c, r, &m)) {
		ctx_free(&c);
		return -1;
	}
	json_init(&j, f, 2);
	json_obj(&j);
	json_kv_arr(&j, "findings");
	for (size_t i = 0; i < c.nfs; i++)
		j_finding(&j, &c, c.fs[i]);
	json_end(&j);
	json_kv_u64(&j, "findings_dropped", r->findings_dropped);
	json_end(&j);
	rc = json_finish(&j);
	ctx_free(&c);
	return fflush(f) || ferror(f) ? -1 : rc;
}
