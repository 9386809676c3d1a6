// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The model (see agg.h for the contract).  Hot path rules: one hash lookup
 * per task a record names, no allocation except when a process appears or
 * a table grows, and no loop longer than one CPU's run queue or its holder
 * log, except the amortised halving of a full waited_behind table.
 *
 * Scheduler model.  Per CPU: the task running there (from the last switch
 * naming it next) since `since`, and the list of tracked threads waiting in
 * its queue.  A thread starts waiting at EV_WAKEUP (queued on target_cpu) or
 * when switched out runnable (queued on that CPU), moves with EV_MIGRATE and
 * stops at the next switch naming it next, on any CPU.  Each waiter carries
 * charged_until: every span a holder of its queue's CPU ran since then is
 * charged to that holder (through the CPU's holder log, when the waiter
 * leaves the queue or at a settle), so a wait is split exactly between all
 * the tasks that ran meanwhile.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "decode.h"
#include "sites.h"
#include "waited_behind.h"

#define MAP_ANONYMOUS_FLAG 0x20
#define ADV_DONTNEED 4
#define ADV_FREE 8
#define ANON_SLOTS 128 /* power of two, > AGG_ANON_TRACKED */
#define NAME_PROBES 8
#define NO_CPU (-1)

enum wait_kind { WAIT_WAKEUP, WAIT_PREEMPT };

/* ---- open-addressing map: u32 key (never 0) -> pointer -------------------- */

struct map_slot {
	__u32 key;
	void *val;
};

struct map {
	struct map_slot *s;
	__u32 mask, shift, n;
};

static int map_init(struct map *m, __u32 min_entries)
{
	__u32 bits = 4;

	while ((1u << bits) < 2 * min_entries) /* load <= 1/2 keeps probes short */
		bits++;
	m->s = calloc(1u << bits, sizeof(*m->s));
	m->mask = (1u << bits) - 1;
	m->shift = 32 - bits;
	m->n = 0;
	return m->s ? 0 : -1;
}

static inline __u32 map_home(const struct map *m, __u32 key)
{
	return (key * 2654435761u) >> m->shift; /* Fibonacci hashing: pids are dense */
}

static inline void *map_get(const struct map *m, __u32 key)
{
	for (__u32 i = map_home(m, key);; i = (i + 1) & m->mask) {
		if (m->s[i].key == key)
			return m->s[i].val;
		if (!m->s[i].key)
			return NULL;
	}
}

/* Callers keep n below capacity (entries are bounded by the limits). */
static void map_put(struct map *m, __u32 key, void *val)
{
	__u32 i = map_home(m, key);

	while (m->s[i].key && m->s[i].key != key)
		i = (i + 1) & m->mask;
	if (!m->s[i].key)
		m->n++;
	m->s[i].key = key;
	m->s[i].val = val;
}

/* Backward-shift deletion: no tombstones, so lookups never slow down. */
static void map_del(struct map *m, __u32 key)
{
	__u32 i = map_home(m, key), j;

	while (m->s[i].key != key) {
		if (!m->s[i].key)
			return;
		i = (i + 1) & m->mask;
	}
	for (j = i;;) {
		j = (j + 1) & m->mask;
		if (!m->s[j].key)
			break;
		__u32 k = map_home(m, m->s[j].key);
		/* move j back to i unless its home lies cyclically in (i, j] */
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->s[i] = m->s[j];
			i = j;
		}
	}
	m->s[i].key = 0;
	m->s[i].val = NULL;
	m->n--;
}

/* ---- private state ---------------------------------------------------------- */

struct proc;

struct thr {
	__u32 tid, pid;
	struct proc *proc;
	struct thr *pnext, *pprev; /* the process's threads */
	struct thr *qnext, *qprev; /* waiters of one CPU */
	__u64 wait_start, charged_until, dead_ts;
	__u64 seg_next; /* waiting: its queue's first segment not charged to it yet */
	__s32 q_cpu;   /* queue it waits in, NO_CPU when not waiting */
	__s32 run_cpu; /* CPU it runs on, NO_CPU */
	__u8 wait_kind;
	__u8 dead;     /* EV_EXIT seen; freed at its last switch */
	__u8 used;
};

/* A span of a CPU's holder that ended while threads waited on that CPU:
 * up to `end`, the holder was pid (0: unknown), or the idle task. */
struct seg {
	__u64 end;
	__u32 pid;
	__u32 idle;
};

/* A CPU's holder segments are logged while threads wait on it, and each
 * waiter charges them to its process when it leaves the queue (or at a
 * settle, or when the log is full).  Charging at every switch instead made
 * each switch visit every waiter's process and its waited_behind table:
 * with sched messaging's ~100 waiters per CPU, a cache miss or four each,
 * most of an offline report's time.  One waiter walking a log keeps its
 * table hot, and consecutive spans of the same holder are one charge. */
#define SEG_LOG_MAX 1024 /* 16 KB per CPU at most */

struct cpu {
	__u32 cur_tid, cur_pid; /* 0: idle task; cur_pid 0 also when unknown */
	struct thr *cur;        /* thread entry of cur_tid if tracked */
	__u64 since;            /* start of the span not yet accounted */
	struct thr *qhead;
	__u8 known;             /* a switch on this CPU was seen */
	__u32 nseg, seg_alloc;
	struct seg *seg;        /* [nseg] logged while qhead != NULL */
	__u64 seg_base;         /* number of segments logged before seg[0] */
};

struct anon_slot {
	__u64 addr, len;
};

/* Per-process tables are allocated when first needed, so a process costs
 * what it uses: a quiet one ~2 KB, a busy one ~10 KB (its histograms grow
 * with the octaves its waits span, see hist.h).  Once an exited process can
 * receive no more records it is compacted (proc_compact): its numbers are
 * final, and only what sinks read stays. */
struct proc {
	struct agg_proc pub;
	struct proc *xnext, *xprev; /* exited entries, oldest first */
	struct thr *threads;
	size_t slot;                /* index in agg.procs */
	/* waited_behind as charged (no storage until the first charge);
	 * agg_settle publishes the top of it in pub.wb */
	struct wbh wbh;
	__u64 shed_ns, shed_base; /* holders folded out of wbh */
	__u64 wb_pub_held;        /* ns charged to holders when pub.wb was made (~0: remake it) */
	__u8 compact;             /* proc_compact() ran: pub.wb is final */
	__u32 nanon;
	struct anon_slot *anon;   /* [ANON_SLOTS], NULL until the first anonymous mmap */
	__u32 pts_alloc;          /* RSS points allocated (pub.rss.pts), up to rss.cap */
};

struct name {
	__u32 tid, pid;
	char comm[VIGIL_COMM_LEN];
};

struct agg {
	struct agg_limits lim;
	struct agg_host host;
	struct cpu *cpus;
	__u64 *busy, *busy_base;
	struct map pids; /* pid -> newest struct proc */
	struct map tids; /* tid -> struct thr */
	/* Thread entries: pool[0..pool_used) were handed out at least once, the
	 * freed ones wait in free_thr; the rest of the pool is never touched, so
	 * its pages stay out of RSS until that many threads were seen at once. */
	struct thr *pool, *free_thr;
	__u32 pool_used;
	struct proc **procs; /* [host.nprocs] */
	struct proc *xhead, *xtail; /* host.nexited of them */
	struct name *names;
	__u32 names_mask, names_shift;
	__u8 intervals; /* agg_interval_reset() was called: entries keep runq_ivl */
	__u64 next_id;
	struct site_model *sites;
};

/* ---- small helpers ------------------------------------------------------------ */

static __u64 page_round(const struct agg *a, __u64 len)
{
	__u64 ps = a->lim.page_size;

	return len > UINT64_MAX - ps ? len : (len + ps - 1) / ps * ps;
}

/* mmap/mremap return an address or -errno in [-4095, -1] */
static inline int addr_ok(__s64 ret)
{
	return (__u64)ret < (__u64)-4095;
}

static void copy_text(char *dst, size_t dstsz, const char *src, size_t len)
{
	size_t n = 0;

	if (len > dstsz - 1)
		len = dstsz - 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)src[i];
		dst[n++] = ch == 0 ? ' ' : (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	while (n && dst[n - 1] == ' ')
		n--;
	dst[n] = 0;
}

static void copy_comm(char *dst, const char *src)
{
	size_t len = strnlen(src, VIGIL_COMM_LEN - 1);

	copy_text(dst, VIGIL_COMM_LEN, src, len);
}

/* ---- holder names --------------------------------------------------------------- */

static inline __u32 name_home(const struct agg *a, __u32 tid)
{
	return (tid * 2654435761u) >> a->names_shift;
}

static struct name *name_find(const struct agg *a, __u32 tid)
{
	__u32 i = name_home(a, tid);

	if (!tid)
		return NULL;
	for (int k = 0; k < NAME_PROBES; k++, i = (i + 1) & a->names_mask) {
		if (a->names[i].tid == tid)
			return &a->names[i];
		if (!a->names[i].tid)
			return NULL;
	}
	return NULL;
}

/* Bounded: when the probe window is full the home slot is overwritten.
 * Entries are never removed, so a window never gets holes. */
static void name_put(struct agg *a, __u32 tid, __u32 pid, const char *comm)
{
	__u32 i = name_home(a, tid), home = i;
	struct name *n = NULL;

	if (!tid)
		return;
	for (int k = 0; k < NAME_PROBES; k++, i = (i + 1) & a->names_mask) {
		if (a->names[i].tid == tid || !a->names[i].tid) {
			n = &a->names[i];
			break;
		}
	}
	if (!n) {
		n = &a->names[home];
		a->host.drops.names++;
	}
	n->tid = tid;
	n->pid = pid;
	copy_comm(n->comm, comm);
}

const char *agg_name(const struct agg *a, __u32 pid)
{
	const struct proc *p = pid ? map_get(&a->pids, pid) : NULL;
	const struct name *n;

	if (p && p->pub.comm[0])
		return p->pub.comm;
	n = name_find(a, pid);
	return n ? n->comm : NULL;
}

/* ---- processes ------------------------------------------------------------------ */

static void exited_unlink(struct agg *a, struct proc *p)
{
	if (p->xprev)
		p->xprev->xnext = p->xnext;
	else
		a->xhead = p->xnext;
	if (p->xnext)
		p->xnext->xprev = p->xprev;
	else
		a->xtail = p->xprev;
	p->xnext = p->xprev = NULL;
	a->host.nexited--;
}

static void counters_add(struct agg_counters *dst, const struct agg_counters *src)
{
	__u64 *d = (__u64 *)dst;
	const __u64 *s = (const __u64 *)src;

	for (size_t i = 0; i < sizeof(*dst) / sizeof(__u64); i++)
		d[i] += s[i];
}

void agg_counters_delta(const struct agg_counters *tot, const struct agg_counters *base,
			struct agg_counters *out)
{
	const __u64 *t = (const __u64 *)tot, *b = (const __u64 *)base;
	__u64 *o = (__u64 *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(__u64); i++)
		o[i] = t[i] - b[i];
}
_Static_assert(sizeof(struct agg_counters) % sizeof(__u64) == 0, "counters are u64 only");

static void thr_free(struct agg *a, struct thr *t);
static void wb_publish(struct agg *a, struct proc *p);

static void proc_free(struct proc *p)
{
	hist_free(&p->pub.runq_wakeup);
	hist_free(&p->pub.runq_preempt);
	hist_free(&p->pub.runq);
	hist_free(&p->pub.runq_ivl);
	wbh_free(&p->wbh);
	free(p->anon);
	free(p->pub.rss.pts);
	sites_proc_free(p->pub.sites);
	free(p);
}

/* An exited entry leaves the model: its numbers go to its role's total. */
static void proc_fold(struct agg *a, struct proc *p)
{
	struct agg_role_total *rt = &a->host.exited[p->pub.role < ROLE_COUNT ? p->pub.role : 0];

	rt->procs++;
	wb_publish(a, p);
	counters_add(&rt->c, &p->pub.tot);
	while (p->threads)
		thr_free(a, p->threads);
	if (p->pub.exited)
		exited_unlink(a, p);
	if (map_get(&a->pids, p->pub.pid) == p)
		map_del(&a->pids, p->pub.pid);
	a->procs[p->slot] = a->procs[--a->host.nprocs];
	a->procs[p->slot]->slot = p->slot;
	proc_free(p);
}

static struct proc *proc_new(struct agg *a, __u32 pid, __u64 ts)
{
	struct proc *p;

	if (a->host.nprocs >= a->lim.max_procs) {
		if (!a->xhead) {
			a->host.drops.procs++;
			return NULL;
		}
		a->host.drops.exited_folded++;
		proc_fold(a, a->xhead);
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		a->host.drops.procs++;
		return NULL;
	}
	p->pub.id = ++a->next_id;
	p->pub.pid = pid;
	p->pub.first_ts = p->pub.last_ts = ts;
	p->pub.rss.cap = a->lim.rss_points;
	p->pub.rss.step_ns = a->lim.rss_step_ns;
	p->pub.ivl_hist = a->intervals;
	p->slot = a->host.nprocs;
	a->procs[a->host.nprocs++] = p;
	map_put(&a->pids, pid, p);
	return p;
}

static inline int past_grace(const struct proc *p, __u64 ts)
{
	return p->pub.exited && ts > p->pub.exit_ts + AGG_EXIT_GRACE_NS;
}

/* The entry records of pid at ts belong to, without creating one. */
static struct proc *proc_live(struct agg *a, __u32 pid, __u64 ts)
{
	struct proc *p = pid ? map_get(&a->pids, pid) : NULL;

	return p && !past_grace(p, ts) ? p : NULL;
}

/* For records that are about a tracked process (memory, faults, RSS). */
static struct proc *proc_subject(struct agg *a, __u32 pid, __u64 ts)
{
	struct proc *p;

	if (!pid)
		return NULL;
	p = proc_live(a, pid, ts);
	if (!p)
		p = proc_new(a, pid, ts);
	return p;
}

/* For records that announce a process: a new entry unless a live one is
 * there (then the record completes what we know). */
static struct proc *proc_birth(struct agg *a, __u32 pid, __u64 ts)
{
	struct proc *p = pid ? map_get(&a->pids, pid) : NULL;

	if (!pid)
		return NULL;
	return p && !p->pub.exited ? p : proc_new(a, pid, ts);
}

static void proc_exit(struct agg *a, struct proc *p, __s32 code, __u64 ts)
{
	p->pub.exited = 1;
	p->pub.exit_code = code;
	p->pub.exit_ts = ts;
	p->xprev = a->xtail;
	if (a->xtail)
		a->xtail->xnext = p;
	else
		a->xhead = p;
	a->xtail = p;
	a->host.nexited++;
	if (a->host.nexited > a->lim.max_exited) {
		a->host.drops.exited_folded++;
		proc_fold(a, a->xhead);
	}
}

static inline void touch(struct proc *p, __u64 ts)
{
	if (ts > p->pub.last_ts)
		p->pub.last_ts = ts;
}

/* ---- run queues ----------------------------------------------------------------- */

static void q_link(struct agg *a, struct thr *t, __s32 cpu)
{
	struct cpu *c = &a->cpus[cpu];

	t->q_cpu = cpu;
	t->seg_next = c->seg_base + c->nseg;
	t->qprev = NULL;
	t->qnext = c->qhead;
	if (c->qhead)
		c->qhead->qprev = t;
	c->qhead = t;
	a->host.nwaiting++;
}

static void catch_up(struct agg *a, struct thr *t);

/* t leaves its queue with every segment logged so far charged */
static void q_unlink(struct agg *a, struct thr *t)
{
	struct cpu *c = &a->cpus[t->q_cpu];

	catch_up(a, t);
	if (t->qprev)
		t->qprev->qnext = t->qnext;
	else
		c->qhead = t->qnext;
	if (t->qnext)
		t->qnext->qprev = t->qprev;
	t->qnext = t->qprev = NULL;
	t->q_cpu = NO_CPU;
	a->host.nwaiting--;
	if (!c->qhead) { /* nobody left to charge: the log starts over */
		c->seg_base += c->nseg;
		c->nseg = 0;
	}
}

static void q_start(struct agg *a, struct thr *t, __s32 cpu, __u64 ts, enum wait_kind kind)
{
	t->wait_start = t->charged_until = ts;
	t->wait_kind = kind;
	q_link(a, t, cpu);
}

/* waited_behind: charge d ns to holder pid */
static void wb_newcomer(struct agg *a, struct proc *p, __u32 pid, __u64 d);

/* Charges d ns of p's waiting to a CPU's idle task (idle) or holder pid
 * (0: unknown).  A holder already in the table is one inline probe. */
static inline void charge_ns(struct agg *a, struct proc *p, __u64 d, int idle, __u32 pid)
{
	p->pub.tot.runq_wait_ns += d;
	if (idle)
		p->pub.tot.runq_idle_ns += d;
	else if (!wbh_hit(&p->wbh, pid + 1, d))
		wb_newcomer(a, p, pid, d);
}

/* Charges t's wait up to `until` to the holder of its queue's CPU. */
static inline void charge_to(struct agg *a, struct thr *t, __u64 until, int idle, __u32 pid)
{
	if (until <= t->charged_until)
		return;
	charge_ns(a, t->proc, until - t->charged_until, idle, pid);
	t->charged_until = until;
}

/* Charges waiter t the segments its queue logged since it last caught up:
 * what charge_to at every one of those switches would have charged. */
static void catch_up(struct agg *a, struct thr *t)
{
	struct cpu *c = &a->cpus[t->q_cpu];
	const struct seg *s = c->seg + (t->seg_next - c->seg_base), *end = c->seg + c->nseg;
	__u64 from = t->charged_until, d = 0;
	__u32 pid = 0, idle = 0;

	for (; s < end; s++) {
		if (s->end <= from)
			continue;
		if (d && (s->pid != pid || s->idle != idle)) {
			charge_ns(a, t->proc, d, (int)idle, pid);
			d = 0;
		}
		pid = s->pid;
		idle = s->idle;
		d += s->end - from;
		from = s->end;
	}
	if (d)
		charge_ns(a, t->proc, d, (int)idle, pid);
	t->charged_until = from;
	t->seg_next = c->seg_base + c->nseg;
}

static inline int cpu_idle(const struct cpu *c)
{
	return c->known && !c->cur_tid;
}

static inline __u32 cpu_holder(const struct cpu *c)
{
	return c->known ? c->cur_pid : 0;
}

/* Charges t's wait up to `until`: the segments logged, then whoever runs
 * on its queue's CPU now. */
static void charge(struct agg *a, struct thr *t, __u64 until)
{
	const struct cpu *c = &a->cpus[t->q_cpu];

	catch_up(a, t);
	charge_to(a, t, until, cpu_idle(c), cpu_holder(c));
}

/* ---- threads -------------------------------------------------------------------- */

static void thr_link(struct thr *t, struct proc *p)
{
	t->proc = p;
	t->pprev = NULL;
	t->pnext = p->threads;
	if (p->threads)
		p->threads->pprev = t;
	p->threads = t;
	if (!t->dead)
		p->pub.nthreads++;
}

static void thr_unlink(struct thr *t)
{
	struct proc *p = t->proc;

	if (t->pprev)
		t->pprev->pnext = t->pnext;
	else
		p->threads = t->pnext;
	if (t->pnext)
		t->pnext->pprev = t->pprev;
	if (!t->dead)
		p->pub.nthreads--;
	t->proc = NULL;
}

static void thr_free(struct agg *a, struct thr *t)
{
	if (t->q_cpu != NO_CPU)
		q_unlink(a, t);
	if (t->run_cpu != NO_CPU && a->cpus[t->run_cpu].cur == t)
		a->cpus[t->run_cpu].cur = NULL;
	thr_unlink(t);
	map_del(&a->tids, t->tid);
	t->used = 0;
	t->qnext = a->free_thr;
	a->free_thr = t;
	a->host.nthreads--;
}

static struct thr *thr_new(struct agg *a, __u32 tid, struct proc *p)
{
	struct thr *t = a->free_thr;

	if (t) {
		a->free_thr = t->qnext;
	} else if (a->pool_used < a->lim.max_threads) {
		t = &a->pool[a->pool_used++];
	} else {
		a->host.drops.threads++;
		return NULL;
	}
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->pid = p->pub.pid;
	t->q_cpu = t->run_cpu = NO_CPU;
	t->used = 1;
	thr_link(t, p);
	map_put(&a->tids, tid, t);
	a->host.nthreads++;
	return t;
}

/* Is this entry still the thread a record of (tid, pid) at ts means?  Not
 * when the tid now belongs to another process, or to a new process of the
 * same pid, or when its thread died long ago (tid reused). */
static int thr_stale(const struct agg *a, const struct thr *t, __u32 pid, __u64 ts)
{
	if (pid && t->pid != pid)
		return 1;
	if (t->dead && ts > t->dead_ts + AGG_EXIT_GRACE_NS)
		return 1;
	if (!t->proc->pub.exited)
		return 0;
	/* a live thread of an exited process whose pid has a newer entry:
	 * the tid was reused and the records in between were lost */
	if (!t->dead && map_get(&a->pids, t->pid) != t->proc)
		return 1;
	return past_grace(t->proc, ts);
}

/* The thread entry for a task a scheduler record names; created only for
 * tasks of a process with an entry.  pid 0: unknown, look up by tid only. */
static struct thr *thr_get(struct agg *a, __u32 tid, __u32 pid, __u64 ts)
{
	struct thr *t = map_get(&a->tids, tid);
	struct proc *p;

	if (t && thr_stale(a, t, pid, ts)) {
		thr_free(a, t);
		t = NULL;
	}
	if (t || !pid)
		return t;
	p = proc_live(a, pid, ts);
	return p ? thr_new(a, tid, p) : NULL;
}

/* A thread that a fork just created: any older entry for its tid is gone. */
static struct thr *thr_born(struct agg *a, __u32 tid, struct proc *p)
{
	struct thr *t = map_get(&a->tids, tid);

	if (t && t->proc == p && !t->dead)
		return t; /* seen already (a wakeup_new before the fork record) */
	if (t)
		thr_free(a, t);
	return thr_new(a, tid, p);
}

/* ---- waited_behind ------------------------------------------------------------ */

/* A holder not in p's table.  Out of memory, or once p's numbers are final,
 * d is counted but unnamed. */
static void wb_newcomer(struct agg *a, struct proc *p, __u32 pid, __u64 d)
{
	struct wbh_shed shed = {0};

	if (p->compact)
		shed = (struct wbh_shed){.ns = d, .n = 1};
	else
		wbh_add(&p->wbh, pid + 1, d, &shed);
	p->shed_ns += shed.ns;
	p->shed_base += shed.base;
	a->host.drops.wb_evicted += shed.n;
}

/* A published holder's name as the model knows it now */
static void wb_name(const struct agg *a, struct agg_wb *w)
{
	const char *name = w->pid ? agg_name(a, w->pid) : "[unknown]"; /* 0: holders we could not place */

	/* names in the model are sanitized already (copy_comm) */
	memset(w->comm, 0, sizeof(w->comm));
	if (name)
		memcpy(w->comm, name, strnlen(name, VIGIL_COMM_LEN - 1));
}

/* pub.wb = the AGG_WB_TOP largest holders, named; the rest and what was
 * shed make runq_other_ns (tot and base, so interval deltas add up). */
static void wb_publish(struct agg *a, struct proc *p)
{
	struct wbh_ent top[AGG_WB_TOP];
	struct wbh_shed rest = {0};
	struct agg_proc *q = &p->pub;
	__u64 held = q->tot.runq_wait_ns - q->tot.runq_idle_ns;
	__u32 k;

	/* Nothing charged to a holder since the last publish: the table is as
	 * it was (a settle each second visited every holder of every process
	 * that once waited, ~5 % of a report); only names may have changed. */
	if (!p->compact && held == p->wb_pub_held) {
		for (__u32 i = 0; i < q->nwb; i++)
			wb_name(a, &q->wb[i]);
		return;
	}
	q->tot.runq_other_ns = p->shed_ns;
	q->base.runq_other_ns = p->shed_base;
	if (p->compact)
		return; /* pub.wb is final, the rest is in shed_ns */
	p->wb_pub_held = held;
	k = wbh_top(&p->wbh, top, AGG_WB_TOP, &rest);
	q->tot.runq_other_ns += rest.ns;
	q->base.runq_other_ns += rest.base;
	for (__u32 i = 0; i < k; i++) {
		struct agg_wb *w = &q->wb[i];

		w->pid = top[i].key - 1;
		w->ns = top[i].ns;
		w->base_ns = top[i].base;
		wb_name(a, w);
	}
	q->nwb = k;
}

/* ---- CPUs ------------------------------------------------------------------------ */

static struct cpu *cpu_get(struct agg *a, __u32 cpu)
{
	if (cpu >= a->lim.max_cpus) {
		a->host.drops.cpus++;
		return NULL;
	}
	if (cpu >= a->host.ncpus)
		a->host.ncpus = cpu + 1;
	return &a->cpus[cpu];
}

/* Host integrals advance before any change of nrunning/nwaiting. */
static void tick(struct agg *a, __u64 ts)
{
	struct agg_host *h = &a->host;

	if (!h->sched_start_ts) {
		h->sched_start_ts = h->accounted_ts = ts;
		h->ivl_start_ts = ts;
		return;
	}
	if (ts <= h->accounted_ts)
		return;
	h->tot.running_task_ns += (ts - h->accounted_ts) * h->nrunning;
	h->tot.waiting_task_ns += (ts - h->accounted_ts) * h->nwaiting;
	h->accounted_ts = ts;
}

/* Every waiter of c charged up to its last segment; the log starts over. */
static void seg_flush(struct agg *a, struct cpu *c)
{
	for (struct thr *w = c->qhead; w; w = w->qnext)
		catch_up(a, w);
	c->seg_base += c->nseg;
	c->nseg = 0;
}

/* The holder's span up to ts, for c's waiters to charge.  A full log (or
 * no memory to grow it) is charged to them first. */
static void seg_log(struct agg *a, struct cpu *c, __u64 ts)
{
	if (c->nseg == c->seg_alloc) {
		__u32 want = c->seg_alloc ? c->seg_alloc * 2 : 16;
		struct seg *s = want <= SEG_LOG_MAX ? realloc(c->seg, want * sizeof(*s)) : NULL;

		if (s) {
			c->seg = s;
			c->seg_alloc = want;
		} else {
			seg_flush(a, c);
		}
	}
	if (c->nseg == c->seg_alloc) { /* not even the first 16: charge directly */
		for (struct thr *w = c->qhead; w; w = w->qnext)
			charge_to(a, w, ts, cpu_idle(c), cpu_holder(c));
		return;
	}
	c->seg[c->nseg++] = (struct seg){ts, cpu_holder(c), (__u32)cpu_idle(c)};
}

/* Accounts CPU c's holder up to ts: busy time, its process's on-CPU time,
 * and (through the segment log) the waits of every tracked thread queued
 * on c. */
static void cpu_account(struct agg *a, __u32 idx, __u64 ts)
{
	struct cpu *c = &a->cpus[idx];

	if (c->known && ts > c->since && c->cur_tid) {
		__u64 d = ts - c->since;

		a->busy[idx] += d;
		if (c->cur && c->cur->proc) /* a thread whose process was folded has none */
			c->cur->proc->pub.tot.on_cpu_ns += d;
	}
	if (c->qhead)
		seg_log(a, c, ts);
	if (ts > c->since)
		c->since = ts;
}

static void cpu_set_holder(struct agg *a, struct cpu *c, __u32 tid, __u32 pid, struct thr *t)
{
	int was = c->known && c->cur_tid, now = tid != 0;

	a->host.nrunning += now - was;
	c->known = 1;
	c->cur_tid = tid;
	c->cur_pid = pid;
	c->cur = t;
}

/* The model had t running on another CPU: a switch there went missing, so
 * that CPU's holder is unknown until its next switch. */
static void cpu_forget(struct agg *a, __u32 idx)
{
	struct cpu *c = &a->cpus[idx];

	a->host.drops.sched_mismatch++;
	if (c->known && c->cur_tid)
		a->host.nrunning--;
	c->known = 0;
	c->cur = NULL;
	c->cur_tid = c->cur_pid = 0;
}

/* ---- scheduler records --------------------------------------------------------- */

static void wait_end(struct agg *a, struct thr *t, __u64 ts)
{
	struct agg_proc *p = &t->proc->pub;

	charge(a, t, ts);
	if (ts >= t->wait_start) {
		__u64 lat = ts - t->wait_start;

		hist_record(t->wait_kind == WAIT_WAKEUP ? &p->runq_wakeup : &p->runq_preempt, lat);
		hist_record(&p->runq, lat);
		if (p->ivl_hist)
			hist_record(&p->runq_ivl, lat);
	}
	q_unlink(a, t);
}

static void switch_out(struct agg *a, struct thr *t, const struct ev_switch *e)
{
	int runnable = (e->flags & EV_SWITCH_PREEMPT) || e->prev_state == 0;

	if (t->q_cpu != NO_CPU) /* queued while running: a record went missing */
		q_unlink(a, t);
	touch(t->proc, e->h.ts);
	if (t->dead && !runnable) {
		/* its last switch: the kernel folds a thread's switch counts
		 * into the process before this one, so rusage never has it */
		thr_free(a, t);
		return;
	}
	if (t->run_cpu != NO_CPU && t->run_cpu != (__s32)e->h.cpu)
		cpu_forget(a, (__u32)t->run_cpu); /* the model had it elsewhere */
	t->run_cpu = NO_CPU;
	if (!t->dead) {
		if (runnable)
			t->proc->pub.tot.sw_invol++;
		else
			t->proc->pub.tot.sw_vol++;
	}
	if (runnable)
		q_start(a, t, (__s32)e->h.cpu, e->h.ts, WAIT_PREEMPT);
}

static void switch_in(struct agg *a, __u32 idx, const struct ev_switch *e)
{
	struct cpu *c = &a->cpus[idx];
	__u32 tid = e->next_tid, pid = e->next_pid;
	struct thr *t = NULL;

	if (c->cur && c->cur->run_cpu == (__s32)idx)
		c->cur->run_cpu = NO_CPU;
	if (tid) {
		t = thr_get(a, tid, pid, e->h.ts);
		if (t) {
			pid = t->pid;
			if (t->q_cpu != NO_CPU)
				wait_end(a, t, e->h.ts);
			if (t->run_cpu != NO_CPU && t->run_cpu != (__s32)idx)
				cpu_forget(a, (__u32)t->run_cpu);
			t->run_cpu = (__s32)idx;
			touch(t->proc, e->h.ts);
		} else if (!pid) { /* plain-tracepoint fallback: learn it from names */
			const struct name *n = name_find(a, tid);
			pid = n ? n->pid : 0;
		}
	}
	cpu_set_holder(a, c, tid, pid, t);
}

static void on_switch(struct agg *a, const struct ev_switch *e)
{
	__u64 ts = e->h.ts;
	struct cpu *c = cpu_get(a, e->h.cpu);
	struct thr *prev;

	if (!c)
		return;
	tick(a, ts);
	prev = e->h.tid ? thr_get(a, e->h.tid, e->h.pid, ts) : NULL;
	if (!c->known) { /* first switch seen here: prev held the CPU until now */
		cpu_set_holder(a, c, e->h.tid, e->h.pid, prev);
		c->since = ts;
		if (prev)
			prev->run_cpu = (__s32)e->h.cpu;
	} else if (c->cur_tid != e->h.tid)
		a->host.drops.sched_mismatch++;
	cpu_account(a, e->h.cpu, ts);
	if (prev)
		switch_out(a, prev, e);
	switch_in(a, e->h.cpu, e);
}

static void on_wakeup(struct agg *a, const struct ev_wakeup *e)
{
	struct thr *t;

	if (!cpu_get(a, e->target_cpu))
		return;
	tick(a, e->h.ts);
	t = thr_get(a, e->h.tid, e->h.pid, e->h.ts);
	if (!t || t->run_cpu != NO_CPU || t->q_cpu != NO_CPU)
		return; /* woken while still on a CPU, or already queued */
	touch(t->proc, e->h.ts);
	q_start(a, t, (__s32)e->target_cpu, e->h.ts, WAIT_WAKEUP);
}

static void on_migrate(struct agg *a, const struct ev_migrate *e)
{
	struct thr *t = map_get(&a->tids, e->h.tid);

	if (!t || t->q_cpu == NO_CPU || t->q_cpu == (__s32)e->dest_cpu)
		return; /* only a waiting thread's queue matters */
	if (!cpu_get(a, e->dest_cpu))
		return;
	tick(a, e->h.ts);
	charge(a, t, e->h.ts);
	q_unlink(a, t);
	q_link(a, t, (__s32)e->dest_cpu);
}

/* ---- lifecycle records ------------------------------------------------------------ */

static void set_identity(struct proc *p, const char *comm, const char *cmd, size_t cmdlen)
{
	copy_comm(p->pub.comm, comm);
	copy_text(p->pub.cmdline, sizeof(p->pub.cmdline), cmd, cmdlen);
}

static void on_proc(struct agg *a, const struct ev_proc *e)
{
	struct proc *p = map_get(&a->pids, e->h.pid);

	if (!e->h.pid)
		return;
	/* metadata written after the process already exited describes the
	 * exited entry, not a new process */
	if (!(p && p->pub.exited &&
	      (e->h.ts <= p->pub.exit_ts || (e->start_ns && e->start_ns <= p->pub.exit_ts))))
		p = proc_birth(a, e->h.pid, e->h.ts);
	if (!p)
		return;
	p->pub.described = 1;
	if ((e->h.cpu & EV_PROC_LATE) && !p->pub.late) {
		p->pub.late = 1;
		p->pub.target_since_ts = e->h.ts;
	}
	p->pub.ppid = e->ppid;
	p->pub.role = e->role < ROLE_COUNT ? e->role : ROLE_OTHER;
	if (e->start_ns)
		p->pub.start_ns = e->start_ns;
	set_identity(p, e->comm, e->cmdline, e->cmdline_len);
	name_put(a, e->h.pid, e->h.pid, e->comm);
	touch(p, e->h.ts);
}

static void on_fork(struct agg *a, const struct ev_fork *e)
{
	__u64 ts = e->h.ts;
	struct proc *parent, *child;

	name_put(a, e->child_tid, e->child_pid, e->comm);
	if (e->child_pid == e->h.pid) { /* a new thread */
		parent = proc_subject(a, e->h.pid, ts);
		if (parent)
			thr_born(a, e->child_tid, parent);
		return;
	}
	/* the child first: making room for it may fold an exited entry, and
	 * the parent pointer must not be that one */
	child = proc_birth(a, e->child_pid, ts);
	parent = proc_subject(a, e->h.pid, ts);
	if (!child)
		return;
	child->pub.ppid = e->h.pid;
	if (!child->pub.described) {
		copy_comm(child->pub.comm, e->comm);
		if (parent) { /* fork copies the arguments and, until told, the role */
			child->pub.role = parent->pub.role;
			memcpy(child->pub.cmdline, parent->pub.cmdline, sizeof(child->pub.cmdline));
		}
	}
	if (!child->pub.start_ns)
		child->pub.start_ns = ts;
	thr_born(a, e->child_tid, child);
}

/* exec by a non-leader thread: it takes over the leader's tid */
static void exec_rename(struct agg *a, const struct ev_exec *e)
{
	struct thr *t = map_get(&a->tids, e->old_tid), *lead = map_get(&a->tids, e->h.tid);

	if (lead && lead != t)
		thr_free(a, lead);
	if (!t)
		return;
	map_del(&a->tids, t->tid);
	t->tid = e->h.tid;
	map_put(&a->tids, t->tid, t);
	if (t->run_cpu != NO_CPU && a->cpus[t->run_cpu].cur_tid == e->old_tid)
		a->cpus[t->run_cpu].cur_tid = e->h.tid;
}

static void on_exec(struct agg *a, const struct ev_exec *e)
{
	struct proc *p = proc_birth(a, e->h.pid, e->h.ts);
	struct agg_mem *m;

	if (!p)
		return;
	set_identity(p, e->comm, e->cmdline, e->cmdline_len);
	name_put(a, e->h.pid, e->h.pid, e->comm);
	/* a new address space: heap and mappings start over, RSS continues */
	m = &p->pub.mem;
	m->brk_start = m->brk_cur = m->heap_bytes = 0;
	m->anon_live_bytes = m->anon_untracked_bytes = 0;
	if (p->anon)
		memset(p->anon, 0, ANON_SLOTS * sizeof(*p->anon));
	p->nanon = 0;
	sites_clear(a->sites, p->pub.sites, e->h.ts);
	if (e->old_tid && e->old_tid != e->h.tid)
		exec_rename(a, e);
	touch(p, e->h.ts);
}

static void on_exit_rec(struct agg *a, const struct ev_exit *e)
{
	struct proc *p = proc_live(a, e->h.pid, e->h.ts);
	struct thr *t = map_get(&a->tids, e->h.tid);

	if (t && !t->dead) {
		tick(a, e->h.ts);
		t->dead = 1;
		t->dead_ts = e->h.ts;
		t->proc->pub.nthreads--;
		if (t->run_cpu == NO_CPU && t->q_cpu == NO_CPU)
			thr_free(a, t); /* no last switch will come for it */
	}
	if (!p)
		return;
	touch(p, e->h.ts);
	if (e->group_dead && !p->pub.exited)
		proc_exit(a, p, e->exit_code, e->h.ts);
}

static void on_comm(struct agg *a, const struct ev_comm *e)
{
	/* under the tid for the fallback's tid -> pid, under the pid for the
	 * process's other threads */
	name_put(a, e->h.tid, e->h.pid, e->comm);
	if (e->h.pid && e->h.pid != e->h.tid)
		name_put(a, e->h.pid, e->h.pid, e->comm);
}

/* ---- memory records --------------------------------------------------------------- */

static inline __u32 anon_home(__u64 addr)
{
	return (__u32)((addr >> 12) * 0x9E3779B97F4A7C15ULL >> 57) & (ANON_SLOTS - 1);
}

static struct anon_slot *anon_find(struct proc *p, __u64 addr)
{
	if (!p->anon)
		return NULL;
	for (__u32 i = anon_home(addr);; i = (i + 1) & (ANON_SLOTS - 1)) {
		if (p->anon[i].addr == addr)
			return &p->anon[i];
		if (!p->anon[i].addr)
			return NULL;
	}
}

static void anon_del(struct proc *p, struct anon_slot *s)
{
	__u32 i = (__u32)(s - p->anon), j = i;

	for (;;) { /* backward shift, as map_del */
		j = (j + 1) & (ANON_SLOTS - 1);
		if (!p->anon[j].addr)
			break;
		__u32 k = anon_home(p->anon[j].addr);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			p->anon[i] = p->anon[j];
			i = j;
		}
	}
	p->anon[i].addr = p->anon[i].len = 0;
	p->nanon--;
}

/* table only; the caller made sure there is room */
static void anon_insert(struct proc *p, __u64 addr, __u64 len)
{
	__u32 i = anon_home(addr);

	while (p->anon[i].addr)
		i = (i + 1) & (ANON_SLOTS - 1);
	p->anon[i].addr = addr;
	p->anon[i].len = len;
	p->nanon++;
}

/* Invariant: anon_live_bytes == sum of table lengths + anon_untracked_bytes. */
static void anon_add(struct agg *a, struct proc *p, __u64 addr, __u64 len)
{
	struct agg_mem *m = &p->pub.mem;
	struct anon_slot *s = addr ? anon_find(p, addr) : NULL;

	m->anon_live_bytes += len;
	if (s) { /* MAP_FIXED over a mapping we knew */
		m->anon_live_bytes -= s->len;
		s->len = len;
	} else if (!addr || p->nanon >= AGG_ANON_TRACKED ||
		   (!p->anon && !(p->anon = calloc(ANON_SLOTS, sizeof(*p->anon))))) {
		m->anon_untracked_bytes += len;
		a->host.drops.anon_untracked++;
	} else {
		anon_insert(p, addr, len);
	}
}

static __u64 take(__u64 *pool, __u64 want)
{
	__u64 t = want < *pool ? want : *pool;

	*pool -= t;
	return t;
}

/* Removes [addr, addr+len) from the known anonymous mappings, walking
 * across adjacent ones (one munmap may cover several mmaps).  Returns 1 if
 * addr started a known mapping. */
static int anon_remove(struct proc *p, __u64 addr, __u64 len)
{
	struct agg_mem *m = &p->pub.mem;
	int found = 0;

	for (int hops = 0; len && hops < 8; hops++) {
		struct anon_slot *s = anon_find(p, addr);
		__u64 got, rest;

		if (!s)
			break;
		found = 1;
		got = len < s->len ? len : s->len;
		rest = s->len - got;
		anon_del(p, s);
		if (rest) /* the mapping's head went: it now starts later */
			anon_insert(p, addr + got, rest);
		take(&m->anon_live_bytes, got);
		addr += got;
		len -= got;
	}
	if (!found)
		take(&m->anon_live_bytes, take(&m->anon_untracked_bytes, len));
	return found;
}

/* The process a memory syscall record belongs to, when the call succeeded;
 * a failed call only counts as one. */
static struct proc *mem_call(struct agg *a, const struct ev_hdr *h, int ok)
{
	struct proc *p = proc_subject(a, h->pid, h->ts);

	if (!p)
		return NULL;
	touch(p, h->ts);
	if (!ok) {
		p->pub.tot.failed_calls++;
		return NULL;
	}
	return p;
}

static void on_mmap(struct agg *a, const struct ev_mmap *e)
{
	struct proc *p = mem_call(a, &e->h, addr_ok(e->ret));
	struct agg_counters *c;

	if (!p)
		return;
	c = &p->pub.tot;
	c->mmap_calls++;
	c->mmap_bytes += e->len;
	if (e->flags & MAP_ANONYMOUS_FLAG) {
		c->mmap_anon_bytes += e->len;
		anon_add(a, p, (__u64)e->ret, page_round(a, e->len));
	}
}

static void on_munmap(struct agg *a, const struct ev_munmap *e)
{
	struct proc *p = mem_call(a, &e->h, e->ret == 0);

	if (!p)
		return;
	p->pub.tot.munmap_calls++;
	p->pub.tot.munmap_bytes += e->len;
	anon_remove(p, e->addr, page_round(a, e->len));
	sites_release(a->sites, p->pub.sites, e->addr, e->len, e->h.ts);
}

static void on_mremap(struct agg *a, const struct ev_mremap *e)
{
	struct proc *p = mem_call(a, &e->h, addr_ok(e->ret));
	struct agg_counters *c;

	if (!p)
		return;
	c = &p->pub.tot;
	c->mremap_calls++;
	if (e->new_len > e->old_len)
		c->mremap_grow_bytes += e->new_len - e->old_len;
	else
		c->mremap_shrink_bytes += e->old_len - e->new_len;
	/* an anonymous mapping we knew moves/resizes; others are not ours */
	if (anon_find(p, e->old_addr) && anon_remove(p, e->old_addr, page_round(a, e->old_len)))
		anon_add(a, p, (__u64)e->ret, page_round(a, e->new_len));
	/* sampled pages do not follow a move (their new addresses are
	 * sampled again as they fault); a shrink gives back its tail */
	if ((__u64)e->ret != e->old_addr)
		sites_release(a->sites, p->pub.sites, e->old_addr, e->old_len, e->h.ts);
	else if (e->new_len < e->old_len)
		sites_release(a->sites, p->pub.sites, e->old_addr + e->new_len, e->old_len - e->new_len, e->h.ts);
}

static void on_madvise(struct agg *a, const struct ev_madvise *e)
{
	struct proc *p = mem_call(a, &e->h, e->ret == 0);
	struct agg_counters *c;

	if (!p)
		return;
	c = &p->pub.tot;
	switch (e->advice) {
	case ADV_DONTNEED:
		c->madv_dontneed_calls++;
		c->madv_dontneed_bytes += e->len;
		sites_release(a->sites, p->pub.sites, e->addr, e->len, e->h.ts);
		break;
	case ADV_FREE:
		c->madv_free_calls++;
		c->madv_free_bytes += e->len;
		sites_release(a->sites, p->pub.sites, e->addr, e->len, e->h.ts);
		break;
	default:
		c->madv_other_calls++;
		c->madv_other_bytes += e->len;
	}
}

static void on_brk(struct agg *a, const struct ev_brk *e)
{
	/* brk(2) reports failure by returning the unchanged break */
	struct proc *p = mem_call(a, &e->h, !e->req || e->new_brk == e->req);
	struct agg_mem *m;

	if (!p)
		return;
	m = &p->pub.mem;
	p->pub.tot.brk_calls++;
	if (!m->brk_start)
		m->brk_start = e->old_brk ? e->old_brk : e->new_brk;
	if (e->new_brk > e->old_brk)
		p->pub.tot.brk_grow_bytes += e->new_brk - e->old_brk;
	else
		p->pub.tot.brk_shrink_bytes += e->old_brk - e->new_brk;
	if (e->new_brk < e->old_brk)
		sites_release(a->sites, p->pub.sites, e->new_brk, e->old_brk - e->new_brk, e->h.ts);
	m->brk_cur = e->new_brk;
	m->heap_bytes = m->brk_cur > m->brk_start ? m->brk_cur - m->brk_start : 0;
	if (m->heap_bytes > m->heap_peak_bytes)
		m->heap_peak_bytes = m->heap_bytes;
}

/* ---- RSS ----------------------------------------------------------------------- */

static inline __u64 rss_bucket(const struct agg_rss_series *s, __u64 ts)
{
	return (ts - s->origin) / s->step_ns;
}

/* Doubles the step until at most half the points remain (and fewer than
 * room, when memory ran out before the cap): amortised O(1) per point
 * however sparse the samples are. */
static void series_compact(struct agg *a, struct agg_rss_series *s, __u32 room)
{
	__u32 max_n = room - 1 < s->cap / 2 ? room - 1 : s->cap / 2;

	do {
		__u32 j = 0;

		s->step_ns *= 2;
		a->host.drops.rss_downsample++;
		for (__u32 i = 0; i < s->n; i++) {
			struct agg_rss_point *q = &s->pts[i];

			if (j && rss_bucket(s, s->pts[j - 1].ts) == rss_bucket(s, q->ts)) {
				struct agg_rss_point *d = &s->pts[j - 1];
				if (q->min < d->min)
					d->min = q->min;
				if (q->max > d->max)
					d->max = q->max;
				d->last = q->last;
				d->anon = q->anon;
			} else {
				s->pts[j++] = *q;
			}
		}
		s->n = j;
	} while (s->n > max_n);
}

static void point_update(struct agg_rss_point *q, __u64 rss, __u64 anon)
{
	if (rss < q->min)
		q->min = rss;
	if (rss > q->max)
		q->max = rss;
	q->last = rss;
	q->anon = anon;
}

/* Room for one more point: the array doubles from 8 up to the cap.  0 when
 * it cannot grow (the cap, or out of memory): the caller compacts. */
static int series_grow(struct proc *p)
{
	struct agg_rss_series *s = &p->pub.rss;
	__u32 n = p->pts_alloc ? 2 * p->pts_alloc : 8;
	struct agg_rss_point *pts;

	if (s->n < p->pts_alloc)
		return 1;
	if (n > s->cap)
		n = s->cap;
	if (n <= p->pts_alloc || !(pts = realloc(s->pts, n * sizeof(*pts))))
		return 0;
	s->pts = pts;
	p->pts_alloc = n;
	return 1;
}

static void series_add(struct agg *a, struct proc *p, __u64 ts, __u64 rss, __u64 anon)
{
	struct agg_rss_series *s = &p->pub.rss;
	struct agg_rss_point *q;

	if (!s->n) {
		s->origin = ts;
	} else {
		q = &s->pts[s->n - 1];
		/* same step, or a late sample: fold into the last point */
		if (ts < q->ts || rss_bucket(s, ts) == rss_bucket(s, q->ts)) {
			point_update(q, rss, anon);
			return;
		}
		if (!series_grow(p)) {
			series_compact(a, s, p->pts_alloc);
			q = &s->pts[s->n - 1];
			if (rss_bucket(s, ts) == rss_bucket(s, q->ts)) {
				point_update(q, rss, anon);
				return;
			}
		}
	}
	if (!s->n && !series_grow(p))
		return; /* out of memory before the first point: the series stays empty */
	q = &s->pts[s->n++];
	q->ts = ts;
	q->min = q->max = q->last = rss;
	q->anon = anon;
}

static void on_rss(struct agg *a, const struct ev_rss *e)
{
	struct proc *p = proc_subject(a, e->h.pid, e->h.ts);
	struct agg_mem *m;
	__u64 ts = e->h.ts;

	if (!p)
		return;
	touch(p, ts);
	m = &p->pub.mem;
	/* -1: unchanged since this process's previous record */
	if (e->file >= 0)
		m->file = (__u64)e->file, m->rss_fields_seen |= 1;
	if (e->anon >= 0)
		m->anon = (__u64)e->anon, m->rss_fields_seen |= 2;
	if (e->swap >= 0)
		m->swap = (__u64)e->swap, m->rss_fields_seen |= 4;
	if (e->shmem >= 0)
		m->shmem = (__u64)e->shmem, m->rss_fields_seen |= 8;
	m->rss = m->anon + m->file + m->shmem;
	if (!p->pub.tot.rss_samples++) {
		m->rss_start = m->rss_peak = m->rss;
		m->rss_first_ts = m->rss_peak_ts = ts;
	}
	if (m->rss > m->rss_peak) {
		m->rss_peak = m->rss;
		m->rss_peak_ts = ts;
	}
	if (ts > m->rss_last_ts)
		m->rss_last_ts = ts;
	series_add(a, p, ts, m->rss, m->anon);
}

static void on_faults(struct agg *a, const struct ev_faults *e)
{
	struct proc *p = proc_subject(a, e->h.pid, e->h.ts);

	if (!p)
		return;
	touch(p, e->h.ts);
	p->pub.tot.page_faults += e->count;
	p->pub.tot.major_faults += e->major;
}

static void on_site_sample(struct agg *a, const struct ev_site_sample *e)
{
	struct proc *p = proc_subject(a, e->h.pid, e->h.ts);

	if (!p || !a->sites)
		return;
	touch(p, e->h.ts);
	if (!sites_sample(a->sites, &p->pub.sites, e))
		a->host.drops.site_samples++;
}

const struct site_model *agg_sites(const struct agg *a)
{
	return a->sites;
}

/* ---- dispatch ------------------------------------------------------------------ */

#define AS(type, rec) ((const struct type *)(rec))

static void host_count(struct agg *a, const struct ev_hdr *r)
{
	struct agg_host *h = &a->host;

	if (!h->tot.events++ || r->ts < h->first_ts)
		h->first_ts = r->ts;
	h->tot.by_type[r->type]++;
	if (r->cpu >= h->ncpus && r->cpu < a->lim.max_cpus)
		h->ncpus = r->cpu + 1;
	if (r->ts > h->last_ts)
		h->last_ts = r->ts;
}

void agg_event(struct agg *a, const struct ev_hdr *r)
{
	size_t size;

	/* decode.c is the one gate: a record the caller did not check (a
	 * test, a bug) is counted, never read past its size */
	if (ev_check(r, r->size, &size) != EV_OK) {
		a->host.tot.bad_records++;
		return;
	}
	host_count(a, r);
	switch (r->type) {
	case EV_SWITCH: on_switch(a, AS(ev_switch, r)); break;
	case EV_WAKEUP: on_wakeup(a, AS(ev_wakeup, r)); break;
	case EV_FAULTS: on_faults(a, AS(ev_faults, r)); break;
	case EV_RSS: on_rss(a, AS(ev_rss, r)); break;
	case EV_MIGRATE: on_migrate(a, AS(ev_migrate, r)); break;
	case EV_MMAP: on_mmap(a, AS(ev_mmap, r)); break;
	case EV_MUNMAP: on_munmap(a, AS(ev_munmap, r)); break;
	case EV_MREMAP: on_mremap(a, AS(ev_mremap, r)); break;
	case EV_MADVISE: on_madvise(a, AS(ev_madvise, r)); break;
	case EV_BRK: on_brk(a, AS(ev_brk, r)); break;
	case EV_FORK: on_fork(a, AS(ev_fork, r)); break;
	case EV_EXEC: on_exec(a, AS(ev_exec, r)); break;
	case EV_EXIT: on_exit_rec(a, AS(ev_exit, r)); break;
	case EV_COMM: on_comm(a, AS(ev_comm, r)); break;
	case EV_LOST: a->host.tot.lost += AS(ev_lost, r)->count; break;
	case EV_PROC: on_proc(a, AS(ev_proc, r)); break;
	case EV_SITE_FRAME: if (a->sites) sites_frame(a->sites, AS(ev_site_frame, r)); break;
	case EV_SITE_STACK: if (a->sites) sites_stack(a->sites, AS(ev_site_stack, r)); break;
	case EV_SITE_SAMPLE: on_site_sample(a, AS(ev_site_sample, r)); break;
	}
}

/* ---- reading side ------------------------------------------------------------------ */

/* Nothing can change an exited process's numbers any more: its records are
 * in (twice the grace time, for records out of order) and none of its
 * threads waits in a run queue (only waiters are charged). */
static int compactable(const struct proc *p, __u64 now)
{
	if (p->compact || now <= p->pub.exit_ts + 2 * AGG_EXIT_GRACE_NS)
		return 0;
	for (const struct thr *t = p->threads; t; t = t->pnext)
		if (t->q_cpu != NO_CPU)
			return 0;
	return 1;
}

/* Keeps what sinks read (pub, histograms, the RSS series trimmed to its
 * points) and lets the hot-path tables go.  pub.wb was just published; what
 * it does not list stays in runq_other_ns through shed_ns. */
static void proc_compact(struct proc *p)
{
	struct agg_rss_series *s = &p->pub.rss;

	p->shed_ns = p->pub.tot.runq_other_ns;
	p->shed_base = p->pub.base.runq_other_ns;
	p->compact = 1;
	wbh_free(&p->wbh);
	free(p->anon);
	p->anon = NULL;
	p->nanon = 0;
	if (s->n && s->n < p->pts_alloc) {
		struct agg_rss_point *pts = realloc(s->pts, s->n * sizeof(*pts));

		if (pts) {
			s->pts = pts;
			p->pts_alloc = s->n;
		}
	}
}

void agg_settle(struct agg *a, __u64 now)
{
	if (!now)
		now = a->host.last_ts;
	if (!a->host.sched_start_ts)
		return; /* no scheduler record yet: nothing is open */
	tick(a, now);
	for (__u32 i = 0; i < a->host.ncpus; i++) {
		cpu_account(a, i, now);
		seg_flush(a, &a->cpus[i]);
	}
	for (size_t i = 0; i < a->host.nprocs; i++)
		wb_publish(a, a->procs[i]);
	for (struct proc *p = a->xhead; p; p = p->xnext)
		if (compactable(p, now))
			proc_compact(p);
}

void agg_interval_reset(struct agg *a, __u64 now)
{
	struct agg_host *h = &a->host;

	agg_settle(a, now);
	a->intervals = 1;
	for (size_t i = 0; i < a->host.nprocs; i++) {
		struct proc *pp = a->procs[i];
		struct agg_proc *p = &pp->pub;

		wbh_interval_start(&pp->wbh);
		pp->shed_base = pp->shed_ns;
		pp->wb_pub_held = ~0ULL; /* the bases moved */
		for (__u32 k = 0; pp->compact && k < p->nwb; k++)
			p->wb[k].base_ns = p->wb[k].ns;
		wb_publish(a, pp);
		p->base = p->tot;
		hist_reset(&p->runq_ivl);
		p->ivl_hist = 1;
	}
	h->base = h->tot;
	memcpy(a->busy_base, a->busy, a->lim.max_cpus * sizeof(*a->busy));
	h->ivl_start_ts = h->accounted_ts ? h->accounted_ts : h->last_ts;
}

/* Threads whose exit we saw but whose last switch never came stay "running"
 * in the model; after the grace time they are let go. */
static void reap_threads(struct agg *a, __u64 now)
{
	for (__u32 i = 0; i < a->pool_used; i++) {
		struct thr *t = &a->pool[i];

		if (t->used && t->dead && now > t->dead_ts + AGG_EXIT_GRACE_NS)
			thr_free(a, t);
	}
}

size_t agg_reap(struct agg *a, __u64 now, __u64 keep_ns)
{
	size_t n = 0;

	if (!now)
		now = a->host.last_ts;
	if (a->host.sched_start_ts)
		tick(a, now);
	while (a->xhead && now > keep_ns && a->xhead->pub.exit_ts < now - keep_ns) {
		proc_fold(a, a->xhead);
		n++;
	}
	reap_threads(a, now);
	return n;
}

size_t agg_nprocs(const struct agg *a)
{
	return a->host.nprocs;
}

const struct agg_proc *agg_proc_at(const struct agg *a, size_t i)
{
	return i < a->host.nprocs ? &a->procs[i]->pub : NULL;
}

const struct agg_proc *agg_find(const struct agg *a, __u32 pid)
{
	const struct proc *p = pid ? map_get(&a->pids, pid) : NULL;

	return p ? &p->pub : NULL;
}

const struct agg_host *agg_host(const struct agg *a)
{
	return &a->host;
}

void agg_set_ncpus(struct agg *a, unsigned ncpus)
{
	if (ncpus > a->lim.max_cpus)
		ncpus = a->lim.max_cpus;
	if (ncpus > a->host.ncpus)
		a->host.ncpus = ncpus;
}

double agg_runnable_avg(const struct agg *a, int interval)
{
	const struct agg_host *h = &a->host;
	__u64 start = interval ? h->ivl_start_ts : h->sched_start_ts, sum;

	if (!h->sched_start_ts || h->accounted_ts <= start)
		return 0.0;
	sum = h->tot.running_task_ns + h->tot.waiting_task_ns;
	if (interval)
		sum -= h->base.running_task_ns + h->base.waiting_task_ns;
	return (double)sum / (double)(h->accounted_ts - start);
}

/* ---- construction -------------------------------------------------------------- */

static void limits_fill(struct agg_limits *l, const struct agg_limits *in)
{
	static const struct agg_limits def = {
		.max_procs = 1024,
		.max_exited = 256,
		.max_threads = 16384,
		.max_cpus = 1024,
		.max_names = 4096,
		.rss_points = 240,
		.rss_step_ns = 100ULL * 1000 * 1000,
		.page_size = 4096,
	};

	*l = in ? *in : def;
	if (!l->max_procs)
		l->max_procs = def.max_procs;
	if (!l->max_exited)
		l->max_exited = def.max_exited;
	if (!l->max_threads)
		l->max_threads = def.max_threads;
	if (!l->max_cpus)
		l->max_cpus = def.max_cpus;
	if (!l->max_names)
		l->max_names = def.max_names;
	if (!l->rss_points)
		l->rss_points = def.rss_points;
	if (l->rss_points < 4)
		l->rss_points = 4;
	if (!l->rss_step_ns)
		l->rss_step_ns = def.rss_step_ns;
	if (!l->page_size)
		l->page_size = def.page_size;
}

struct agg *agg_new(const struct agg_limits *lim)
{
	struct agg *a = calloc(1, sizeof(*a));
	__u32 nn = 16, bits = 4;

	if (!a)
		return NULL;
	limits_fill(&a->lim, lim);
	while (nn < a->lim.max_names) {
		nn *= 2;
		bits++;
	}
	a->names_mask = nn - 1;
	a->names_shift = 32 - bits;
	a->cpus = calloc(a->lim.max_cpus, sizeof(*a->cpus));
	a->busy = calloc(a->lim.max_cpus, sizeof(*a->busy));
	a->busy_base = calloc(a->lim.max_cpus, sizeof(*a->busy_base));
	a->pool = calloc(a->lim.max_threads, sizeof(*a->pool));
	a->procs = calloc(a->lim.max_procs, sizeof(*a->procs));
	a->names = calloc(nn, sizeof(*a->names));
	a->sites = sites_new(a->lim.page_size);
	if (!a->cpus || !a->busy || !a->busy_base || !a->pool || !a->procs || !a->names || !a->sites ||
	    map_init(&a->pids, a->lim.max_procs) || map_init(&a->tids, a->lim.max_threads)) {
		agg_free(a);
		return NULL;
	}
	a->host.cpu_busy_ns = a->busy;
	a->host.cpu_busy_base = a->busy_base;
	return a;
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	for (size_t i = 0; a->procs && i < a->host.nprocs; i++)
		proc_free(a->procs[i]);
	free(a->procs);
	for (__u32 i = 0; a->cpus && i < a->lim.max_cpus; i++)
		free(a->cpus[i].seg);
	free(a->cpus);
	free(a->busy);
	free(a->busy_base);
	free(a->pool);
	free(a->names);
	free(a->pids.s);
	free(a->tids.s);
	sites_free(a->sites);
	free(a);
}

/* From the last point back to the point at least a minute older (or the
 * oldest), scaled to a minute: a trend, not a forecast. */
double agg_rss_trend_per_min(const struct agg_rss_series *s)
{
	const struct agg_rss_point *last, *from;

	if (s->n < 2)
		return 0;
	last = &s->pts[s->n - 1];
	from = &s->pts[0];
	for (unsigned i = s->n - 1; i-- > 0;) {
		from = &s->pts[i];
		if (last->ts - from->ts >= 60000000000ull)
			break;
	}
	if (last->ts <= from->ts)
		return 0;
	return ((double)last->last - (double)from->last) * 60e9 / (double)(last->ts - from->ts);
}
