// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "session.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "u64map.h"
#include "procfs.h"
#include "site_resolve.h"
#include "targets.h"

/* the map's value: state bits | role << 8 */
#define ST_SELECTED 0x1u
#define ST_EXITED 0x2u
#define ST_EXPLICIT 0x4u /* named with -p */
#define ROLE_OF(v) ((enum vigil_role)(((v) >> 8) & 0xff))
#define MAKE_VAL(st, role) ((st) | ((unsigned)(role) << 8))

/* processes remembered at once (alive or recently exited) */
#define SESSION_MAX_PROCS 65536

/* Processes that rewrite their command line after exec (setproctitle, as
 * gunicorn and celery workers do) leave no event: with pattern targets,
 * untracked processes are read again from /proc, at most RESCAN_BUDGET of
 * them every RESCAN_NS, round robin in pid order (a host of 600 processes
 * is covered every ~10 s, at ~0.1 % of a CPU). */
#define RESCAN_NS 1000000000ull
#define RESCAN_BUDGET 64

struct session {
	struct source *src;
	const struct targets *targets;
	struct u64map procs; /* pid -> state */
	session_sink sink;
	void *sink_ctx;
	bool all;
	unsigned self; /* our own pid: never a target */
	size_t live_explicit;
	size_t live;
	unsigned long long dropped_procs; /* table full: processes not followed */
	bool rematch;                     /* pattern targets: renames and rescans may add targets */
	unsigned fork_delay_ms;           /* tests: VIGIL_TEST_FORK_DELAY_MS, user space slow after a fork record */
	unsigned long long next_rescan;   /* CLOCK_MONOTONIC ns */
	unsigned rescan_after;            /* the pid the last rescan stopped at */
	struct site_resolver *sites;      /* --sites: raw samples to frames, stacks, samples */
};

/* EV_PROC: the metadata every later event of the process relies on */
static void emit_proc(struct session *s, const struct proc_info *pi, enum vigil_role role,
		      unsigned long long ts, unsigned flags)
{
	union {
		struct ev_proc p;
		char buf[sizeof(struct ev_proc) + VIGIL_CMDLINE_MAX];
	} u;
	size_t len = pi->cmdline_len > VIGIL_CMDLINE_MAX ? VIGIL_CMDLINE_MAX : pi->cmdline_len;

	memset(&u.p, 0, sizeof(u.p));
	u.p.h.type = EV_PROC;
	u.p.h.size = sizeof(u.p) + len;
	u.p.h.ts = ts;
	u.p.h.pid = pi->pid;
	u.p.h.tid = pi->pid;
	u.p.h.cpu = flags; /* EV_PROC_*: user space's record, no CPU */
	u.p.ppid = pi->ppid;
	u.p.role = role;
	u.p.cmdline_len = len;
	u.p.start_ns = pi->start_ns;
	memcpy(u.p.comm, pi->comm, sizeof(u.p.comm));
	memcpy(u.p.cmdline, pi->cmdline, len);
	s->sink(s->sink_ctx, &u.p.h);
}

static bool is_exited(uint64_t pid, uint32_t *val, void *arg)
{
	(void)pid;
	(void)arg;
	return *val & ST_EXITED;
}

/* Forgets exited processes when the table is full: their events have all
 * been forwarded long ago. */
static void purge_exited(struct session *s)
{
	u64map_filter(&s->procs, is_exited, NULL);
}

static int remember(struct session *s, unsigned pid, unsigned val)
{
	uint32_t *old = u64map_get(&s->procs, pid);
	bool was_live = old && (*old & ST_SELECTED) && !(*old & ST_EXITED);
	int err;

	err = u64map_put(&s->procs, pid, val);
	if (err == -ENOSPC) {
		purge_exited(s);
		err = u64map_put(&s->procs, pid, val);
	}
	if (err) {
		s->dropped_procs++;
		return err;
	}
	if (!was_live && (val & ST_SELECTED))
		s->live++;
	if (!was_live && (val & ST_EXPLICIT))
		s->live_explicit++;
	return 0;
}

/* The kernel reports RSS only when it changes; a process that stays flat
 * would have none.  /proc/PID/status reads the same counters. */
static void emit_initial_rss(struct session *s, unsigned pid, unsigned long long ts)
{
	struct proc_rss r;
	struct ev_rss e = {.h = {.type = EV_RSS, .size = sizeof(e), .ts = ts, .pid = pid}};

	if (procfs_read_rss(pid, &r))
		return;
	e.file = r.file;
	e.anon = r.anon;
	e.shmem = r.shmem;
	e.swap = -1; /* not in the model's RSS; unknown here */
	s->sink(s->sink_ctx, &e.h);
}

static void select_proc_flags(struct session *s, const struct proc_info *pi, enum vigil_role role,
			      unsigned extra, unsigned long long ts, unsigned flags)
{
	if (pi->pid == s->self)
		return; /* vigil reports its own cost separately */
	if (remember(s, pi->pid, MAKE_VAL(ST_SELECTED | extra, role)))
		return;
	if (!s->all)
		source_track(s->src, pi->pid);
	emit_proc(s, pi, role, ts, flags);
	emit_initial_rss(s, pi->pid, ts);
}

static void select_proc(struct session *s, const struct proc_info *pi, enum vigil_role role,
			unsigned extra, unsigned long long ts)
{
	select_proc_flags(s, pi, role, extra, ts, 0);
}

static void reject(struct session *s, unsigned pid)
{
	u64map_del(&s->procs, pid);
	if (!s->all)
		source_untrack(s->src, pid);
}

/* A proc_info from an exec record, when /proc has nothing better. */
static void info_from_exec(const struct ev_exec *e, struct proc_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->pid = e->h.pid;
	memcpy(pi->comm, e->comm, sizeof(pi->comm));
	pi->comm[sizeof(pi->comm) - 1] = '\0';
	pi->cmdline_len = e->cmdline_len;
	memcpy(pi->cmdline, e->cmdline, e->cmdline_len);
}

static void on_exec(struct session *s, const struct ev_exec *e)
{
	uint32_t *v = u64map_get(&s->procs, e->h.pid);
	struct proc_info pi, fresh;
	char line[VIGIL_CMDLINE_MAX + 1];
	enum vigil_role role;

	/* the record's command line is what the kernel saw at exec: it wins
	 * over /proc, which may already show a later exec or nothing */
	info_from_exec(e, &pi);
	if (procfs_read(e->h.pid, &fresh) == 0) {
		pi.ppid = fresh.ppid;
		pi.start_ns = fresh.start_ns;
	}
	procfs_printable(line, sizeof(line), pi.cmdline, pi.cmdline_len);
	role = targets_classify(s->targets, pi.comm, line);
	/* new mappings, maybe another interpreter: unwound and probed anew */
	site_resolver_forget(s->sites, e->h.pid);

	if (v && (*v & ST_SELECTED) && !(*v & ST_EXITED)) {
		/* a target that exec'd stays one; a wrapper (sh -c, env) that
		 * becomes the real service may now show its role */
		enum vigil_role old = ROLE_OF(*v);
		if (role == ROLE_OTHER)
			role = old;
		*v = (*v & 0xff) | ((unsigned)role << 8);
		emit_proc(s, &pi, role, e->h.ts, 0);
		s->sink(s->sink_ctx, &e->h);
		return;
	}
	if (s->all || targets_match(s->targets, pi.pid, pi.comm, line)) {
		select_proc(s, &pi, role, 0, e->h.ts);
		s->sink(s->sink_ctx, &e->h);
		return;
	}
	reject(s, e->h.pid); /* was tracked provisionally by the kernel */
}

static void on_fork(struct session *s, const struct ev_fork *f)
{
	uint32_t *v = u64map_get(&s->procs, f->h.pid);
	struct proc_info pi;

	if (!v || !(*v & ST_SELECTED) || (*v & ST_EXITED)) {
		/* the kernel copied a tracking flag we have since withdrawn
		 * (unless the child exec'd since: then its exec decides) */
		if (!s->all && f->child_pid != f->h.pid)
			source_untrack_inherited(s->src, f->child_pid);
		if (s->fork_delay_ms) /* as a loaded host would be, here */
			nanosleep(&(struct timespec){s->fork_delay_ms / 1000, s->fork_delay_ms % 1000 * 1000000L}, NULL);
		if (!s->all)
			return;
		if (!v && procfs_read(f->h.pid, &pi) == 0)
			select_proc(s, &pi, targets_classify(s->targets, pi.comm, pi.cmdline_str), 0, f->h.ts);
	}
	if (f->child_pid != f->h.pid) {
		enum vigil_role role = v ? ROLE_OF(*v) : ROLE_OTHER;
		if (procfs_read(f->child_pid, &pi) != 0) {
			/* already gone: describe it from the fork record */
			memset(&pi, 0, sizeof(pi));
			pi.pid = f->child_pid;
			memcpy(pi.comm, f->comm, sizeof(pi.comm));
			pi.comm[sizeof(pi.comm) - 1] = '\0';
		}
		pi.ppid = f->h.pid;
		select_proc(s, &pi, role, 0, f->h.ts);
	}
	s->sink(s->sink_ctx, &f->h);
}

static void on_exit_rec(struct session *s, const struct ev_exit *x)
{
	uint32_t *v = u64map_get(&s->procs, x->h.pid);

	if (!v || !(*v & ST_SELECTED))
		return;
	s->sink(s->sink_ctx, &x->h);
	if (x->group_dead)
		site_resolver_forget(s->sites, x->h.pid);
	if (x->group_dead && !(*v & ST_EXITED)) {
		*v |= ST_EXITED;
		s->live--;
		if (*v & ST_EXPLICIT)
			s->live_explicit--;
	}
}

/* ---- processes that rename themselves after exec ---- */

/* An untracked process whose name or command line now matches becomes a
 * target from ts on (EV_PROC_LATE: its earlier life was not traced).
 * comm: its new name from a rename record, NULL to take /proc's. */
static bool late_match(struct session *s, unsigned pid, const char *comm, unsigned long long ts)
{
	char line[VIGIL_CMDLINE_MAX + 1];
	struct proc_info pi;

	if (procfs_read(pid, &pi) != 0)
		return false; /* gone, or not readable */
	if (comm) { /* the record is newer than what /proc said a moment ago */
		memcpy(pi.comm, comm, sizeof(pi.comm));
		pi.comm[sizeof(pi.comm) - 1] = '\0';
	}
	procfs_printable(line, sizeof(line), pi.cmdline, pi.cmdline_len);
	if (!targets_match(s->targets, pid, pi.comm, line))
		return false;
	/* counted from now on: not the faults of an earlier provisional spell */
	source_fault_base_reset(s->src, pid);
	select_proc_flags(s, &pi, targets_classify(s->targets, pi.comm, line), 0, ts, EV_PROC_LATE);
	return true;
}

/* EV_COMM: the name of an untracked CPU holder, or (task_rename) a main
 * thread's new name.  A target that renamed itself may now show its role,
 * as at exec; an untracked one may now be a target. */
static void on_comm(struct session *s, const struct ev_comm *e)
{
	uint32_t *v = u64map_get(&s->procs, e->h.pid);

	if (s->rematch && e->h.pid && e->h.pid == e->h.tid) {
		if (v && (*v & ST_SELECTED) && !(*v & ST_EXITED)) {
			char comm[VIGIL_COMM_LEN], line[VIGIL_CMDLINE_MAX + 1];
			struct proc_info pi;
			enum vigil_role role;

			memcpy(comm, e->comm, sizeof(comm));
			comm[sizeof(comm) - 1] = '\0';
			if (procfs_read(e->h.pid, &pi) == 0) {
				memcpy(pi.comm, comm, sizeof(pi.comm));
				procfs_printable(line, sizeof(line), pi.cmdline, pi.cmdline_len);
				/* described again: the report shows the new name */
				role = targets_classify(s->targets, comm, line);
				if (role == ROLE_OTHER)
					role = ROLE_OF(*v);
				*v = (*v & 0xff) | ((unsigned)role << 8);
				emit_proc(s, &pi, role, e->h.ts, 0);
			}
		} else if (!v) {
			late_match(s, e->h.pid, e->comm, e->h.ts);
		}
	}
	s->sink(s->sink_ctx, &e->h);
}

/* A slice of the untracked processes, read again from /proc: command lines
 * rewritten in place (setproctitle) send no event. */
static void rescan(struct session *s, unsigned long long now)
{
	struct procfs_iter it;
	unsigned pid, read = 0, last = 0;
	bool wrapped = true;

	if (procfs_iter_open(&it))
		return;
	while (procfs_iter_next(&it, &pid) == 1) {
		uint32_t *v = u64map_get(&s->procs, pid);

		if (pid <= s->rescan_after || pid == s->self || (v && !(*v & ST_EXITED)))
			continue;
		if (read++ == RESCAN_BUDGET) {
			wrapped = false;
			break;
		}
		last = pid;
		late_match(s, pid, NULL, now);
	}
	procfs_iter_close(&it);
	s->rescan_after = wrapped ? 0 : last;
}

/* Events of a process the session has not decided on: with --all, any
 * process is a target (one that slipped past the startup scan). */
static bool known(struct session *s, unsigned pid, unsigned long long ts)
{
	uint32_t *v = u64map_get(&s->procs, pid);
	struct proc_info pi;

	if (v)
		return *v & ST_SELECTED;
	if (!s->all)
		return false;
	if (procfs_read(pid, &pi) != 0) {
		/* already gone: still a target, described by its pid alone, and
		 * remembered so its next events do not ask /proc again */
		memset(&pi, 0, sizeof(pi));
		pi.pid = pid;
	}
	select_proc(s, &pi, targets_classify(s->targets, pi.comm, pi.cmdline_str), 0, ts);
	return u64map_get(&s->procs, pid) != NULL;
}

static void on_record(void *ctx, const struct ev_hdr *h)
{
	struct session *s = ctx;

	switch (h->type) {
	case EV_EXEC:
		on_exec(s, (const struct ev_exec *)h);
		return;
	case EV_FORK:
		on_fork(s, (const struct ev_fork *)h);
		return;
	case EV_EXIT:
		on_exit_rec(s, (const struct ev_exit *)h);
		return;
	case EV_COMM:
		on_comm(s, (const struct ev_comm *)h);
		return;
	case EV_SITE_RAW:
		if (s->sites && known(s, h->pid, h->ts))
			site_resolver_sample(s->sites, (const struct ev_site_raw *)h);
		return;
	case EV_SWITCH: /* the kernel already chose: a target, or a holder of a target's CPU */
	case EV_LOST:
		s->sink(s->sink_ctx, h);
		return;
	case EV_WAKEUP:
	case EV_MIGRATE:
		if (h->pid == 0 || known(s, h->pid, h->ts)) /* pid 0: fallback mode could not tell */
			s->sink(s->sink_ctx, h);
		return;
	default:
		if (known(s, h->pid, h->ts))
			s->sink(s->sink_ctx, h);
		return;
	}
}

struct scan_ctx {
	struct session *s;
	unsigned long long ts;
};

static void scan_one(unsigned pid, struct scan_ctx *c)
{
	struct session *s = c->s;
	char line[VIGIL_CMDLINE_MAX + 1];
	struct proc_info pi;

	if (procfs_read(pid, &pi) != 0)
		return; /* exited meanwhile */
	procfs_printable(line, sizeof(line), pi.cmdline, pi.cmdline_len);
	if (s->all || targets_match(s->targets, pid, pi.comm, line)) {
		const unsigned *pids;
		size_t n = targets_pids(s->targets, &pids);
		unsigned extra = 0;
		for (size_t i = 0; i < n; i++)
			if (pids[i] == pid)
				extra = ST_EXPLICIT;
		select_proc(s, &pi, targets_classify(s->targets, pi.comm, line), extra, c->ts);
	}
}

int session_open(struct session **out, const struct session_opts *o, char *msg, size_t msglen)
{
	struct session *s = calloc(1, sizeof(*s));
	struct source_opts so = {0};
	struct scan_ctx scan;
	int err;

	*out = NULL;
	if (!s) {
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	u64map_init(&s->procs, SESSION_MAX_PROCS);
	s->targets = o->targets;
	s->sink = o->sink;
	s->sink_ctx = o->sink_ctx;
	s->all = targets_is_all(o->targets);
	s->self = getpid();

	so.track_all = s->all;
	/* patterns (the default roles included) decide at exec time */
	so.track_exec = !s->all && targets_has_patterns(o->targets);
	s->rematch = so.track_exec;
	const char *delay = getenv("VIGIL_TEST_FORK_DELAY_MS");
	s->fork_delay_ms = delay ? (unsigned)strtoul(delay, NULL, 10) % 10000 : 0;
	so.pf_source = o->pf_source;
	so.ringbuf_kb = o->ringbuf_kb;
	so.btf_path = o->btf_path;
	so.verbose = o->verbose;
	so.site_mode = o->site_mode;
	so.site_period = o->site_period;
	if (o->site_mode != SITE_MODE_OFF && !(s->sites = site_resolver_new(o->sink, o->sink_ctx))) {
		session_close(s);
		snprintf(msg, msglen, "out of memory");
		return -ENOMEM;
	}
	so.cb = on_record;
	so.cb_ctx = s;
	err = source_open(&s->src, &so, msg, msglen);
	if (err) {
		session_close(s);
		return err;
	}
	site_resolver_set_python(s->sites, source_py_procs_fd(s->src));
	/* after attaching, so that a process starting meanwhile is seen by
	 * one or the other */
	scan.s = s;
	scan.ts = clock_mono_ns();
	s->next_rescan = scan.ts + RESCAN_NS;
	struct procfs_iter it;
	unsigned pid;
	if (procfs_iter_open(&it) == 0) {
		while (procfs_iter_next(&it, &pid) == 1)
			scan_one(pid, &scan);
		procfs_iter_close(&it);
	}
	*out = s;
	return 0;
}

int session_poll(struct session *s, int timeout_ms)
{
	struct pollfd p = {.fd = source_fd(s->src), .events = POLLIN};

	int n;

	if (timeout_ms > 0 && poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	n = source_drain(s->src);
	if (s->rematch) {
		unsigned long long now = clock_mono_ns();
		if (now >= s->next_rescan) {
			s->next_rescan = now + RESCAN_NS;
			rescan(s, now);
		}
	}
	return n;
}

void session_stop(struct session *s)
{
	source_stop(s->src);
}

void session_close(struct session *s)
{
	if (!s)
		return;
	source_close(s->src);
	site_resolver_free(s->sites);
	u64map_free(&s->procs);
	free(s);
}

struct source *session_source(struct session *s) { return s->src; }
size_t session_live_targets(const struct session *s) { return s->live; }
size_t session_live_pids(const struct session *s) { return s->live_explicit; }
const char *session_site_size_blind(const struct session *s)
{
	return site_resolver_size_blind(s->sites);
}

const char *session_site_python(const struct session *s, char *buf, size_t len)
{
	return site_resolver_python(s->sites, buf, len);
}

void session_site_stats(const struct session *s, struct site_resolve_stats *out)
{
	site_resolver_stats(s->sites, out);
}
