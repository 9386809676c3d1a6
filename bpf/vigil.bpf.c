// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vigil's kernel side: page faults, memory syscalls, RSS and scheduler events
 * of the tracked processes, streamed to user space through one ring buffer.
 *
 * Cost rules (see docs/architecture.md):
 *  - never wake the consumer per event: BPF_RB_NO_WAKEUP unless the buffer is
 *    filling up; user space drains on a timer.
 *  - the hottest paths (page faults, rss_stat, sched_switch) touch a per-CPU
 *    slot first and a hash map only when they must.
 *  - faults and RSS changes are coalesced per CPU: counts stay exact, the
 *    time resolution stays under VIGIL_COALESCE_NS.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


/* Set by user space before load. */
const volatile bool track_all = false;     /* --all */
const volatile bool track_exec = false;    /* pattern targets: track new execs provisionally */
const volatile bool sched_fallback = false; /* plain tracepoints: no task pointers */
const volatile __u32 self_tgid = 0;        /* vigil itself stays out of the stream */
const volatile __u64 wake_bytes = 1 << 20; /* wake the consumer past this much pending data */
const volatile __s64 page_size = 4096;
const volatile bool fault_counters = false; /* faults from task counters, no per-fault program */
/* The coalescing window in jiffies: VIGIL_COALESCE_NS or one tick, the
 * longer (a tick is 4 ms at the usual HZ=250, 10 ms at HZ=100).  From user
 * space, which knows CONFIG_HZ where no kernel config can be read. */
const volatile __u64 coalesce_j = 1;
/* bpf_get_current_task_btf() works: the kernel has BTF of its own and the
 * helper (5.11+).  Otherwise current is read through bpf_get_current_task()
 * and CO-RE probe reads (against the --btf file where the kernel has no BTF). */
const volatile bool current_btf = true;
/* Syscall arguments from the registers the entry saved (bpf_task_pt_regs,
 * 5.15+, needs current_btf); else sys_enter programs keep them per thread. */
const volatile bool sc_regs = true;

/* Bumped by user space whenever it changes `targets`, so per-CPU caches of
 * "is the current task tracked" know to look again. */
__u32 targets_gen = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);  /* tgid */
	__type(value, __u8); /* VIGIL_TRACK_* */
} targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_stats);
} stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_cpu_state);
} cpu_states SEC(".maps");

/* How many tracked tasks wait in each CPU's run queue.  While it is > 0,
 * every switch on that CPU is streamed, so user space can tell who held the
 * CPU during the wait even when the holder itself is not tracked. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024); /* resized to the number of possible CPUs */
	__type(key, __u32);
	__type(value, __u32);
} waiters SEC(".maps");

/* tid of a tracked, runnable, not running task -> CPU whose queue it is on */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} waiting SEC(".maps");

/* the arguments of a memory syscall, read at its exit */
struct sc_args {
	__u64 a[5];
};

/* brk: the break before the call, which its exit can no longer see, from
 * the entry to the exit of tracked threads */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, __u64);
} brk_before SEC(".maps");

/* Without bpf_task_pt_regs (before 5.15, or no kernel BTF): the arguments
 * of a memory syscall, from its entry to its exit, per tracked thread */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32); /* tid */
	__type(value, struct sc_args);
} sc_saved SEC(".maps");

/* mm_struct -> tgid: rss_stat can fire for an mm that is not current's
 * (reclaim, exit), and must still be charged to its process. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u32);
} mm_owner SEC(".maps");

/* processes whose name was already streamed as a CPU holder (EV_COMM) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} comm_sent SEC(".maps");

/* plain-tracepoint fallback: tid -> tgid, learnt when tasks leave a CPU */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u32);
} tid_tgid SEC(".maps");

/* ---- helpers ------------------------------------------------------------ */

static __always_inline struct vigil_stats *stats_slot(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&stats, &zero);
}

static __always_inline struct vigil_cpu_state *cpu_slot(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&cpu_states, &zero);
}

/* The counters are per CPU, but a program in interrupt context can run
 * between another's load and store on the same CPU: plain increments lost
 * a few (received read 2 above produced after 24M records under --all).
 * Atomic adds keep produced == received + lost exact; on an uncontended
 * per-CPU line they cost nothing measurable here (sched_switch 257-307 ns
 * per run either way). */
static __always_inline void *reserve(__u32 size)
{
	struct vigil_stats *s = stats_slot();
	void *rec;

	if (s)
		__sync_fetch_and_add(&s->produced, 1);
	rec = bpf_ringbuf_reserve(&rb, size, 0);
	if (!rec && s)
		__sync_fetch_and_add(&s->lost, 1);
	return rec;
}

static __always_inline void submit(void *rec)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) >= wake_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

static __always_inline void fill_hdr(struct ev_hdr *h, __u16 type, __u16 size, __u64 ts,
				     __u32 tgid, __u32 tid)
{
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ts = ts;
	h->pid = tgid;
	h->tid = tid;
}

/* How a process is tracked: VIGIL_TRACK_*, 0 for not at all */
static __always_inline __u8 track_state(__u32 tgid)
{
	__u8 *how;

	if (tgid == self_tgid || tgid == 0)
		return 0;
	if (track_all)
		return VIGIL_TRACK_CONFIRMED;
	how = bpf_map_lookup_elem(&targets, &tgid);
	return how ? *how : 0;
}

static __always_inline bool is_tracked(__u32 tgid)
{
	return track_state(tgid) != 0;
}

/* Tracked, and chosen by user space: not a process that exec'd a moment
 * ago and may be no target at all.  Every exec on the host makes one such
 * process for the time user space takes to read its exec record; an exec
 * storm would otherwise fill the ring buffer with 8 KiB samples that user
 * space then drops.  A target's first milliseconds (the dynamic loader)
 * go unsampled. */
static __always_inline bool is_confirmed(__u32 tgid)
{
	return track_state(tgid) == VIGIL_TRACK_CONFIRMED;
}

/* Is the task running on this CPU tracked?  Uses the per-CPU cache set at
 * sched_switch; falls back to the map when the cache is stale. */
static __always_inline bool current_tracked(struct vigil_cpu_state *cs, __u32 tid, __u32 tgid)
{
	__u32 gen = targets_gen;

	if (cs->cur_tid == tid && cs->cur_gen == gen && tid != 0)
		return cs->cur_tracked;
	cs->cur_tid = tid;
	cs->cur_tgid = tgid;
	cs->cur_gen = gen;
	cs->cur_tracked = is_tracked(tgid);
	return cs->cur_tracked;
}

static __always_inline void flush_faults(struct vigil_cpu_state *cs)
{
	struct ev_faults *e;

	if (!cs->fault_count)
		return;
	e = reserve(sizeof(*e));
	if (e) {
		fill_hdr(&e->h, EV_FAULTS, sizeof(*e), cs->fault_last, cs->fault_tgid, cs->fault_tid);
		e->count = cs->fault_count;
		e->major = 0;
		e->first_ts = cs->fault_first;
		submit(e);
	}
	cs->fault_count = 0;
}

/* ts: now, or 0 to read the clock (only when there is something to send) */
static __always_inline void flush_rss(struct vigil_cpu_state *cs, __u64 ts)
{
	struct ev_rss *e;

	if (!cs->rss_dirty)
		return;
	e = reserve(sizeof(*e));
	if (e) {
		/* the values hold from their last change until now */
		fill_hdr(&e->h, EV_RSS, sizeof(*e), ts ? ts : bpf_ktime_get_ns(), cs->rss_tgid, 0);
		e->file = cs->rss[0];
		e->anon = cs->rss[1];
		e->swap = cs->rss[2];
		e->shmem = cs->rss[3];
		submit(e);
	}
	cs->rss_dirty = 0;
}

/* ---- page faults ---------------------------------------------------------- */

/* Counter mode.  The kernel already counts every fault of a task, user- and
 * kernel-mode, minor and major (task->min_flt/maj_flt, what getrusage
 * reports), so instead of a program on every fault vigil reads the
 * counters when it runs anyway: when a tracked thread leaves its CPU, on
 * the RSS changes most faults make (at most every VIGIL_COALESCE_NS while
 * it keeps running) and at exit, and streams the difference to what it
 * reported last.  A fault then costs nothing extra.
 *
 * What was reported last is kept with the task (task storage), so nothing
 * is lost when a switch-in goes unseen (it happens: now and then the
 * kernel switches a task in without the tracepoint's programs seeing it).
 * Before a thread's first report, its counters at its last switch-in seen
 * on this CPU are the base (a thread tracked while it waited for a CPU). */
/* current, for CO-RE probe reads (BPF_CORE_READ): BTF-typed where the
 * kernel has BTF.  The branch not taken is dead code to the verifier
 * (current_btf is read-only), so a kernel without BTF or the helper never
 * sees it. */
static __always_inline struct task_struct *current_task(void)
{
	if (current_btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

struct flt_seen {
	__u64 min, maj; /* the counters when last reported */
	__u64 ts;       /* and when */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct flt_seen);
} flt_seen SEC(".maps");

/* t switches in on this CPU: its counters, for its first report */
static __always_inline void faults_switch_in(struct vigil_cpu_state *cs, struct task_struct *t, __u32 tid,
					     __u64 ts)
{
	cs->flt_tid = tid;
	cs->flt_min = t->min_flt;
	cs->flt_maj = t->maj_flt;
	cs->flt_ts = ts;
}

/* From now on: the faults t took so far are not reported. */
static __always_inline void faults_base(struct task_struct *t, __u64 ts)
{
	struct flt_seen *f = bpf_task_storage_get(&flt_seen, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (f) {
		f->min = t->min_flt;
		f->maj = t->maj_flt;
		f->ts = ts;
	}
}

/* t is tracked and on this CPU, or has just left it. */
static __always_inline void faults_report(struct vigil_cpu_state *cs, struct task_struct *t, __u32 tid,
					  __u32 tgid, __u64 ts)
{
	__u64 min = t->min_flt, maj = t->maj_flt;
	struct flt_seen *f;
	struct ev_faults *e;

	/* no fault since it was switched in: the common case on a switch,
	 * answered without the storage (whatever that holds stays due) */
	if (cs->flt_tid == tid && min == cs->flt_min && maj == cs->flt_maj)
		return;
	f = bpf_task_storage_get(&flt_seen, t, NULL, 0);
	if (!f) {
		f = bpf_task_storage_get(&flt_seen, t, NULL, BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (!f)
			return; /* no memory, or storage busy on this CPU: later */
		if (cs->flt_tid == tid) {
			f->min = cs->flt_min;
			f->maj = cs->flt_maj;
			f->ts = cs->flt_ts ? cs->flt_ts : ts;
		} else {
			/* running since before vigil attached: from now on */
			f->min = min;
			f->maj = maj;
			f->ts = ts;
			return;
		}
	}
	if (min == f->min && maj == f->maj)
		return;
	e = reserve(sizeof(*e));
	if (e) {
		fill_hdr(&e->h, EV_FAULTS, sizeof(*e), ts, tgid, tid);
		e->count = (__u32)((min - f->min) + (maj - f->maj));
		e->major = (__u32)(maj - f->maj);
		e->first_ts = f->ts;
		submit(e);
	}
	f->min = min;
	f->maj = maj;
	f->ts = ts;
}

/* Per-fault sources: faults counted in the CPU's slot. */
static __always_inline void on_fault(void)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct vigil_cpu_state *cs = cpu_slot();
	__u64 ts;

	if (!cs || !current_tracked(cs, tid, tgid))
		return;
	ts = bpf_ktime_get_ns();
	if (cs->fault_count && (cs->fault_tid != tid || ts - cs->fault_first >= VIGIL_COALESCE_NS))
		flush_faults(cs);
	if (!cs->fault_count) {
		cs->fault_tid = tid;
		cs->fault_tgid = tgid;
		cs->fault_first = ts;
	}
	cs->fault_count++;
	cs->fault_last = ts;
}

/* Test-run by user space on every CPU (BPF_F_TEST_RUN_ON_CPU: an IPI, so
 * current is the task interrupted there) just before it detaches: what is
 * still coalescing there goes out, and the task running at the end reports
 * its last faults, which would otherwise wait for a switch vigil no longer
 * sees. */
SEC("raw_tp")
int flush_running(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vigil_cpu_state *cs = cpu_slot();
	__u32 tid = (__u32)id, tgid = id >> 32;
	__u64 ts = bpf_ktime_get_ns();

	if (!cs)
		return 0;
	/* the counters source needs kernel BTF: dead code without it */
	if (fault_counters && tid && is_tracked(tgid))
		faults_report(cs, bpf_get_current_task_btf(), tid, tgid, ts);
	flush_faults(cs);
	flush_rss(cs, ts);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(pf_tp_btf)
{
	on_fault();
	return 0;
}

SEC("tp/exceptions/page_fault_user")
int pf_tp(void *ctx)
{
	on_fault();
	return 0;
}

/* PERF_COUNT_SW_PAGE_FAULTS with sample_period 1: the source on kernels
 * without exceptions:page_fault_user (arm64). */
SEC("perf_event")
int pf_perf(void *ctx)
{
	on_fault();
	return 0;
}

/* ---- allocation sites: sampled page faults ----------------------------------
 * A PERF_COUNT_SW_PAGE_FAULTS event per CPU overflows once in ~N faults
 * (user space varies N around its mean so that no periodic access pattern
 * aliases with it) and runs site_sample.  Faults of untracked tasks end
 * here; a tracked one's sample carries its user registers and the top of
 * its user stack (dwarf) or the frame-pointer walk (fp). */
const volatile __u32 site_mode = SITE_MODE_OFF;
/* Written by user space (the object's .data is shared memory):
 * site_weight, the mean period N, what a sample weighs; site_skip_mean, M:
 * the event overflows once in about N/M faults and one overflow in M
 * (drawn here) is a sample. */
__u64 site_weight = 1;
__u32 site_skip_mean = 1;
/* At most this many samples per CPU in SITE_CAP_NS (set before load): the
 * adaptive period reacts in 250 ms, and a process that starts faulting a
 * million pages a second would meanwhile send thousands of samples, each
 * an 8 KiB copy here and an unwinding in user space. */
const volatile __u32 site_cap = 0;
#define SITE_CAP_NS 100000000ull

struct site_cpu {
	__u64 carry;      /* weight of samples the cap refused, for the next one */
	__u64 cap_start;  /* the current SITE_CAP_NS window */
	__u32 countdown;  /* overflows until the next sample */
	__u32 cap_taken;  /* samples in it */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct site_cpu);
} site_cpus SEC(".maps");

/* Is this overflow a sample, and what does it weigh (0: no sample)?  Which
 * overflow is drawn here, uniformly in [M/2, 3M/2], rather than by changing
 * the event's period after each sample: PERF_EVENT_IOC_PERIOD makes the
 * next fault overflow at once, so samples would land on whatever code
 * faults first after user space's drain (malloc after a wake-up), not at
 * random.  A sample weighs the mean period N, not the faults counted since
 * the CPU's previous sample: those are every task's, and a process that
 * faults right after another one's burst would be given that burst. */
static __always_inline __u64 site_draw(void)
{
	__u32 key = 0, m = site_skip_mean;
	struct site_cpu *c = bpf_map_lookup_elem(&site_cpus, &key);
	__u64 w = site_weight;

	if (!c)
		return w;
	if (c->countdown > 1) {
		c->countdown--;
		return 0;
	}
	c->countdown = m >= 2 ? m / 2 + bpf_get_prandom_u32() % (m + 1) : 1;
	if (site_cap) {
		__u64 now = bpf_ktime_get_ns();

		if (now - c->cap_start > SITE_CAP_NS) {
			c->cap_start = now;
			c->cap_taken = 0;
		}
		/* over the cap: no sample, and its weight goes to the next one,
		 * so a burst is under-resolved but not under-counted */
		if (c->cap_taken >= site_cap) {
			c->carry += w;
			return 0;
		}
		c->cap_taken++;
	}
	w += c->carry;
	c->carry = 0;
	return w;
}

#if defined(__TARGET_ARCH_x86)
#define SITE_NREGS 17
/* DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8-r15, then rip */
#define SITE_FILL_REGS(r, p) do {						\
	(r)[0] = (p)->ax; (r)[1] = (p)->dx; (r)[2] = (p)->cx; (r)[3] = (p)->bx;	\
	(r)[4] = (p)->si; (r)[5] = (p)->di; (r)[6] = (p)->bp; (r)[7] = (p)->sp;	\
	(r)[8] = (p)->r8; (r)[9] = (p)->r9; (r)[10] = (p)->r10; (r)[11] = (p)->r11; \
	(r)[12] = (p)->r12; (r)[13] = (p)->r13; (r)[14] = (p)->r14;		\
	(r)[15] = (p)->r15; (r)[16] = (p)->ip;					\
} while (0)
/* A program may only load its context's registers whole, and they are
 * the user ABI's pt_regs (asm/ptrace.h), where cs is the 18th word.  Read
 * by that index, not as (p)->cs: the kernel's struct made cs a u16 in 6.9
 * (FRED), and a CO-RE relocation against 6.1's unsigned long cs refuses an
 * 8-byte load of a field that is 2 bytes here. */
#define SITE_CS_WORD 17
#define SITE_USER_MODE(p) ((((const volatile __u64 *)(p))[SITE_CS_WORD] & 3) == 3)
#define SITE_SP 7
#elif defined(__TARGET_ARCH_arm64)
#define SITE_NREGS 33
/* DWARF numbering: x0-x30, sp, then pc */
#define SITE_FILL_REGS(r, p) do {						\
	_Pragma("unroll") for (int i_ = 0; i_ < 31; i_++)			\
		(r)[i_] = (p)->regs[i_];					\
	(r)[31] = (p)->sp; (r)[32] = (p)->pc;					\
} while (0)
#define SITE_USER_MODE(p) ((*(volatile __u64 *)&(p)->pstate & 0xf) == 0) /* EL0t */
#define SITE_SP 31
#endif

/* Copies what there is of the stack's top: near the top of a stack the
 * whole copy would run off its mapping and fail, so shorter ones follow. */
static __always_inline __u16 copy_user_stack(__u8 *dst, __u64 sp)
{
	if (!bpf_probe_read_user(dst, VIGIL_SITE_STACK_BYTES, (void *)sp))
		return VIGIL_SITE_STACK_BYTES;
	if (!bpf_probe_read_user(dst, 4096, (void *)sp))
		return 4096;
	if (!bpf_probe_read_user(dst, 1024, (void *)sp))
		return 1024;
	if (!bpf_probe_read_user(dst, 256, (void *)sp))
		return 256;
	return 0;
}

/* ---- Python frames of a sampled fault (events.h: vigil_py_proc) ---- */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32); /* tgid */
	__type(value, struct vigil_py_proc);
} py_procs SEC(".maps");

/* thread id -> its PyThreadState: found by walking the interpreter's
 * thread list once, then checked against the state's own thread id */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} py_threads SEC(".maps");

static __always_inline __u64 user_word(__u64 addr)
{
	__u64 v = 0;

	bpf_probe_read_user(&v, sizeof(v), (void *)addr);
	return v;
}

/* The faulting thread's PyThreadState, 0 when it has none (a thread that
 * never ran Python, or one past VIGIL_PY_THREADS_MAX).  Looked up by the
 * thread's own id, not taken from the GIL's holder: a thread faulting in C
 * code that released the GIL is not the holder. */
static __always_inline __u64 py_thread_state(const struct vigil_py_proc *py, __u32 tid)
{
	__u64 *cached = bpf_map_lookup_elem(&py_threads, &tid), t;

	if (cached && *cached && user_word(*cached + py->tstate_native_tid) == tid)
		return *cached;
	t = user_word(user_word(py->interp_head) + py->interp_threads);
	for (int i = 0; i < VIGIL_PY_THREADS_MAX && t; i++) {
		if (user_word(t + py->tstate_native_tid) == tid) {
			bpf_map_update_elem(&py_threads, &tid, &t, BPF_ANY);
			return t;
		}
		t = user_word(t + py->tstate_next);
	}
	return 0;
}

/* a frame's head, copied whole: one read per frame instead of four (the
 * fields are picked out at offsets known only at run time, which a map
 * value allows, and the stack only since 5.12) */
struct py_frame_buf {
	__u8 b[VIGIL_PY_FRAME_BUF];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct py_frame_buf);
} py_frame_bufs SEC(".maps");

/* the word at a field's offset (8-aligned, user space checked it is within
 * VIGIL_PY_FRAME_READ) */
#define PY_FIELD_WORD(buf, off) (*(__u64 *)((buf)->b + ((off) & (VIGIL_PY_FRAME_BUF - 8))))

/* The thread's interpreter frames, innermost first, into r->py_*. */
static __always_inline void py_walk(struct ev_site_raw *r, __u32 tgid, __u32 tid, __u32 *flags)
{
	const struct vigil_py_proc *py = bpf_map_lookup_elem(&py_procs, &tgid);
	__u32 zero = 0;
	struct py_frame_buf *fb;
	__u64 t, f;
	int i;

	r->py_n = 0;
	if (!py || !(fb = bpf_map_lookup_elem(&py_frame_bufs, &zero)) || !(t = py_thread_state(py, tid)))
		return;
	f = user_word(t + py->tstate_frame);
	if (f && py->cframe_frame != VIGIL_PY_DIRECT)
		f = user_word(f + py->cframe_frame);
	for (i = 0; i < VIGIL_SITE_PY_MAX && f; i++) {
		if (bpf_probe_read_user(fb->b, VIGIL_PY_FRAME_READ, (void *)f))
			break;
		r->py_code[i] = PY_FIELD_WORD(fb, py->frame_code);
		r->py_instr[i] = PY_FIELD_WORD(fb, py->frame_instr);
		r->py_marker[i] = fb->b[py->frame_marker & (VIGIL_PY_FRAME_BUF - 1)];
		f = PY_FIELD_WORD(fb, py->frame_previous);
	}
	r->py_n = (__u16)i;
	if (f)
		*flags |= SITE_RAW_PY_TRUNCATED;
}

SEC("perf_event")
int site_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct vigil_stats *st;
	struct ev_site_raw *r;
	__u32 flags = 0;
	__u64 weight = site_draw();

	if (!weight || !is_confirmed(tgid))
		return 0;
	st = stats_slot();
	/* a burst of samples (8 KiB each) must never crowd out the events:
	 * past a quarter of the buffer they are skipped, and counted */
	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > bpf_ringbuf_query(&rb, BPF_RB_RING_SIZE) / 4) {
		if (st)
			__sync_fetch_and_add(&st->site_skipped, 1);
		return 0;
	}
	if (!SITE_USER_MODE(&ctx->regs)) {
		/* a fault taken by the kernel on user memory (read() into a
		 * new buffer): the user registers are the syscall entry's */
		if (!sc_regs) {
			if (st)
				__sync_fetch_and_add(&st->site_skipped, 1);
			return 0;
		}
		flags |= SITE_RAW_IN_KERNEL;
	}
	r = reserve(sizeof(*r));
	if (!r)
		return 0;
	fill_hdr(&r->h, EV_SITE_RAW, sizeof(*r), bpf_ktime_get_ns(), tgid, tid);
	r->addr = ctx->addr;
	r->weight = weight;
	r->nregs = SITE_NREGS;
	/* always from the context first: a load through a pointer that may be
	 * the context or not is refused, so the two sources never share code */
	SITE_FILL_REGS(r->regs, &ctx->regs);
	if (flags & SITE_RAW_IN_KERNEL) {
		bpf_user_pt_regs_t *u = (bpf_user_pt_regs_t *)r->data; /* scratch until the stack copy */

		if (bpf_probe_read_kernel(u, sizeof(*u), (void *)bpf_task_pt_regs(bpf_get_current_task_btf()))) {
			bpf_ringbuf_discard(r, BPF_RB_NO_WAKEUP);
			if (st)
				__sync_fetch_and_add(&st->site_skipped, 1);
			return 0;
		}
		SITE_FILL_REGS(r->regs, u);
	}
	if (site_mode == SITE_MODE_FP) {
		long n = bpf_get_stack(ctx, r->data, VIGIL_SITE_IPS_MAX * 8, BPF_F_USER_STACK);

		flags |= SITE_RAW_FP;
		r->data_len = n > 0 ? (__u16)n : 0;
	} else {
		flags |= SITE_RAW_DWARF;
		r->data_len = copy_user_stack(r->data, r->regs[SITE_SP]);
	}
	py_walk(r, tgid, tid, &flags);
	r->flags = flags;
	if (st)
		__sync_fetch_and_add(&st->site_taken, 1);
	submit(r);
	return 0;
}

/* ---- RSS ------------------------------------------------------------------- */

/* mm->rss_stat was an array of atomics before 6.2 and percpu_counters since;
 * both hold pages.  Reading the counter (not summing the per-CPU parts) is
 * what /proc/PID/status does too.  Both layouts are local flavours, so this
 * compiles against any vmlinux.h (arm64's comes from 6.1, x86's from 6.18)
 * and relocates on any kernel: a flavour whose rss_stat type does not match
 * the running kernel's (array vs struct) does not exist there. */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));
struct mm_struct___new {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

/* constant index: the relocation then uses the kernel's element size, not
 * the header's sizeof(struct percpu_counter).  mm is a trusted BTF pointer
 * (tp_btf argument): since 6.2 plain loads, no probe-read helper call, on the
 * hottest path after the fault itself.  Before 6.2 the verifier cannot walk
 * into an array of typedef'd atomics ("Type 'atomic_long_t' is not a
 * struct"), so the old layout is read with a CO-RE probe read. */
#define RSS_READ(mm, i)								\
	(bpf_core_field_exists(struct mm_struct___new, rss_stat) ?		\
	 ((struct mm_struct___new *)(mm))->rss_stat[i].count :			\
	 BPF_CORE_READ((struct mm_struct___old *)(mm), rss_stat.count[i].counter))

static __always_inline __s64 rss_pages(struct mm_struct *mm, int member)
{
	__s64 v;

	switch (member) {
	case 0: v = RSS_READ(mm, 0); break;
	case 1: v = RSS_READ(mm, 1); break;
	case 2: v = RSS_READ(mm, 2); break;
	case 3: v = RSS_READ(mm, 3); break;
	default: return 0;
	}
	return v; /* on_rss() keeps a passing negative count at 0 */
}

/* the clock once, when first needed: *ts is 0 until then */
static __always_inline __u64 lazy_now(__u64 *ts)
{
	if (!*ts)
		*ts = bpf_ktime_get_ns();
	return *ts;
}

/* One change of tgid's RSS counter `member`, now `bytes`: coalesced per CPU.
 * own: the mm is current's (tid, and task when the kernel types it, are
 * current); remember: note mm `key` -> tgid for changes made from elsewhere. */
static __always_inline void on_rss(struct vigil_cpu_state *cs, struct task_struct *task, __u32 tid, __u32 tgid,
				   bool own, bool remember, __u64 key, int member, __s64 bytes)
{
	__u64 now_j = bpf_jiffies64(), ts = 0;

	if (cs->rss_dirty && (cs->rss_tgid != tgid || now_j - cs->rss_first_j >= coalesce_j))
		flush_rss(cs, lazy_now(&ts));
	/* most faults change RSS: the tick that keeps counted faults current
	 * while a thread runs without switching */
	if (fault_counters && own && task) {
		if (cs->flt_tick_tid != tid) {
			cs->flt_tick_tid = tid;
			cs->flt_tick_j = now_j;
		} else if (now_j - cs->flt_tick_j >= coalesce_j) {
			faults_report(cs, task, tid, tgid, lazy_now(&ts));
			cs->flt_tick_j = now_j;
		}
	}
	if (!cs->rss_dirty) {
		if (remember)
			bpf_map_update_elem(&mm_owner, &key, &tgid, BPF_ANY);
		cs->rss_tgid = tgid;
		cs->rss_first = lazy_now(&ts);
		cs->rss_first_j = now_j;
		cs->rss[0] = cs->rss[1] = cs->rss[2] = cs->rss[3] = -1;
		cs->rss_dirty = 1;
	}
	if (bytes < 0)
		bytes = 0;
	/* a switch, not an index: the verifier must see the bound */
	switch (member) {
	case 0: cs->rss[0] = bytes; break;
	case 1: cs->rss[1] = bytes; break;
	case 2: cs->rss[2] = bytes; break;
	default: cs->rss[3] = bytes; break;
	}
}

/* Fires on every change of a process's RSS counters: about once per
 * anonymous fault.  So it reads no precise clock (25 ns a call in a VM):
 * jiffies close the coalescing window, ktime is read once per window. */
SEC("tp_btf/rss_stat")
int BPF_PROG(rss_stat, struct mm_struct *mm, int member)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct vigil_cpu_state *cs = cpu_slot();
	__u64 key = (__u64)mm;
	bool own = task->mm == mm;
	__u32 tid = 0, tgid;

	if (!cs || member < 0 || member > 3)
		return 0;
	if (own) {
		tid = task->pid;
		tgid = task->tgid;
		if (!current_tracked(cs, tid, tgid))
			return 0;
	} else if (bpf_core_field_exists(mm->owner)) {
		/* with memcg the mm names its owner: no map, and never stale */
		struct task_struct *owner = BPF_CORE_READ(mm, owner);
		if (!owner)
			return 0;
		tgid = BPF_CORE_READ(owner, tgid);
		if (!is_tracked(tgid))
			return 0;
	} else {
		/* an mm freed and reallocated could inherit a dead process's
		 * entry: the map is a fallback, refreshed on every batch */
		__u32 *owner = bpf_map_lookup_elem(&mm_owner, &key);
		if (!owner)
			return 0;
		tgid = *owner;
	}
	on_rss(cs, task, tid, tgid, own, own && !bpf_core_field_exists(mm->owner), key, member,
	       rss_pages(mm, member) * page_size);
	return 0;
}

/* The plain tracepoint (no kernel BTF): the new size in bytes, whether the
 * mm is current's, and a hashed id of the mm that the owner map keys on. */
SEC("tp/kmem/rss_stat")
int rss_stat_tp(struct trace_event_raw_rss_stat *ctx)
{
	struct vigil_cpu_state *cs = cpu_slot();
	__u64 id = bpf_get_current_pid_tgid(), key = ctx->mm_id;
	__u32 tid = (__u32)id, tgid = id >> 32;
	int member = ctx->member;
	bool own = ctx->curr;

	if (!cs || member < 0 || member > 3)
		return 0;
	if (own) {
		if (!current_tracked(cs, tid, tgid))
			return 0;
	} else {
		__u32 *owner = bpf_map_lookup_elem(&mm_owner, &key);
		if (!owner)
			return 0;
		tid = 0;
		tgid = *owner;
	}
	on_rss(cs, NULL, tid, tgid, own, own, key, member, ctx->size);
	return 0;
}

/* ---- scheduler ------------------------------------------------------------- */

static __always_inline void waiters_add(__u32 cpu, int delta)
{
	__u32 *n = bpf_map_lookup_elem(&waiters, &cpu);

	if (n)
		__sync_fetch_and_add(n, delta);
}

/* tid is runnable and queued on cpu */
static __always_inline void set_waiting(__u32 tid, __u32 cpu)
{
	__u32 *old = bpf_map_lookup_elem(&waiting, &tid);

	if (old) {
		if (*old == cpu)
			return;
		waiters_add(*old, -1);
		*old = cpu;
	} else if (bpf_map_update_elem(&waiting, &tid, &cpu, BPF_NOEXIST)) {
		return;
	}
	waiters_add(cpu, 1);
}

static __always_inline void clear_waiting(__u32 tid)
{
	__u32 *cpu = bpf_map_lookup_elem(&waiting, &tid);

	if (!cpu)
		return;
	waiters_add(*cpu, -1);
	bpf_map_delete_elem(&waiting, &tid);
}

static __always_inline __u32 cpu_waiters(__u32 cpu)
{
	__u32 *n = bpf_map_lookup_elem(&waiters, &cpu);

	return n ? *n : 0;
}

static __always_inline void send_comm(__u64 ts, __u32 tgid, __u32 tid, const char *comm_src)
{
	struct ev_comm *e;
	__u8 one = 1;

	if (bpf_map_lookup_elem(&comm_sent, &tgid))
		return;
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, EV_COMM, sizeof(*e), ts, tgid, tid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm_src);
	submit(e);
	bpf_map_update_elem(&comm_sent, &tgid, &one, BPF_ANY);
}

/* One sched_switch.  runnable: prev stays on the run queue (preempted or
 * yielded) rather than blocking. next_comm names the process of next. */
static __always_inline void on_switch(bool preempt, __u32 prev_tid, __u32 prev_tgid, __u32 prev_state,
				      __u32 next_tid, __u32 next_tgid, const char *next_comm,
				      struct task_struct *prev, struct task_struct *next)
{
	struct vigil_cpu_state *cs = cpu_slot();
	__u32 cpu = bpf_get_smp_processor_id();
	bool prev_tracked, next_tracked, runnable = preempt || prev_state == 0;
	struct ev_switch *e;
	__u64 ts;

	if (!cs)
		return;
	if (cs->cur_tid == prev_tid && cs->cur_gen == targets_gen && prev_tid)
		prev_tracked = cs->cur_tracked;
	else
		prev_tracked = is_tracked(prev_tgid);
	next_tracked = is_tracked(next_tgid);
	ts = prev_tracked || next_tracked ? bpf_ktime_get_ns() : 0;

	/* what prev left pending must not wait for its next fault */
	flush_faults(cs);
	flush_rss(cs, ts);
	if (fault_counters && prev && next) {
		if (prev_tracked)
			faults_report(cs, prev, prev_tid, prev_tgid, ts);
		faults_switch_in(cs, next, next_tid, ts);
		cs->flt_tick_tid = 0;
	}

	/* With --all every switch is streamed anyway: who waits where only
	 * decides which untracked holders to stream, so skip the bookkeeping. */
	if (!track_all) {
		if (prev_tracked) {
			if (runnable)
				set_waiting(prev_tid, cpu);
			else
				clear_waiting(prev_tid); /* woken while still running */
		}
		if (next_tracked)
			clear_waiting(next_tid);
	}

	cs->cur_tid = next_tid;
	cs->cur_tgid = next_tgid;
	cs->cur_gen = targets_gen;
	cs->cur_tracked = next_tracked;

	if (!prev_tracked && !next_tracked) {
		if (track_all || !cpu_waiters(cpu))
			return;
		ts = bpf_ktime_get_ns();
	}
	if (!next_tracked && next_tid && next_tgid)
		send_comm(ts, next_tgid, next_tid, next_comm);
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, EV_SWITCH, sizeof(*e), ts, prev_tgid, prev_tid);
	e->next_pid = next_tgid;
	e->next_tid = next_tid;
	e->prev_state = prev_state;
	e->flags = preempt ? EV_SWITCH_PREEMPT : 0;
	submit(e);
}

/* task->__state since 5.14, ->state before */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___old *)t, state);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(preempt, prev->pid, prev->tgid, task_state(prev), next->pid, next->tgid,
		  next->group_leader->comm, prev, next);
	return 0;
}

/* Plain tracepoint: no task pointers, so tgids come from what we have seen. */
SEC("tp/sched/sched_switch")
int sched_switch_tp(struct trace_event_raw_sched_switch *ctx)
{
	__u32 prev_tid = ctx->prev_pid, next_tid = ctx->next_pid;
	__u32 prev_tgid = bpf_get_current_pid_tgid() >> 32, next_tgid = 0;
	__u32 *known;

	bpf_map_update_elem(&tid_tgid, &prev_tid, &prev_tgid, BPF_ANY);
	known = bpf_map_lookup_elem(&tid_tgid, &next_tid);
	if (known)
		next_tgid = *known;
	/* the tracepoint reports a preempted task as TASK_REPORT_MAX (0x100),
	 * otherwise the state as a TASK_REPORT bit (0 = still runnable) */
	__u32 state = (__u32)ctx->prev_state;
	bool preempt = state == 0x100;

	on_switch(preempt, prev_tid, prev_tgid, preempt ? 0 : state, next_tid, next_tgid, ctx->next_comm,
		  NULL, NULL);
	return 0;
}

static __always_inline void on_wakeup(__u32 tid, __u32 tgid, __u32 target_cpu, __u32 is_new)
{
	struct ev_wakeup *e;

	if (!is_tracked(tgid))
		return;
	if (!track_all)
		set_waiting(tid, target_cpu);
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, EV_WAKEUP, sizeof(*e), bpf_ktime_get_ns(), tgid, tid);
	e->target_cpu = target_cpu;
	e->is_new = is_new;
	submit(e);
}

/* the task's CPU: thread_info.cpu since 5.16, task_struct.cpu before */
struct task_struct___cpu_old {
	unsigned int cpu;
} __attribute__((preserve_access_index));

static __always_inline __u32 task_cpu(struct task_struct *p)
{
	if (bpf_core_field_exists(p->thread_info.cpu))
		return BPF_CORE_READ(p, thread_info.cpu);
	if (bpf_core_field_exists(((struct task_struct___cpu_old *)p)->cpu))
		return BPF_CORE_READ((struct task_struct___cpu_old *)p, cpu);
	return 0;
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	on_wakeup(p->pid, p->tgid, task_cpu(p), 0);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	on_wakeup(p->pid, p->tgid, task_cpu(p), 1);
	return 0;
}

static __always_inline __u32 fallback_tgid(__u32 tid)
{
	__u32 *known = bpf_map_lookup_elem(&tid_tgid, &tid);

	return known ? *known : 0;
}

SEC("tp/sched/sched_wakeup")
int sched_wakeup_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(ctx->pid, fallback_tgid(ctx->pid), ctx->target_cpu, 0);
	return 0;
}

SEC("tp/sched/sched_wakeup_new")
int sched_wakeup_new_tp(struct trace_event_raw_sched_wakeup_template *ctx)
{
	on_wakeup(ctx->pid, fallback_tgid(ctx->pid), ctx->target_cpu, 1);
	return 0;
}

/* Only waiting tracked tasks matter: their queue CPU decides whose
 * switches are streamed. */
SEC("tp/sched/sched_migrate_task")
int sched_migrate(struct trace_event_raw_sched_migrate_task *ctx)
{
	__u32 tid = ctx->pid;
	struct ev_migrate *e;
	__u32 orig = ctx->orig_cpu, dest = ctx->dest_cpu;

	if (!track_all) {
		__u32 *cpu = bpf_map_lookup_elem(&waiting, &tid);
		if (!cpu || *cpu == dest)
			return 0;
		orig = *cpu;
		set_waiting(tid, dest);
	} else if (orig == dest) {
		return 0;
	}
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	/* the migrating task is not current; its tgid comes from the fallback map or stays 0 */
	fill_hdr(&e->h, EV_MIGRATE, sizeof(*e), bpf_ktime_get_ns(), fallback_tgid(tid), tid);
	e->orig_cpu = orig;
	e->dest_cpu = dest;
	submit(e);
	return 0;
}

/* ---- process lifecycle ------------------------------------------------------ */

/* comm: the child's name in kernel memory, or NULL for current's (at fork
 * the child's name is its parent's) */
static __always_inline void on_fork(__u32 ptgid, __u32 ptid, __u32 ctgid, __u32 ctid, const char *comm)
{
	__u8 *flag;
	struct ev_fork *e;

	if (!is_tracked(ptgid))
		return;
	/* a new process inherits its parent's tracking; threads share it
	 * already.  From a parent user space has not decided on, only
	 * until that decision (or the child's own exec). */
	if (!track_all && ctgid != ptgid) {
		flag = bpf_map_lookup_elem(&targets, &ptgid);
		if (flag) {
			__u8 v = *flag == VIGIL_TRACK_CONFIRMED ? VIGIL_TRACK_CONFIRMED : VIGIL_TRACK_INHERITED;
			bpf_map_update_elem(&targets, &ctgid, &v, BPF_ANY);
		}
	}
	if (sched_fallback)
		bpf_map_update_elem(&tid_tgid, &ctid, &ctgid, BPF_ANY);
	e = reserve(sizeof(*e));
	if (!e)
		return;
	fill_hdr(&e->h, EV_FORK, sizeof(*e), bpf_ktime_get_ns(), ptgid, ptid);
	e->child_pid = ctgid;
	e->child_tid = ctid;
	if (comm)
		bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	else
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_fork, struct task_struct *parent, struct task_struct *child)
{
	on_fork(parent->tgid, parent->pid, child->tgid, child->pid, child->comm);
	return 0;
}

#define VIGIL_CLONE_THREAD 0x00010000

/* Without kernel BTF: task:task_newtask fires in the parent as the child is
 * made, and its clone flags tell a thread (the parent's tgid) from a process
 * (tgid = its pid), which sched:sched_process_fork does not. */
SEC("tp/task/task_newtask")
int task_newtask(struct trace_event_raw_task_newtask *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 ptgid = id >> 32, ctid = ctx->pid;

	on_fork(ptgid, (__u32)id, ctx->clone_flags & VIGIL_CLONE_THREAD ? ptgid : ctid, ctid, NULL);
	return 0;
}

#define EXEC_REC_MAX (sizeof(struct ev_exec) + VIGIL_CMDLINE_MAX)

/* p: the task after its exec (current), typed when the kernel has BTF */
static __always_inline void on_exec(struct task_struct *p, __u32 tgid, __u32 tid, __u32 old_pid, bool typed)
{
	struct ev_exec *e;
	unsigned long start, end;
	__u64 len; /* 64-bit so the verifier tracks the bound on the register used */

	bpf_map_delete_elem(&comm_sent, &tgid);
	struct vigil_cpu_state *cs = cpu_slot();
	bool was_tracked = cs && cs->cur_tid == (__u32)old_pid && cs->cur_gen == targets_gen &&
			   cs->cur_tracked;

	if (track_exec && tgid != self_tgid) {
		__u8 *cur = bpf_map_lookup_elem(&targets, &tgid), v = VIGIL_TRACK_PROVISIONAL;

		if (!cur) {
			/* The tid is the one it had before the exec, when it was
			 * not tracked: another CPU may still cache that, and would
			 * miss its syscalls there until a switch it sees.  A new
			 * generation invalidates every CPU's cache. */
			if (!bpf_map_update_elem(&targets, &tgid, &v, BPF_NOEXIST))
				__sync_fetch_and_add(&targets_gen, 1);
		} else if (*cur == VIGIL_TRACK_INHERITED) {
			/* a new program: its own exec record decides, not what
			 * user space decides (maybe later) about its parent */
			*cur = VIGIL_TRACK_PROVISIONAL;
		}
	}
	if (!is_tracked(tgid))
		return;
	if (cs) {
		/* tracked from now on: count its faults from here, not those
		 * of the program it replaced */
		if (typed && fault_counters && !was_tracked)
			faults_base(p, bpf_ktime_get_ns());
		/* this CPU's cache still says "untracked" from before the exec:
		 * without this, the new program's first faults and syscalls
		 * would be missed */
		cs->cur_tid = tid;
		cs->cur_tgid = tgid;
		cs->cur_gen = targets_gen;
		cs->cur_tracked = 1;
	}
	e = reserve(EXEC_REC_MAX);
	if (!e)
		return;
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > VIGIL_CMDLINE_MAX)
		len = VIGIL_CMDLINE_MAX;
	/* keep the bound check next to the use, where the verifier sees it */
	barrier_var(len);
	if (len > 0 && len <= VIGIL_CMDLINE_MAX && bpf_probe_read_user(e->cmdline, len, (void *)start))
		len = 0;
	fill_hdr(&e->h, EV_EXEC, sizeof(*e) + len, bpf_ktime_get_ns(), tgid, tid);
	e->old_tid = old_pid;
	e->cmdline_len = len;
	e->pad = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	submit(e);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(sched_exec, struct task_struct *p, pid_t old_pid)
{
	on_exec(p, p->tgid, p->pid, old_pid, true);
	return 0;
}

SEC("tp/sched/sched_process_exec")
int sched_exec_tp(struct trace_event_raw_sched_process_exec *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	on_exec(current_task(), id >> 32, (__u32)id, ctx->old_pid, false);
	return 0;
}

/* exiting task is current; group_dead is a tracepoint field since 6.16,
 * before that signal->live has already dropped to 0 for the last thread */
struct trace_event_raw_sched_process_exit___new {
	bool group_dead;
} __attribute__((preserve_access_index));

SEC("tp/sched/sched_process_exit")
int sched_exit(void *ctx)
{
	struct task_struct *task = current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct vigil_cpu_state *cs = cpu_slot();
	struct ev_exit *e;
	bool group_dead;
	__u64 ts;

	if (!is_tracked(tgid))
		return 0;
	ts = bpf_ktime_get_ns();
	if (bpf_core_field_exists(struct trace_event_raw_sched_process_exit___new, group_dead))
		group_dead = BPF_CORE_READ((struct trace_event_raw_sched_process_exit___new *)ctx, group_dead);
	else
		group_dead = BPF_CORE_READ(task, signal, live.counter) == 0;
	if (cs) {
		if (fault_counters)
			faults_report(cs, task, tid, tgid, ts);
		flush_faults(cs);
		flush_rss(cs, ts);
	}
	bpf_map_delete_elem(&brk_before, &tid);
	if (!sc_regs)
		bpf_map_delete_elem(&sc_saved, &tid);
	clear_waiting(tid);
	e = reserve(sizeof(*e));
	if (e) {
		fill_hdr(&e->h, EV_EXIT, sizeof(*e), ts, tgid, tid);
		e->exit_code = BPF_CORE_READ(task, exit_code);
		e->group_dead = group_dead;
		submit(e);
	}
	if (group_dead && !track_all)
		bpf_map_delete_elem(&targets, &tgid);
	return 0;
}

/* ---- renamed processes ------------------------------------------------------ */

/* A process that names itself after exec (prctl(PR_SET_NAME),
 * pthread_setname_np on the main thread, setproctitle) is matched again:
 * its main thread's new name goes to user space as an EV_COMM record.
 * Only with pattern targets (track_exec).  The renamed task is the
 * tracepoint's pid where the field exists (it was dropped upstream later:
 * then it is current, as the kernel's own comment says); plain tracepoint
 * and CO-RE reads only, so this loads on 6.1. */
SEC("tp/task/task_rename")
int task_rename(struct trace_event_raw_task_rename *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, tgid = id >> 32;
	struct ev_comm *e;

	if (!track_exec || tgid == self_tgid)
		return 0;
	if (bpf_core_field_exists(ctx->pid))
		tid = BPF_CORE_READ(ctx, pid);
	if (tid != tgid) /* a thread's name, or another process's */
		return 0;
	/* exec names every new program: its exec record says so, and this
	 * would read as a process renaming itself mid-life */
	if (bpf_core_field_exists(struct task_struct, in_execve) &&
	    BPF_CORE_READ_BITFIELD_PROBED(current_task(), in_execve))
		return 0;
	/* a holder name sent before is stale now */
	bpf_map_delete_elem(&comm_sent, &tgid);
	e = reserve(sizeof(*e));
	if (!e)
		return 0;
	fill_hdr(&e->h, EV_COMM, sizeof(*e), bpf_ktime_get_ns(), tgid, tid);
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), __builtin_preserve_access_index(&ctx->newcomm));
	submit(e);
	return 0;
}

/* ---- memory syscalls ------------------------------------------------------ */

static __always_inline bool current_is_tracked(__u32 *tid, __u32 *tgid)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct vigil_cpu_state *cs = cpu_slot();

	*tid = (__u32)id;
	*tgid = id >> 32;
	return cs && current_tracked(cs, *tid, *tgid);
}

/* The common start of every sys_exit handler: the call's arguments and
 * a record with its header filled, or NULL (not tracked, or ring full).
 * The arguments come from the registers the entry saved, which the kernel
 * leaves alone (only the return register changes: arm64's first argument
 * is orig_x0 by now), so no program runs at entry and no map carries them
 * across the call.  nargs: a constant, the ones the record needs. */
static __always_inline void *begin_exit(struct sc_args *a, int nargs, __u16 type, __u16 size)
{
	struct ev_hdr *h;
	__u32 tid, tgid;

	if (!current_is_tracked(&tid, &tgid))
		return NULL;
	if (sc_regs) {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

		a->a[0] = PT_REGS_PARM1_SYSCALL(regs);
		if (nargs > 1)
			a->a[1] = PT_REGS_PARM2_SYSCALL(regs);
		if (nargs > 2)
			a->a[2] = PT_REGS_PARM3_SYSCALL(regs);
		if (nargs > 3)
			a->a[3] = PT_REGS_PARM4_SYSCALL(regs);
		if (nargs > 4)
			a->a[4] = PT_REGS_PARM5_SYSCALL(regs);
	} else {
		struct sc_args *saved = bpf_map_lookup_elem(&sc_saved, &tid);

		if (!saved)
			return NULL; /* its entry was not seen */
		*a = *saved;
		bpf_map_delete_elem(&sc_saved, &tid);
	}
	h = reserve(size);
	if (h)
		fill_hdr(h, type, size, bpf_ktime_get_ns(), tgid, tid);
	return h;
}

/* The entries, loaded only where the exits cannot read the saved registers */
/* nargs: a constant, at most what the call has: the kernel refuses to attach
 * a program that reads past the tracepoint's record */
static __always_inline void save_args(struct trace_event_raw_sys_enter *ctx, int nargs)
{
	struct sc_args a = {};
	__u32 tid, tgid;

	if (!current_is_tracked(&tid, &tgid))
		return;
	/* constant indexes: the verifier refuses a moving ctx pointer */
	a.a[0] = ctx->args[0];
	if (nargs > 1)
		a.a[1] = ctx->args[1];
	if (nargs > 2)
		a.a[2] = ctx->args[2];
	if (nargs > 3)
		a.a[3] = ctx->args[3];
	if (nargs > 4)
		a.a[4] = ctx->args[4];
	bpf_map_update_elem(&sc_saved, &tid, &a, BPF_ANY);
}

/* sys_enter_NAME: keeps the first NARGS arguments of a tracked thread's call */
#define SYS_ENTER(name, nargs)							\
	SEC("tp/syscalls/sys_enter_" #name)					\
	int sys_enter_##name(struct trace_event_raw_sys_enter *ctx)		\
	{									\
		save_args(ctx, nargs);						\
		return 0;							\
	}

SYS_ENTER(mmap, 5)
SYS_ENTER(munmap, 2)
SYS_ENTER(mremap, 4)
SYS_ENTER(madvise, 3)

SEC("tp/syscalls/sys_exit_mmap")
int sys_exit_mmap(struct trace_event_raw_sys_exit *ctx)
{
	struct sc_args a;
	struct ev_mmap *e = begin_exit(&a, 5, EV_MMAP, sizeof(*e));

	if (!e)
		return 0;
	e->addr = a.a[0];
	e->len = a.a[1];
	e->prot = a.a[2];
	e->flags = a.a[3];
	e->fd = (__s64)(int)a.a[4];
	e->off = 0;
	e->ret = ctx->ret;
	submit(e);
	return 0;
}

SEC("tp/syscalls/sys_exit_munmap")
int sys_exit_munmap(struct trace_event_raw_sys_exit *ctx)
{
	struct sc_args a;
	struct ev_munmap *e = begin_exit(&a, 2, EV_MUNMAP, sizeof(*e));

	if (!e)
		return 0;
	e->addr = a.a[0];
	e->len = a.a[1];
	e->ret = ctx->ret;
	submit(e);
	return 0;
}

SEC("tp/syscalls/sys_exit_mremap")
int sys_exit_mremap(struct trace_event_raw_sys_exit *ctx)
{
	struct sc_args a;
	struct ev_mremap *e = begin_exit(&a, 4, EV_MREMAP, sizeof(*e));

	if (!e)
		return 0;
	e->old_addr = a.a[0];
	e->old_len = a.a[1];
	e->new_len = a.a[2];
	e->flags = a.a[3];
	e->ret = ctx->ret;
	submit(e);
	return 0;
}

SEC("tp/syscalls/sys_exit_madvise")
int sys_exit_madvise(struct trace_event_raw_sys_exit *ctx)
{
	struct sc_args a;
	struct ev_madvise *e = begin_exit(&a, 3, EV_MADVISE, sizeof(*e));

	if (!e)
		return 0;
	e->addr = a.a[0];
	e->len = a.a[1];
	e->advice = (__s32)a.a[2];
	e->pad = 0;
	e->ret = ctx->ret;
	submit(e);
	return 0;
}

SEC("tp/syscalls/sys_enter_brk")
int sys_enter_brk(struct trace_event_raw_sys_enter *ctx)
{
	struct task_struct *task = current_task();
	__u32 tid, tgid;
	__u64 old;

	if (!current_is_tracked(&tid, &tgid))
		return 0;
	old = BPF_CORE_READ(task, mm, brk);
	bpf_map_update_elem(&brk_before, &tid, &old, BPF_ANY);
	if (!sc_regs)
		save_args(ctx, 1);
	return 0;
}

SEC("tp/syscalls/sys_exit_brk")
int sys_exit_brk(struct trace_event_raw_sys_exit *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *before = bpf_map_lookup_elem(&brk_before, &tid), old;
	struct sc_args a;
	struct ev_brk *e;

	if (!before)
		return 0; /* its entry was not seen */
	old = *before;
	bpf_map_delete_elem(&brk_before, &tid);
	e = begin_exit(&a, 1, EV_BRK, sizeof(*e));
	if (!e)
		return 0;
	e->old_brk = old;
	e->req = a.a[0];
	e->new_brk = ctx->ret;
	submit(e);
	return 0;
}
