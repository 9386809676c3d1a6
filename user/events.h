/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * THE shared record layout between the BPF programs, the user-space pipeline
 * and the dump format.  Every record starts with struct ev_hdr; `size` is the
 * whole record including the header, so readers can skip types they do not
 * know.  Only fixed-width types, little-endian on disk (both supported
 * architectures are little-endian, so records are stored as they come out of
 * the ring buffer).  Changing a layout means bumping DUMP_VERSION.
 */
#ifndef VIGIL_EVENTS_H
#define VIGIL_EVENTS_H

#ifdef __VIGIL_BPF__
/* vmlinux.h already provides __u8.. __u64 */
#else
#include <linux/types.h>
#endif

#define VIGIL_COMM_LEN 16
#define VIGIL_CMDLINE_MAX 256 /* bytes of the command line kept per exec */
#define VIGIL_REC_MAX 512     /* no record is larger than this */

enum ev_type {
	EV_FAULTS = 1,   /* coalesced user page faults of one thread */
	EV_MMAP = 2,     /* mmap(2) exit */
	EV_MUNMAP = 3,   /* munmap(2) exit */
	EV_MREMAP = 4,   /* mremap(2) exit */
	EV_MADVISE = 5,  /* madvise(2) exit */
	EV_BRK = 6,      /* brk(2) exit */
	EV_RSS = 7,      /* resident set of a process after a change (coalesced) */
	EV_SWITCH = 8,   /* sched_switch: hdr.pid/tid = prev, which leaves the CPU */
	EV_WAKEUP = 9,   /* sched_wakeup / sched_wakeup_new */
	EV_MIGRATE = 10, /* a tracked task moved to another CPU's queue */
	EV_FORK = 11,    /* hdr.pid/tid = parent */
	EV_EXEC = 12,    /* variable size: command line follows */
	EV_EXIT = 13,    /* a thread exits; group_dead when the process is gone */
	EV_COMM = 14,    /* name of a CPU holder that is not otherwise described */
	EV_LOST = 15,    /* user space: events the kernel could not queue */
	EV_PROC = 16,    /* user space: process metadata, before first use */
	EV_SITE_RAW = 17,    /* a sampled page fault with its user stack, ring buffer only */
	EV_SITE_FRAME = 18,  /* user space: a symbolized frame, before its first use */
	EV_SITE_STACK = 19,  /* user space: a call stack of frames, before its first use */
	EV_SITE_SAMPLE = 20, /* user space: a sampled page fault and its stack */
	EV_TYPE_MAX
};

struct ev_hdr {
	__u16 type;
	__u16 size;
	__u32 cpu;
	__u64 ts;  /* CLOCK_MONOTONIC ns (bpf_ktime_get_ns) */
	__u32 pid; /* tgid: the process */
	__u32 tid; /* the thread */
};

/* Page faults taken by one thread, counted in the kernel and emitted at most
 * every VIGIL_COALESCE_NS, when the thread leaves the CPU, or when it exits.
 * hdr.ts is the last fault's time, first_ts the first's. */
struct ev_faults {
	struct ev_hdr h;
	__u32 count;
	__u32 major; /* of count, major faults (counter mode; 0 from per-fault sources) */
	__u64 first_ts;
};

struct ev_mmap {
	struct ev_hdr h;
	__u64 addr; /* requested address hint */
	__u64 len;
	__u64 prot;
	__u64 flags;
	__s64 fd;
	__u64 off;
	__s64 ret; /* mapped address, or -errno */
};

struct ev_munmap {
	struct ev_hdr h;
	__u64 addr;
	__u64 len;
	__s64 ret;
};

struct ev_mremap {
	struct ev_hdr h;
	__u64 old_addr;
	__u64 old_len;
	__u64 new_len;
	__u64 flags;
	__s64 ret; /* new address, or -errno */
};

struct ev_madvise {
	struct ev_hdr h;
	__u64 addr;
	__u64 len;
	__s32 advice;
	__u32 pad;
	__s64 ret;
};

struct ev_brk {
	struct ev_hdr h;
	__u64 old_brk; /* mm->brk before the call */
	__u64 req;     /* the argument */
	__u64 new_brk; /* the return value: the break after the call */
};

/* Resident set of process hdr.pid in bytes, as the kernel's own RSS counters
 * (kmem:rss_stat) had it at hdr.ts.  -1 = unchanged since the previous
 * record of this process (a record carries only the counters that moved). */
struct ev_rss {
	struct ev_hdr h;
	__s64 file;
	__s64 anon;
	__s64 swap;
	__s64 shmem;
};

#define EV_SWITCH_PREEMPT 0x1 /* prev was preempted (still runnable) */

struct ev_switch {
	struct ev_hdr h;
	__u32 next_pid; /* 0 when unknown (plain-tracepoint fallback) */
	__u32 next_tid;
	__u32 prev_state; /* task state of prev when it left; 0 = runnable */
	__u32 flags;      /* EV_SWITCH_* */
};

struct ev_wakeup {
	struct ev_hdr h;
	__u32 target_cpu;
	__u32 is_new; /* sched_wakeup_new: first wakeup of a new task */
};

struct ev_migrate {
	struct ev_hdr h;
	__u32 orig_cpu;
	__u32 dest_cpu;
};

struct ev_fork {
	struct ev_hdr h;
	__u32 child_pid;
	__u32 child_tid;
	char comm[VIGIL_COMM_LEN];
};

struct ev_exec {
	struct ev_hdr h;
	__u32 old_tid;
	__u16 cmdline_len; /* bytes that follow; arguments separated by NUL */
	__u16 pad;
	char comm[VIGIL_COMM_LEN];
	char cmdline[]; /* up to VIGIL_CMDLINE_MAX */
};

struct ev_exit {
	struct ev_hdr h;
	__s32 exit_code; /* raw wait status as the kernel keeps it */
	__u32 group_dead;
};

struct ev_comm {
	struct ev_hdr h;
	char comm[VIGIL_COMM_LEN];
};

/* hdr.cpu = the CPU whose events were lost, hdr.pid = hdr.tid = 0 */
struct ev_lost {
	struct ev_hdr h;
	__u64 count;
};

enum vigil_role { ROLE_OTHER = 0, ROLE_ASR = 1, ROLE_AVATAR = 2, ROLE_CAMERA = 3, ROLE_COUNT };

/* Written by user space for every process that events refer to, before its
 * first event in a dump: processes alive at start, and on exec/fork. */
/* EV_PROC is written by user space, so its hdr.cpu carries flags instead
 * of a CPU (0 in older dumps, which readers of any version ignore): */
#define EV_PROC_LATE 0x1 /* became a target mid-life (renamed itself, or its
			  * command line changed): its counts start at this record */

struct ev_proc {
	struct ev_hdr h;
	__u32 ppid;
	__u16 role; /* enum vigil_role */
	__u16 cmdline_len;
	__u64 start_ns; /* process start, CLOCK_MONOTONIC ns; 0 if unknown */
	char comm[VIGIL_COMM_LEN];
	char cmdline[]; /* up to VIGIL_CMDLINE_MAX, arguments separated by NUL */
};

/* ---- allocation sites (docs/sites.md) -------------------------------------
 * A perf software page-fault event samples one fault in N of every CPU; the
 * BPF program keeps those of tracked processes with the user registers and
 * either a copy of the top of the user stack (dwarf: unwound in user space
 * with the binaries' CFI) or the frame-pointer walk's return addresses (fp).
 * User space turns each EV_SITE_RAW into EV_SITE_SAMPLE (plus the FRAME and
 * STACK records it needs first), so dumps hold resolved names only and read
 * the same on any machine. */
#define VIGIL_SITE_STACK_BYTES 8192 /* user stack copied per dwarf sample (perf's default) */
#define VIGIL_SITE_NREGS 33         /* arm64: x0-x30, sp, pc; x86_64 uses 17 */
#define VIGIL_SITE_IPS_MAX 127      /* frame-pointer walk depth */
#define VIGIL_SITE_FRAMES_MAX 64    /* frames kept per stack (VIGIL_CMDLINE_MAX / 4) */

enum site_mode { SITE_MODE_OFF = 0, SITE_MODE_FP = 1, SITE_MODE_DWARF = 2 };

#define SITE_RAW_FP 0x1       /* data[] holds __u64 return addresses, innermost first */
#define SITE_RAW_DWARF 0x2    /* data[] holds the user stack from regs' sp up */
#define SITE_RAW_IN_KERNEL 0x4 /* faulted in kernel mode: regs are the syscall entry's */
#define SITE_RAW_PY_TRUNCATED 0x8 /* more Python frames than VIGIL_SITE_PY_MAX */

/* ---- Python frames (docs/sites.md, "Python") ------------------------------
 * For a process running CPython, user space finds the interpreter and puts
 * where its structures keep the thread list and frames in py_procs; the
 * BPF program then walks the faulting thread's interpreter frames, keeping
 * per frame the code object's address, the word that says which
 * instruction runs, and the byte that says where an eval loop's C call
 * starts.  User space reads the code objects (names, line table). */
#define VIGIL_SITE_PY_MAX 48   /* Python frames kept per sample, innermost first */
#define VIGIL_PY_THREADS_MAX 64 /* threads walked to find the faulting one's state */
#define VIGIL_PY_DIRECT 0xffff /* py_proc.cframe_frame: the thread state points at the frame itself */
/* bytes of a frame read at once: every field the walk takes lies within
 * (3.11-3.13's frame heads are 72 bytes; a frame is never shorter), in a
 * buffer of VIGIL_PY_FRAME_BUF, a power of two the offsets are masked to */
#define VIGIL_PY_FRAME_READ 72
#define VIGIL_PY_FRAME_BUF 128

/* A py_procs value (BPF map, key: tgid).  Offsets are bytes into the
 * structure named. */
struct vigil_py_proc {
	__u64 interp_head;       /* address of _PyRuntime.interpreters.head */
	__u16 interp_threads;    /* PyInterpreterState: its first thread state */
	__u16 tstate_next;       /* PyThreadState: the next one */
	__u16 tstate_native_tid; /* PyThreadState: the kernel's thread id */
	__u16 tstate_frame;      /* PyThreadState: the current frame, or the _PyCFrame holding it */
	__u16 cframe_frame;      /* _PyCFrame: the current frame; VIGIL_PY_DIRECT: none */
	__u16 frame_previous;    /* _PyInterpreterFrame: the caller's frame */
	__u16 frame_code;        /* _PyInterpreterFrame: the code object */
	__u16 frame_instr;       /* _PyInterpreterFrame: the instruction pointer */
	__u16 frame_marker;      /* _PyInterpreterFrame: is_entry (3.11) or owner (3.12+) */
	__u16 pad[3];
};

/* BPF -> user space only; never in a dump (larger than VIGIL_REC_MAX). */
struct ev_site_raw {
	struct ev_hdr h;
	__u64 addr;     /* the faulting address */
	__u64 weight;   /* faults this sample stands for: the mean sampling period */
	__u32 flags;    /* SITE_RAW_* */
	__u16 nregs;    /* registers in regs[], DWARF numbering, the pc last; 0: none */
	__u16 data_len; /* bytes of data[] filled */
	__u64 regs[VIGIL_SITE_NREGS];
	__u16 py_n;     /* Python frames in py_*[]; 0: not Python, or no frames on this thread */
	__u16 py_pad[3];
	__u64 py_code[VIGIL_SITE_PY_MAX];  /* code object addresses, innermost first */
	__u64 py_instr[VIGIL_SITE_PY_MAX]; /* their frames' instruction pointers */
	__u8 py_marker[VIGIL_SITE_PY_MAX]; /* their frames' vigil_py_proc.frame_marker byte */
	__u8 data[VIGIL_SITE_STACK_BYTES];
};

enum site_frame_kind { SITE_FRAME_NATIVE = 0, SITE_FRAME_PYTHON = 1, SITE_FRAME_KERNEL = 2 };

/* A frame: a code address of a module with what is known of it.  Ids are
 * unique within one trace; hdr.pid = hdr.tid = 0. */
struct ev_site_frame {
	struct ev_hdr h;
	__u32 id;       /* > 0 */
	__u32 line;     /* source line, 0 unknown */
	__u16 kind;     /* enum site_frame_kind */
	__u16 text_len; /* bytes that follow: module NUL function NUL file (no NUL after file) */
	__u32 pad;
	__u64 offset;   /* the address in the module's file (its ELF vaddr) */
	char text[];    /* at most VIGIL_CMDLINE_MAX */
};

/* A call stack: frame ids, innermost first.  hdr.pid = hdr.tid = 0. */
#define SITE_STACK_TRUNCATED 0x1 /* deeper than the stack copy or VIGIL_SITE_FRAMES_MAX */
struct ev_site_stack {
	struct ev_hdr h;
	__u32 id;         /* > 0 */
	__u16 frames_len; /* bytes of frames[]: 4 per frame */
	__u16 flags;      /* SITE_STACK_* */
	__u32 frames[];
};

/* One sampled fault of process hdr.pid, thread hdr.tid. */
struct ev_site_sample {
	struct ev_hdr h;
	__u64 addr;  /* the faulting address */
	__u64 bytes; /* resident bytes it stands for: weight x page size */
	__u32 stack; /* stack id; 0: no stack could be taken */
	__u32 flags; /* SITE_RAW_* of the raw sample it came from */
};

/* Page-fault sources (dump header and startup message). */
enum vigil_pf_source {
	PF_SRC_NONE = 0,
	PF_SRC_TRACEPOINT = 1, /* a program per user-mode fault: exceptions:page_fault_user */
	PF_SRC_PERF = 2,       /* a program per user-mode fault: PERF_COUNT_SW_PAGE_FAULTS */
	PF_SRC_COUNTERS = 3,   /* no fault hook: the task's own min_flt/maj_flt, read at switch, exit, RSS change */
};

/* In-kernel coalescing window for faults and RSS; the design requires < 10 ms. */
#define VIGIL_COALESCE_NS (4ULL * 1000 * 1000)

/* Values of the kernel's targets map (tgid -> how it is tracked). */
#define VIGIL_TRACK_CONFIRMED 1   /* user space chose it */
#define VIGIL_TRACK_PROVISIONAL 2 /* exec'd: user space decides on its exec record */
#define VIGIL_TRACK_INHERITED 3   /* forked by a process not yet decided on: user space
				   * withdraws it with the parent, unless it exec'd since */

/* Per-CPU counters kept by the BPF side (map "stats"). */
struct vigil_stats {
	__u64 produced; /* records the programs tried to submit */
	__u64 lost;     /* of those, reserve failures (ring buffer full) */
	__u64 site_taken;   /* page-fault samples of tracked processes sent (EV_SITE_RAW) */
	__u64 site_skipped; /* ... not sent: the ring buffer was a quarter full */
};

/* Per-CPU state of the BPF hot paths (map "cpu_states").  User space reads
 * it once the programs are detached, to deliver what was still coalescing. */
struct vigil_cpu_state {
	/* cache: the task on this CPU and whether it is tracked */
	__u32 cur_tid;
	__u32 cur_tgid;
	__u32 cur_gen;
	__u32 cur_tracked;
	/* pending page faults of one thread */
	__u32 fault_tid;
	__u32 fault_tgid;
	__u32 fault_count;
	__u32 pad;
	__u64 fault_first;
	__u64 fault_last;
	/* pending RSS changes of one process; -1 = unchanged */
	__u32 rss_tgid;
	__u32 rss_dirty;
	__u64 rss_first;   /* ktime: when the first change came */
	__u64 rss_first_j; /* the same in jiffies, which close the window */
	__s64 rss[4]; /* file, anon, swap, shmem as in kmem:rss_stat's member */
	/* counter mode: the thread last switched in here, its counters then
	 * and when (0: untracked then); the thread whose RSS changes time its
	 * fault reports here, and the jiffies of its last report */
	__u32 flt_tid;
	__u32 flt_tick_tid;
	__u64 flt_min;
	__u64 flt_maj;
	__u64 flt_ts;
	__u64 flt_tick_j;
};

#ifndef __VIGIL_BPF__
_Static_assert(sizeof(struct vigil_cpu_state) == 144, "vigil_cpu_state layout");
_Static_assert(sizeof(struct ev_hdr) == 24, "ev_hdr layout");
_Static_assert(sizeof(struct ev_faults) == 40, "ev_faults layout");
_Static_assert(sizeof(struct ev_mmap) == 80, "ev_mmap layout");
_Static_assert(sizeof(struct ev_munmap) == 48, "ev_munmap layout");
_Static_assert(sizeof(struct ev_mremap) == 64, "ev_mremap layout");
_Static_assert(sizeof(struct ev_madvise) == 56, "ev_madvise layout");
_Static_assert(sizeof(struct ev_brk) == 48, "ev_brk layout");
_Static_assert(sizeof(struct ev_rss) == 56, "ev_rss layout");
_Static_assert(sizeof(struct ev_switch) == 40, "ev_switch layout");
_Static_assert(sizeof(struct ev_wakeup) == 32, "ev_wakeup layout");
_Static_assert(sizeof(struct ev_migrate) == 32, "ev_migrate layout");
_Static_assert(sizeof(struct ev_fork) == 48, "ev_fork layout");
_Static_assert(sizeof(struct ev_exec) == 48, "ev_exec layout");
_Static_assert(sizeof(struct ev_exit) == 32, "ev_exit layout");
_Static_assert(sizeof(struct ev_comm) == 40, "ev_comm layout");
_Static_assert(sizeof(struct ev_lost) == 32, "ev_lost layout");
_Static_assert(sizeof(struct ev_proc) == 56, "ev_proc layout");
_Static_assert(sizeof(struct vigil_stats) == 32, "vigil_stats layout");
_Static_assert(sizeof(struct ev_site_raw) == 312 + 8 + 17 * VIGIL_SITE_PY_MAX + VIGIL_SITE_STACK_BYTES, "ev_site_raw layout");
_Static_assert(sizeof(struct vigil_py_proc) == 32, "vigil_py_proc layout");
_Static_assert(sizeof(struct ev_site_frame) == 48, "ev_site_frame layout");
_Static_assert(sizeof(struct ev_site_stack) == 32, "ev_site_stack layout");
_Static_assert(sizeof(struct ev_site_sample) == 48, "ev_site_sample layout");
_Static_assert(VIGIL_SITE_FRAMES_MAX * 4 <= VIGIL_CMDLINE_MAX, "a stack's frames fit a record's tail");
#endif

#endif /* VIGIL_EVENTS_H */
