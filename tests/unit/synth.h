/* Synthetic records for the unit tests: builders that fill the structs of
 * events.h the way the BPF side does and hand each record to synth_sink,
 * which the test points at its consumer (agg_event, model_event, a counting
 * feed, ...) before building any.  Also the growable record buffer and the
 * clock of the --bench runs.  Include after the header that declares the
 * consumer (agg.h or model.h), which brings events.h. */
#ifndef VIGIL_SYNTH_H
#define VIGIL_SYNTH_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "events.h"

/* where every built record goes; set by the test */
static void (*synth_sink)(const struct ev_hdr *h);

static inline void synth_hdr(struct ev_hdr *h, __u16 type, __u16 size, __u64 ts, __u32 cpu, __u32 pid,
			     __u32 tid)
{
	h->type = type;
	h->size = size;
	h->ts = ts;
	h->cpu = cpu;
	h->pid = pid;
	h->tid = tid;
}

/* a NUL-terminated name in a VIGIL_COMM_LEN field (the field is zeroed) */
static inline void synth_comm(char *dst, const char *comm)
{
	strncpy(dst, comm, VIGIL_COMM_LEN - 1);
}

/* ---- process metadata ------------------------------------------------------------- */

/* comm is copied as given, up to all VIGIL_COMM_LEN bytes (unterminated when
 * it is that long); cmd is cmdlen bytes with their NULs. */
static inline void synth_proc(__u64 ts, __u32 pid, __u32 ppid, enum vigil_role role, const char *comm,
			      const char *cmd, size_t cmdlen, __u64 start_ns)
{
	union {
		struct ev_proc e;
		char buf[sizeof(struct ev_proc) + VIGIL_CMDLINE_MAX];
	} u;

	memset(&u, 0, sizeof(u));
	synth_hdr(&u.e.h, EV_PROC, (__u16)(sizeof(u.e) + cmdlen), ts, 0, pid, pid);
	u.e.ppid = ppid;
	u.e.role = role;
	u.e.cmdline_len = (__u16)cmdlen;
	u.e.start_ns = start_ns;
	memcpy(u.e.comm, comm, strnlen(comm, VIGIL_COMM_LEN));
	memcpy(u.e.cmdline, cmd, cmdlen);
	synth_sink(&u.e.h);
}

static inline void synth_fork(__u64 ts, __u32 pid, __u32 tid, __u32 cpid, __u32 ctid, const char *comm)
{
	struct ev_fork e = {0};

	synth_hdr(&e.h, EV_FORK, sizeof(e), ts, 0, pid, tid);
	e.child_pid = cpid;
	e.child_tid = ctid;
	synth_comm(e.comm, comm);
	synth_sink(&e.h);
}

static inline void synth_exec(__u64 ts, __u32 pid, __u32 old_tid, const char *comm, const char *cmd,
			      size_t len)
{
	union {
		struct ev_exec e;
		char buf[sizeof(struct ev_exec) + VIGIL_CMDLINE_MAX];
	} u;

	memset(&u, 0, sizeof(u));
	synth_hdr(&u.e.h, EV_EXEC, (__u16)(sizeof(u.e) + len), ts, 0, pid, pid);
	u.e.old_tid = old_tid;
	u.e.cmdline_len = (__u16)len;
	synth_comm(u.e.comm, comm);
	memcpy(u.e.cmdline, cmd, len);
	synth_sink(&u.e.h);
}

static inline void synth_exit(__u64 ts, __u32 pid, __u32 tid, __s32 code, int group_dead)
{
	struct ev_exit e = {0};

	synth_hdr(&e.h, EV_EXIT, sizeof(e), ts, 0, pid, tid);
	e.exit_code = code;
	e.group_dead = (__u32)group_dead;
	synth_sink(&e.h);
}

static inline void synth_comm_rec(__u64 ts, __u32 pid, __u32 tid, const char *comm)
{
	struct ev_comm e = {0};

	synth_hdr(&e.h, EV_COMM, sizeof(e), ts, 0, pid, tid);
	synth_comm(e.comm, comm);
	synth_sink(&e.h);
}

/* ---- scheduler ---------------------------------------------------------------------- */

static inline void synth_switch(__u64 ts, __u32 cpu, __u32 ppid, __u32 ptid, __u32 pstate, __u32 flags,
				__u32 npid, __u32 ntid)
{
	struct ev_switch e = {0};

	synth_hdr(&e.h, EV_SWITCH, sizeof(e), ts, cpu, ppid, ptid);
	e.next_pid = npid;
	e.next_tid = ntid;
	e.prev_state = pstate;
	e.flags = flags;
	synth_sink(&e.h);
}

/* the common cases: blocking (state 1) and preempted */
#define SW_BLOCK(ts, cpu, pp, pt, np, nt) synth_switch(ts, cpu, pp, pt, 1, 0, np, nt)
#define SW_PREEMPT(ts, cpu, pp, pt, np, nt) synth_switch(ts, cpu, pp, pt, 0, EV_SWITCH_PREEMPT, np, nt)

/* cpu: where the waker ran */
static inline void synth_wakeup(__u64 ts, __u32 cpu, __u32 pid, __u32 tid, __u32 target)
{
	struct ev_wakeup e = {0};

	synth_hdr(&e.h, EV_WAKEUP, sizeof(e), ts, cpu, pid, tid);
	e.target_cpu = target;
	synth_sink(&e.h);
}

static inline void synth_migrate(__u64 ts, __u32 tid, __u32 orig, __u32 dest)
{
	struct ev_migrate e = {0};

	synth_hdr(&e.h, EV_MIGRATE, sizeof(e), ts, orig, 0, tid); /* the BPF side often has no tgid */
	e.orig_cpu = orig;
	e.dest_cpu = dest;
	synth_sink(&e.h);
}

/* ---- memory ------------------------------------------------------------------------- */

/* count faults, major of them major */
static inline void synth_faults_major(__u64 ts, __u32 pid, __u32 count, __u32 major)
{
	struct ev_faults e = {0};

	synth_hdr(&e.h, EV_FAULTS, sizeof(e), ts, 0, pid, pid);
	e.count = count;
	e.major = major;
	e.first_ts = ts;
	synth_sink(&e.h);
}

static inline void synth_faults(__u64 ts, __u32 pid, __u32 count)
{
	synth_faults_major(ts, pid, count, 0);
}

/* fd -1 for MAP_ANONYMOUS (0x20) mappings, else 3 */
static inline void synth_mmap(__u64 ts, __u32 pid, __u64 len, __u64 prot, __u64 flags, __s64 ret)
{
	struct ev_mmap e = {0};

	synth_hdr(&e.h, EV_MMAP, sizeof(e), ts, 0, pid, pid);
	e.len = len;
	e.prot = prot;
	e.flags = flags;
	e.fd = (flags & 0x20) ? -1 : 3;
	e.ret = ret;
	synth_sink(&e.h);
}

static inline void synth_munmap(__u64 ts, __u32 pid, __u64 addr, __u64 len, __s64 ret)
{
	struct ev_munmap e = {0};

	synth_hdr(&e.h, EV_MUNMAP, sizeof(e), ts, 0, pid, pid);
	e.addr = addr;
	e.len = len;
	e.ret = ret;
	synth_sink(&e.h);
}

static inline void synth_mremap(__u64 ts, __u32 pid, __u64 old_addr, __u64 old_len, __u64 new_len,
				__s64 ret)
{
	struct ev_mremap e = {0};

	synth_hdr(&e.h, EV_MREMAP, sizeof(e), ts, 0, pid, pid);
	e.old_addr = old_addr;
	e.old_len = old_len;
	e.new_len = new_len;
	e.ret = ret;
	synth_sink(&e.h);
}

static inline void synth_madvise(__u64 ts, __u32 pid, __u64 len, __s32 advice, __s64 ret)
{
	struct ev_madvise e = {0};

	synth_hdr(&e.h, EV_MADVISE, sizeof(e), ts, 0, pid, pid);
	e.addr = 0x7f0000000000ULL;
	e.len = len;
	e.advice = advice;
	e.ret = ret;
	synth_sink(&e.h);
}

static inline void synth_brk(__u64 ts, __u32 pid, __u64 old, __u64 req, __u64 newb)
{
	struct ev_brk e = {0};

	synth_hdr(&e.h, EV_BRK, sizeof(e), ts, 0, pid, pid);
	e.old_brk = old;
	e.req = req;
	e.new_brk = newb;
	synth_sink(&e.h);
}

/* -1: that counter not reported by this record */
static inline void synth_rss(__u64 ts, __u32 pid, __u32 tid, __s64 file, __s64 anon, __s64 swap, __s64 shmem)
{
	struct ev_rss e = {0};

	synth_hdr(&e.h, EV_RSS, sizeof(e), ts, 0, pid, tid);
	e.file = file;
	e.anon = anon;
	e.swap = swap;
	e.shmem = shmem;
	synth_sink(&e.h);
}

/* ---- allocation sites ---------------------------------------------------------------- */

/* A frame: module, function and file as the record carries them (module NUL
 * function NUL file, no NUL after file); file may be "" (unknown). */
static inline void synth_site_frame(__u64 ts, __u32 id, __u16 kind, const char *module, const char *function,
				    const char *file, __u32 line, __u64 offset)
{
	union {
		struct ev_site_frame e;
		char buf[sizeof(struct ev_site_frame) + VIGIL_CMDLINE_MAX + 2];
	} u;
	size_t lm = strlen(module), lf = strlen(function), lfile = strlen(file), n = lm + lf + lfile + 2;

	if (n > VIGIL_CMDLINE_MAX) {
		fprintf(stderr, "synth_site_frame: names longer than a record holds\n");
		exit(2);
	}
	memset(&u, 0, sizeof(u));
	memcpy(u.e.text, module, lm);
	memcpy(u.e.text + lm + 1, function, lf);
	memcpy(u.e.text + lm + lf + 2, file, lfile);
	synth_hdr(&u.e.h, EV_SITE_FRAME, (__u16)(sizeof(u.e) + n), ts, 0, 0, 0);
	u.e.id = id;
	u.e.line = line;
	u.e.kind = kind;
	u.e.text_len = (__u16)n;
	u.e.offset = offset;
	synth_sink(&u.e.h);
}

/* A stack of n frame ids, innermost first (n <= VIGIL_SITE_FRAMES_MAX). */
static inline void synth_site_stack(__u64 ts, __u32 id, __u16 flags, const __u32 *frames, size_t n)
{
	union {
		struct ev_site_stack e;
		char buf[sizeof(struct ev_site_stack) + VIGIL_SITE_FRAMES_MAX * 4];
	} u;

	memset(&u, 0, sizeof(u));
	if (n > VIGIL_SITE_FRAMES_MAX)
		n = VIGIL_SITE_FRAMES_MAX;
	synth_hdr(&u.e.h, EV_SITE_STACK, (__u16)(sizeof(u.e) + 4 * n), ts, 0, 0, 0);
	u.e.id = id;
	u.e.frames_len = (__u16)(4 * n);
	u.e.flags = flags;
	memcpy(u.e.frames, frames, 4 * n);
	synth_sink(&u.e.h);
}

/* A sampled fault at addr standing for bytes, under stack. */
static inline void synth_site_sample(__u64 ts, __u32 pid, __u64 addr, __u64 bytes, __u32 stack)
{
	struct ev_site_sample e = {0};

	synth_hdr(&e.h, EV_SITE_SAMPLE, sizeof(e), ts, 0, pid, pid);
	e.addr = addr;
	e.bytes = bytes;
	e.stack = stack;
	synth_sink(&e.h);
}

/* ---- stream ------------------------------------------------------------------------- */

static inline void synth_lost(__u64 ts, __u32 cpu, __u64 count)
{
	struct ev_lost e = {0};

	synth_hdr(&e.h, EV_LOST, sizeof(e), ts, cpu, 0, 0);
	e.count = count;
	synth_sink(&e.h);
}

/* ---- benchmarks: a buffer of records built ahead, and the clock ----------------------- */

struct rec_buf {
	char *p;
	size_t len, cap;
};

/* size zeroed bytes at the end of b */
static inline void *rb_push(struct rec_buf *b, size_t size)
{
	void *r;

	if (b->len + size > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 1 << 20;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			exit(1);
	}
	r = b->p + b->len;
	memset(r, 0, size);
	b->len += size;
	return r;
}

static inline double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#endif
