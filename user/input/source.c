// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "source.h"
#include "clock.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "decode.h"
#include "feature.h"
#include "kconfig.h"
#include "ksources.h"
#include "vigil.skel.h"
#include "bpfcost.h"
#include "site_sampler.h"

struct source {
	struct vigil_bpf *skel;
	struct ring_buffer *rb;
	struct source_opts o;
	int pf_source;
	int ncpus;
	int *pf_fds;
	struct bpf_link **pf_links;
	unsigned long long *lost_seen; /* per CPU, already reported */
	struct vigil_stats *stats_buf;  /* per CPU, read at every drain */
	struct source_counts counts;
	int *prog_fds; /* every loaded program, for their run-time statistics */
	struct bpfcost *cost;
	int site_fd;                /* site_sample, whose cost per run is reported apart */
	struct bpfcost *site_cost;  /* on the same schedule as cost: the same windows */
	bool stopped;
	char warnings[2048];
	unsigned ksources; /* KSRC_*: what was attached */
	struct site_sampler *sites;
};

/* libbpf's own chatter only with -v; its warnings (which carry the
 * verifier log of a rejected program) always. */
static bool libbpf_verbose;
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || (!libbpf_verbose && level == LIBBPF_INFO))
		return 0;
	return vfprintf(stderr, fmt, args);
}

static void warn(struct source *s, const char *fmt, ...)
{
	size_t used = strlen(s->warnings);
	va_list ap;

	if (used + 2 >= sizeof(s->warnings))
		return;
	va_start(ap, fmt);
	vsnprintf(s->warnings + used, sizeof(s->warnings) - used - 1, fmt, ap);
	va_end(ap);
	strcat(s->warnings, "\n");
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct source *s = ctx;
	size_t rec_size;

	if (size >= sizeof(struct ev_hdr) && ((const struct ev_hdr *)data)->type == EV_SITE_RAW) {
		if (ev_check_site_raw(data, size) != EV_OK) {
			s->counts.malformed++;
			return 0;
		}
		s->counts.received++;
		s->o.cb(s->o.cb_ctx, data);
		return 0;
	}
	if (ev_check(data, size, &rec_size) != EV_OK) {
		s->counts.malformed++;
		return 0;
	}
	s->counts.received++;
	s->o.cb(s->o.cb_ctx, data);
	return 0;
}

/* Each CPU's reserve failures become one EV_LOST record per drain. */
static void report_lost(struct source *s)
{
	struct vigil_stats *per_cpu = s->stats_buf;
	__u32 zero = 0;
	unsigned long long produced = 0, lost = 0, taken = 0, skipped = 0, ts = clock_mono_ns();

	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.stats), &zero, per_cpu) == 0) {
		for (int cpu = 0; cpu < s->ncpus; cpu++) {
			produced += per_cpu[cpu].produced;
			lost += per_cpu[cpu].lost;
			taken += per_cpu[cpu].site_taken;
			skipped += per_cpu[cpu].site_skipped;
			if (per_cpu[cpu].lost > s->lost_seen[cpu]) {
				struct ev_lost e = {
					.h = {.type = EV_LOST, .size = sizeof(e), .cpu = cpu, .ts = ts},
					.count = per_cpu[cpu].lost - s->lost_seen[cpu],
				};
				s->lost_seen[cpu] = per_cpu[cpu].lost;
				s->o.cb(s->o.cb_ctx, &e.h);
			}
		}
		s->counts.produced = produced;
		s->counts.lost = lost;
		s->counts.site_taken = taken;
		s->counts.site_skipped = skipped;
		if (!s->stopped)
			site_sampler_tick(s->sites, taken + skipped, ts);
		s->counts.site_period = site_sampler_period(s->sites);
	}
}

int source_drain(struct source *s)
{
	int n = ring_buffer__consume(s->rb);

	report_lost(s);
	if (!s->stopped) {
		unsigned long long now = clock_mono_ns();

		bpfcost_tick(s->cost, now);
		bpfcost_tick(s->site_cost, now);
	}
	return n;
}

/* vigil's schedule: sampled, so that the statistics' own clock reads stay
 * off most of the time; both meters share it, so their windows coincide */
static struct bpfcost *cost_sampled(const int *fds, int n)
{
	return bpfcost_new_kernel(fds, n, BPFCOST_DELAY_S * 1000000000ULL, BPFCOST_WINDOW_S * 1000000000ULL,
				  BPFCOST_PERIOD_S * 1000000000ULL);
}

static void cost_init(struct source *s)
{
	struct bpf_program *p;
	int n = 0;

	bpf_object__for_each_program(p, s->skel->obj)
		n++;
	s->prog_fds = calloc(n ? n : 1, sizeof(*s->prog_fds));
	if (!s->prog_fds)
		return;
	n = 0;
	bpf_object__for_each_program(p, s->skel->obj)
		if (bpf_program__fd(p) >= 0)
			s->prog_fds[n++] = bpf_program__fd(p);
	s->cost = cost_sampled(s->prog_fds, n);
	s->site_fd = bpf_program__fd(s->skel->progs.site_sample);
	if (s->o.site_mode != SITE_MODE_OFF && s->site_fd >= 0)
		s->site_cost = cost_sampled(&s->site_fd, 1);
}

bool source_bpf_cost(const struct source *s, struct bpfcost_result *out, int *err)
{
	*err = s->cost ? bpfcost_error(s->cost) : -ENOMEM;
	return bpfcost_last(s->cost, out);
}

bool source_site_bpf_cost(const struct source *s, struct bpfcost_result *out)
{
	return s->site_cost && bpfcost_last(s->site_cost, out);
}

int source_fd(const struct source *s)
{
	return ring_buffer__epoll_fd(s->rb);
}

static int set_target(struct source *s, unsigned tgid, bool on)
{
	__u32 key = tgid;
	__u8 v = 1;
	int err;

	if (on)
		err = bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &key, &v, BPF_ANY);
	else
		err = bpf_map_delete_elem(bpf_map__fd(s->skel->maps.targets), &key);
	if (err && !(errno == ENOENT && !on))
		return -errno;
	/* tells the per-CPU caches in the kernel to look again */
	__atomic_add_fetch(&s->skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
	return 0;
}

int source_track(struct source *s, unsigned tgid) { return set_target(s, tgid, true); }

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL /* 6.9+: a pidfd for any thread, not only a leader */
#endif

/* Task storage is keyed by a pidfd from user space.  Before 6.9 only the
 * leader has one: the other threads of a multi-threaded process then keep
 * their base (at most their faults since the provisional spell). */
void source_fault_base_reset(struct source *s, unsigned tgid)
{
	int map = bpf_map__fd(s->skel->maps.flt_seen);
	char path[48];
	struct dirent *de;
	DIR *d;

	if (map < 0)
		return; /* no counters source, no per-thread base */

	snprintf(path, sizeof(path), "/proc/%u/task", tgid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		int tid = atoi(de->d_name), fd;

		if (tid <= 0)
			continue;
		fd = (int)syscall(SYS_pidfd_open, tid, PIDFD_THREAD);
		if (fd < 0 && (unsigned)tid == tgid)
			fd = (int)syscall(SYS_pidfd_open, tid, 0);
		if (fd < 0)
			continue;
		bpf_map_delete_elem(map, &fd);
		close(fd);
	}
	closedir(d);
}
int source_untrack(struct source *s, unsigned tgid) { return set_target(s, tgid, false); }

int source_untrack_inherited(struct source *s, unsigned tgid)
{
	int fd = bpf_map__fd(s->skel->maps.targets);
	__u32 key = tgid;
	__u8 v;

	if (bpf_map_lookup_elem(fd, &key, &v) || v != VIGIL_TRACK_INHERITED)
		return 0; /* gone, or it exec'd since: its exec record decides */
	/* an exec between a look-up and a delete would lose its provisional
	 * flag: take the entry and put back what is not ours to withdraw */
	if (bpf_map_lookup_and_delete_elem(fd, &key, &v)) {
		if (errno == ENOENT)
			return 0;
		/* no atomic take (before 5.14): the plain delete, a window of
		 * two system calls */
		v = VIGIL_TRACK_INHERITED;
		if (bpf_map_delete_elem(fd, &key) && errno != ENOENT)
			return -errno;
	}
	if (v != VIGIL_TRACK_INHERITED)
		bpf_map_update_elem(fd, &key, &v, BPF_NOEXIST);
	__atomic_add_fetch(&s->skel->bss->targets_gen, 1, __ATOMIC_SEQ_CST);
	return 0;
}

/* --- choosing programs ---------------------------------------------------- */

static void disable(struct bpf_program *p)
{
	bpf_program__set_autoload(p, false);
}

/* task:task_rename re-matches processes that name themselves after exec:
 * wanted only with pattern targets; without it they are found by the
 * periodic command-line rescan alone (session.c). */
static void choose_rename(struct source *s, const struct source_opts *o)
{
	if (!o->track_exec) {
		disable(s->skel->progs.task_rename);
	} else if (!feature_tracepoint("task", "task_rename")) {
		disable(s->skel->progs.task_rename);
		warn(s, "tracepoint task:task_rename missing: processes that rename themselves are "
			"matched by the periodic command-line rescan only (a few seconds late)");
	}
}

/* The BTF tracepoint btf_name where the kernel types it (NULL: not usable
 * here), else its plain twin cat:name, else neither, with a warning saying
 * what is lost. */
static void choose_twin(struct source *s, const char *btf_name, struct bpf_program *btf_prog, const char *cat,
			const char *name, struct bpf_program *plain_prog, const char *lost)
{
	if (btf_name && feature_tp_btf(btf_name)) {
		disable(plain_prog);
		return;
	}
	disable(btf_prog);
	if (!feature_tracepoint(cat, name)) {
		disable(plain_prog);
		warn(s, "tracepoint %s:%s missing (and no usable BTF one): %s", cat, name, lost);
	}
}

/* Prefer BTF tracepoints (typed arguments, no copy of the event), fall back
 * to the plain tracepoint, else warn and go without. */
static void choose_sched(struct source *s)
{
	struct vigil_bpf *k = s->skel;
	if (feature_sched_btf()) {
		disable(k->progs.sched_switch_tp);
		disable(k->progs.sched_wakeup_tp);
		disable(k->progs.sched_wakeup_new_tp);
	} else {
		k->rodata->sched_fallback = true;
		disable(k->progs.sched_switch_btf);
		disable(k->progs.sched_wakeup_btf);
		disable(k->progs.sched_wakeup_new_btf);
		warn(s, "BTF tracepoints for the scheduler not available: using plain tracepoints "
			"(CPU holders of untracked processes may show as pid 0)");
		if (!feature_tracepoint("sched", "sched_switch")) {
			disable(k->progs.sched_switch_tp);
			warn(s, "tracepoint sched:sched_switch missing: no CPU time or context switches");
		}
		if (!feature_tracepoint("sched", "sched_wakeup") ||
		    !feature_tracepoint("sched", "sched_wakeup_new")) {
			disable(k->progs.sched_wakeup_tp);
			disable(k->progs.sched_wakeup_new_tp);
			warn(s, "tracepoint sched:sched_wakeup missing: no run-queue latency after wakeups");
		}
	}
	if (!feature_tracepoint("sched", "sched_migrate_task")) {
		disable(k->progs.sched_migrate);
		warn(s, "tracepoint sched:sched_migrate_task missing: waits of migrated tasks charged to their first CPU");
	}
	/* fork and exec: the BTF tracepoint, else its plain twin */
	choose_twin(s, "sched_process_fork", k->progs.sched_fork, "task", "task_newtask", k->progs.task_newtask,
		    "children of targets are not followed");
	choose_twin(s, "sched_process_exec", k->progs.sched_exec, "sched", "sched_process_exec",
		    k->progs.sched_exec_tp, "new processes are not matched");
	if (!feature_tracepoint("sched", "sched_process_exit")) {
		disable(k->progs.sched_exit);
		warn(s, "tracepoint sched:sched_process_exit missing: process exits not seen");
	}
	/* the typed rss_stat reads current typed too */
	choose_twin(s, k->rodata->current_btf ? "rss_stat" : NULL, k->progs.rss_stat, "kmem", "rss_stat",
		    k->progs.rss_stat_tp, "no RSS time series");
}

/* The memory syscalls: their exits, and their entries where the exits
 * cannot read the arguments from the saved registers (brk: always, for the
 * break before the call). */
static void choose_syscalls(struct source *s)
{
#define PROG(n) offsetof(struct vigil_bpf, progs.n)
	static const struct {
		const char *name;
		size_t exit_off, enter_off;
		bool enter_always;
	} calls[] = {
		{"mmap", PROG(sys_exit_mmap), PROG(sys_enter_mmap), false},
		{"munmap", PROG(sys_exit_munmap), PROG(sys_enter_munmap), false},
		{"mremap", PROG(sys_exit_mremap), PROG(sys_enter_mremap), false},
		{"madvise", PROG(sys_exit_madvise), PROG(sys_enter_madvise), false},
		{"brk", PROG(sys_exit_brk), PROG(sys_enter_brk), true},
	};
#undef PROG
	bool regs = s->skel->rodata->sc_regs;
	char enter[64], exit_[64];

	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		bool with_enter = calls[i].enter_always || !regs;
		struct bpf_program *exit_prog = *(struct bpf_program **)((char *)s->skel + calls[i].exit_off);
		struct bpf_program *enter_prog = *(struct bpf_program **)((char *)s->skel + calls[i].enter_off);

		snprintf(enter, sizeof(enter), "sys_enter_%s", calls[i].name);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", calls[i].name);
		if (!with_enter)
			disable(enter_prog);
		if (feature_tracepoint("syscalls", exit_) && (!with_enter || feature_tracepoint("syscalls", enter)))
			continue;
		disable(exit_prog);
		disable(enter_prog);
		warn(s, "tracepoint syscalls:%s missing: no %s events",
		     feature_tracepoint("syscalls", exit_) ? enter : exit_, calls[i].name);
	}
}

/* What the kernel's BTF decides: typed task pointers, and where syscall
 * arguments come from.  Without kernel BTF, CO-RE needs the --btf file. */
static int choose_btf(struct source *s, char *msg, size_t msglen)
{
	struct vigil_bpf *k = s->skel;
	bool kbtf = feature_kernel_btf();

	if (!kbtf && !s->o.btf_path) {
		snprintf(msg, msglen, "this kernel has no BTF (/sys/kernel/btf/vmlinux): give vigil the kernel's "
			 "types with --btf FILE (docs/kernels.md says how to make one)");
		return -ENOTSUP;
	}
	if (kbtf)
		s->ksources |= KSRC_KERNEL_BTF;
	k->rodata->current_btf = feature_current_btf();
	k->rodata->sc_regs = k->rodata->current_btf && feature_task_pt_regs();
	if (!kbtf)
		warn(s, "no kernel BTF: types from %s; plain tracepoints only (no typed task pointers)", s->o.btf_path);
	else if (!k->rodata->current_btf)
		warn(s, "bpf_get_current_task_btf() not available (5.11+): current read untyped, RSS from kmem:rss_stat");
	if (kbtf && !k->rodata->sc_regs)
		warn(s, "bpf_task_pt_regs() not available: syscall arguments kept from their entries (one more program per call)");
	return 0;
}

static int choose_pf(struct source *s, char *msg, size_t msglen)
{
	struct vigil_bpf *k = s->skel;
	bool tp = feature_tracepoint("exceptions", "page_fault_user");
	bool tp_btf = tp && feature_tp_btf("page_fault_user");

	s->pf_source = s->o.pf_source ? s->o.pf_source : feature_default_pf_source();
	if (s->pf_source == PF_SRC_TRACEPOINT && !tp) {
		snprintf(msg, msglen, "--pf-source=tracepoint: exceptions:page_fault_user does not exist on this kernel");
		return -ENOTSUP;
	}
	const char *lacks = s->pf_source == PF_SRC_COUNTERS ? feature_fault_counters_missing() : NULL;
	if (lacks) {
		snprintf(msg, msglen, "--pf-source=counters: needs %s, which this kernel lacks (use tracepoint or perf)",
			 lacks);
		return -ENOTSUP;
	}
	k->rodata->fault_counters = s->pf_source == PF_SRC_COUNTERS;
	/* only the counters keep per-thread state (task storage, 5.11+): where
	 * they do not run the map is not made, and the code that would use it
	 * is dead to the verifier */
	if (!k->rodata->fault_counters)
		bpf_map__set_autocreate(k->maps.flt_seen, false);
	if (s->pf_source != PF_SRC_TRACEPOINT || !tp_btf)
		disable(k->progs.pf_tp_btf);
	if (s->pf_source != PF_SRC_TRACEPOINT || tp_btf)
		disable(k->progs.pf_tp);
	if (s->pf_source != PF_SRC_PERF)
		disable(k->progs.pf_perf);
	return 0;
}

static int attach_pf_perf(struct source *s, char *msg, size_t msglen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_PAGE_FAULTS,
		.sample_period = 1,
		/* user-mode faults only, as exceptions:page_fault_user counts */
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	int attached = 0;

	s->pf_fds = calloc(s->ncpus, sizeof(int));
	s->pf_links = calloc(s->ncpus, sizeof(*s->pf_links));
	if (!s->pf_fds || !s->pf_links)
		return -ENOMEM;
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		s->pf_fds[cpu] = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (s->pf_fds[cpu] < 0) {
			if (errno == ENODEV) /* CPU offline */
				continue;
			snprintf(msg, msglen, "perf_event_open(page-faults) on CPU %d: %s", cpu, strerror(errno));
			return -errno;
		}
		s->pf_links[cpu] = bpf_program__attach_perf_event(s->skel->progs.pf_perf, s->pf_fds[cpu]);
		if (!s->pf_links[cpu]) {
			int err = -errno;
			snprintf(msg, msglen, "attaching the page-fault program to CPU %d: %s", cpu, strerror(-err));
			return err;
		}
		attached++;
	}
	return attached ? 0 : -ENODEV;
}

static void detach_pf_perf(struct source *s)
{
	for (int cpu = 0; s->pf_links && cpu < s->ncpus; cpu++) {
		bpf_link__destroy(s->pf_links[cpu]);
		s->pf_links[cpu] = NULL;
	}
	for (int cpu = 0; s->pf_fds && cpu < s->ncpus; cpu++) {
		if (s->pf_fds[cpu] > 0)
			close(s->pf_fds[cpu]);
		s->pf_fds[cpu] = -1;
	}
}

unsigned source_ringbuf_kb(unsigned kb)
{
	unsigned page_kb = (unsigned)sysconf(_SC_PAGESIZE) / 1024, v = page_kb ? page_kb : 4;

	while (v < kb && v < SOURCE_RINGBUF_MAX_KB)
		v <<= 1;
	return v;
}

/* The coalescing window in jiffies, from the kernel's tick rate: the
 * longer of VIGIL_COALESCE_NS and one tick. */
static void set_coalescing_window(struct source *s)
{
	unsigned hz;
	char note[256];

	if (kconfig_hz(&hz, note, sizeof(note)))
		warn(s, "%s", note);
	else
		s->ksources |= KSRC_HZ_CONFIG;
	unsigned long long j = (unsigned long long)hz * VIGIL_COALESCE_NS / 1000000000ULL;
	s->skel->rodata->coalesce_j = j ? j : 1;
}

/* What the chosen programs give, for the dump header and the report. */
static unsigned chosen_sources(const struct source *s)
{
	const struct vigil_bpf *k = s->skel;
	const struct {
		const struct bpf_program *prog;
		unsigned bit;
	} progs[] = {
		{k->progs.sched_switch_btf, KSRC_SCHED_BTF}, {k->progs.sched_switch_tp, KSRC_SCHED_PLAIN},
		{k->progs.sched_wakeup_btf, KSRC_WAKEUP},    {k->progs.sched_wakeup_tp, KSRC_WAKEUP},
		{k->progs.sched_migrate, KSRC_MIGRATE},      {k->progs.rss_stat, KSRC_RSS_BTF},
		{k->progs.rss_stat_tp, KSRC_RSS_PLAIN},      {k->progs.sched_fork, KSRC_FORK_BTF},
		{k->progs.task_newtask, KSRC_FORK_NEWTASK},  {k->progs.sched_exec, KSRC_EXEC_BTF},
		{k->progs.sched_exec_tp, KSRC_EXEC_PLAIN},   {k->progs.sched_exit, KSRC_EXIT},
	};
	const struct bpf_program *syscalls[] = {k->progs.sys_exit_mmap, k->progs.sys_exit_munmap,
						k->progs.sys_exit_mremap, k->progs.sys_exit_madvise,
						k->progs.sys_exit_brk};
	unsigned bits = KSRC_RECORDED |
			(k->rodata->sc_regs ? 0 : KSRC_SC_ENTRIES) | KSRC_SYSCALLS;

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		if (bpf_program__autoload(progs[i].prog))
			bits |= progs[i].bit;
	for (size_t i = 0; i < sizeof(syscalls) / sizeof(syscalls[0]); i++)
		if (!bpf_program__autoload(syscalls[i]))
			bits &= ~KSRC_SYSCALLS;
	return bits;
}

unsigned source_ksources(const struct source *s) { return s->ksources; }

/* libbpf prints the verifier log at warning level when a program is
 * rejected, which is always shown: it is the only way to understand why. */
static int load_programs(struct source *s, char *msg, size_t msglen)
{
	int err = vigil_bpf__load(s->skel);

	/* the ring buffer is the one large map: out of memory is its doing,
	 * and there is no verifier log to point at */
	if (err == -ENOMEM || err == -E2BIG)
		snprintf(msg, msglen, "loading BPF programs failed: %s: the kernel could not allocate the "
			 "%u KiB ring buffer (--ringbuf-kb, [record] ringbuf_mb)", strerror(-err),
			 bpf_map__max_entries(s->skel->maps.rb) / 1024);
	else if (err)
		snprintf(msg, msglen, "loading BPF programs failed: %s (verifier log above)", strerror(-err));
	return err;
}

int source_open(struct source **out, const struct source_opts *o, char *msg, size_t msglen)
{
	struct source *s;
	const char *cap;
	int err;

	*out = NULL;
	if (!o->ringbuf_kb || source_ringbuf_kb(o->ringbuf_kb) != o->ringbuf_kb) {
		snprintf(msg, msglen, "ring buffer size %u KiB is not a power of two pages (source_ringbuf_kb)",
			 o->ringbuf_kb);
		return -EINVAL;
	}
	libbpf_verbose = o->verbose;
	libbpf_set_print(libbpf_print);
	cap = feature_missing_capability();
	if (cap) {
		snprintf(msg, msglen, "%s", cap);
		return -EPERM;
	}
	err = feature_ensure_tracefs();
	if (err) {
		snprintf(msg, msglen, "tracefs is not available and could not be mounted at /sys/kernel/tracing: %s",
			 strerror(-err));
		return -ENOTSUP;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->ncpus = libbpf_num_possible_cpus();
	if (s->ncpus <= 0) {
		free(s);
		return -EINVAL;
	}
	s->lost_seen = calloc(s->ncpus, sizeof(*s->lost_seen));
	s->stats_buf = calloc(s->ncpus, sizeof(*s->stats_buf));
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = o->btf_path);
	s->skel = vigil_bpf__open_opts(&open_opts);
	if (!s->skel || !s->lost_seen || !s->stats_buf) {
		err = -errno ? -errno : -ENOMEM;
		snprintf(msg, msglen, "opening the BPF object failed: %s", strerror(-err));
		goto fail;
	}

	/* configure before load: constants, map sizes, which programs */
	s->skel->rodata->track_all = o->track_all;
	s->skel->rodata->track_exec = o->track_exec;
	s->skel->rodata->self_tgid = getpid();
	s->skel->rodata->page_size = sysconf(_SC_PAGESIZE);
	set_coalescing_window(s);
	unsigned rb_kb = o->ringbuf_kb; /* rounded by the caller: what the dump header records */
	/* wake the consumer early enough that a burst cannot fill the buffer
	 * before the drain timer fires */
	s->skel->rodata->wake_bytes = (unsigned long long)rb_kb * 1024 / 4;
	bpf_map__set_max_entries(s->skel->maps.rb, rb_kb * 1024);
	bpf_map__set_max_entries(s->skel->maps.waiters, s->ncpus);

	err = choose_btf(s, msg, msglen);
	if (!err) {
		choose_sched(s);
		choose_rename(s, o);
		choose_syscalls(s);
		err = choose_pf(s, msg, msglen);
	}
	s->skel->rodata->site_mode = o->site_mode;
	s->skel->rodata->site_cap = site_sampler_cap(o->site_period, s->ncpus);
	if (o->site_mode == SITE_MODE_OFF)
		disable(s->skel->progs.site_sample);
	else if (!err && !s->skel->rodata->sc_regs)
		/* site_sample finds a kernel-mode fault's user registers
		 * through bpf_task_pt_regs (choose_btf probed it) */
		warn(s, "--sites: page faults the kernel takes on user memory (read() into a new buffer) are not "
		     "sampled: no bpf_task_pt_regs() for their user registers");
	feature_cleanup(); /* the parsed kernel BTF is megabytes: gone before libbpf parses its own */
	if (err)
		goto fail;

	s->ksources |= chosen_sources(s);
	err = load_programs(s, msg, msglen);
	if (err)
		goto fail;
	err = vigil_bpf__attach(s->skel);
	if (err) {
		snprintf(msg, msglen, "attaching BPF programs failed: %s", strerror(-err));
		goto fail;
	}
	if (s->pf_source == PF_SRC_PERF) {
		err = attach_pf_perf(s, msg, msglen);
		if (err)
			goto fail;
	}
	if (o->site_mode != SITE_MODE_OFF) {
		err = site_sampler_open(&s->sites, s->skel->progs.site_sample, &s->skel->data->site_weight,
					&s->skel->data->site_skip_mean, o->site_period, s->ncpus, msg, msglen);
		if (err)
			goto fail;
	}
	cost_init(s);
	s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.rb), on_record, s, NULL);
	if (!s->rb) {
		err = -errno;
		snprintf(msg, msglen, "ring buffer setup failed: %s", strerror(-err));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	source_close(s);
	return err ? err : -EINVAL;
}

static void deliver_pending(struct source *s)
{
	struct vigil_cpu_state *cs;
	__u32 zero = 0;

	if (bpf_map__value_size(s->skel->maps.cpu_states) != sizeof(*cs))
		return;
	cs = calloc(s->ncpus, sizeof(*cs));
	if (!cs)
		return;
	if (bpf_map_lookup_elem(bpf_map__fd(s->skel->maps.cpu_states), &zero, cs) == 0) {
		for (int cpu = 0; cpu < s->ncpus; cpu++) {
			if (cs[cpu].fault_count) {
				struct ev_faults e = {
					.h = {EV_FAULTS, sizeof(e), cpu, cs[cpu].fault_last, cs[cpu].fault_tgid,
					      cs[cpu].fault_tid},
					.count = cs[cpu].fault_count,
					.first_ts = cs[cpu].fault_first,
				};
				s->counts.pending++;
				s->o.cb(s->o.cb_ctx, &e.h);
			}
			if (cs[cpu].rss_dirty) {
				struct ev_rss e = {
					.h = {EV_RSS, sizeof(e), cpu, cs[cpu].rss_first, cs[cpu].rss_tgid, 0},
					.file = cs[cpu].rss[0],
					.anon = cs[cpu].rss[1],
					.swap = cs[cpu].rss[2],
					.shmem = cs[cpu].rss[3],
				};
				s->counts.pending++;
				s->o.cb(s->o.cb_ctx, &e.h);
			}
		}
	}
	free(cs);
}

/* Faults and RSS coalesce per CPU, and counter mode reports a thread's
 * faults when it leaves its CPU: every CPU sends what it holds now, while
 * the programs are attached (deliver_pending() takes what comes after). */
static void flush_running(struct source *s)
{
	int fd = bpf_program__fd(s->skel->progs.flush_running);

	if (fd < 0)
		return;
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU, .cpu = cpu);
		if (bpf_prog_test_run_opts(fd, &opts) && errno != ENXIO && s->o.verbose)
			fprintf(stderr, "vigil: flushing CPU %d: %s\n", cpu, strerror(errno));
	}
}

void source_stop(struct source *s)
{
	if (!s || s->stopped)
		return;
	s->stopped = true;
	bpfcost_stop(s->cost);
	bpfcost_stop(s->site_cost);
	flush_running(s);
	site_sampler_stop(s->sites);
	detach_pf_perf(s);
	vigil_bpf__detach(s->skel);
	if (s->rb)
		source_drain(s);
	deliver_pending(s);
}

void source_close(struct source *s)
{
	if (!s)
		return;
	detach_pf_perf(s);
	site_sampler_close(s->sites);
	ring_buffer__free(s->rb);
	vigil_bpf__destroy(s->skel);
	feature_cleanup();
	free(s->pf_fds);
	free(s->pf_links);
	free(s->lost_seen);
	free(s->stats_buf);
	bpfcost_free(s->cost);
	bpfcost_free(s->site_cost);
	free(s->prog_fds);
	free(s);
}

int source_pf_source(const struct source *s) { return s->pf_source; }
const char *source_warnings(const struct source *s) { return s->warnings; }
int source_py_procs_fd(const struct source *s) { return bpf_map__fd(s->skel->maps.py_procs); }

void source_counts(struct source *s, struct source_counts *c)
{
	*c = s->counts;
}
