// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "site_resolve.h"

#include <bpf/bpf.h>
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "fault_size.h"
#include "py_code.h"
#include "py_target.h"
#include "u64map.h"

/* processes whose mappings are kept at once; the least recently sampled
 * one makes room (its Dwfl holds the ELF files of its modules open) */
#define PROCS_MAX 16 /* libdw's view of a process: ~1-3 MiB each (its modules' ELF, CFI, symbols) */
/* mappings are read again at most this often per process */
#define REREPORT_NS 1000000000ull
/* Unwinding may take 2 % of a core over time (of the 5 % for all
 * of vigil's sites work), with bursts of up to UNWIND_BURST_NS: the first
 * samples of a process read its mappings and ELF files and symbolize new
 * frames (milliseconds), so a host that starts many short processes under
 * --all could otherwise spend far more.  A token bucket, full at the start.
 * Past it, a sample keeps its weight without a stack, and is counted. */
#define UNWIND_SHARE_PCT 2
#define UNWIND_BURST_NS 200000000ull
/* distinct frames and stacks per trace: past these, samples keep their
 * unwound stack but new frames collapse into one "[frame table full]" */
#define FRAMES_MAX (1u << 20)
#define STACKS_MAX (1u << 20)
#define MODULES_MAX 65535
/* Python processes whose interpreter and code objects are kept at once;
 * the least recently sampled one makes room (and is found again at its
 * next sample) */
#define PY_PROCS_MAX 64
/* pids known not to run Python: probed once each, until they exit or exec */
#define NOT_PYTHON_MAX 65536
/* a python3.X whose interpreter is not mapped yet is probed again this late */
#define PY_REPROBE_MS 100
#define PY_NEVER UINT32_MAX
#define PY_VERSIONS_MAX 8

#if defined(__x86_64__)
#define DWARF_REGS 17 /* rax..r15, rip: all DWARF registers, the pc among them */
#define RAW_REGS 17   /* ev_site_raw.regs: the same */
#define SP_REG 7
#elif defined(__aarch64__)
#define DWARF_REGS 32 /* x0..x30, sp; the pc is set apart */
#define RAW_REGS 33   /* ev_site_raw.regs: those, then the pc */
#define SP_REG 31
#else
#error "allocation sites: unwinding is written for x86_64 and aarch64"
#endif

struct proc_unwind {
	unsigned pid;
	Dwfl *dwfl;           /* NULL: the mappings could not be read */
	int pagemap_fd;       /* for the size of what a fault mapped; -1: unknown, base pages */
	unsigned long long reported_ns;
	unsigned long long used_ns;
};

/* one frame of the stack being built */
struct pc_ent {
	Dwarf_Addr pc;   /* for lookups: a return address minus one */
};

struct stack_ent {
	__u32 n;
	__u32 *frames;
};

struct py_proc {
	unsigned pid;
	struct py_target t;
	struct py_codes *codes;
	unsigned long long used_ns;
};

/* the interpreters seen, for the end-of-run line */
struct py_version_seen {
	char version[16];
	enum py_support support;
	const char *source;
	unsigned procs;
};

struct site_resolver {
	site_emit emit;
	void *ctx;
	struct fault_sizer *sizer;
	struct proc_unwind procs[PROCS_MAX];
	/* the sample being unwound, for libdw's callbacks */
	const struct ev_site_raw *cur;
	Dwarf_Addr pcs[VIGIL_SITE_FRAMES_MAX];
	unsigned npcs;
	bool truncated;
	/* modules: full path -> id (1-based), for frame keys */
	struct u64map module_ids; /* hash of the path -> id */
	char **modules;
	unsigned nmodules;
	/* frames: (module id << 48 | address in the module) -> frame id */
	struct u64map frame_ids;
	__u32 nframes;
	/* stacks: hash of the frame ids -> stack id */
	struct u64map stack_ids;
	struct stack_ent *stacks; /* [id - 1] */
	__u32 nstacks;
	struct site_resolve_stats st;
	unsigned long long tokens_ns, tokens_at; /* the unwinding budget's bucket */
	/* Python: the BPF walk's py_procs map (-1: no walk), the processes */
	int py_map_fd;
	struct py_proc py[PY_PROCS_MAX];
	struct u64map not_python; /* pid -> PY_NEVER, or when it was last probed (ms) */
	struct py_version_seen py_seen[PY_VERSIONS_MAX];
	unsigned npy_seen;
};

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

/* ---- libdw's view of the sample: one thread, registers and stack copy ---- */

static pid_t next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct site_resolver *r = arg;

	(void)dwfl;
	if (*thread_argp)
		return 0;
	*thread_argp = r;
	return (pid_t)r->cur->h.tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	(void)dwfl;
	(void)tid;
	*thread_argp = arg;
	return true;
}

/* Only the copied stack is readable: the process has moved on since. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct site_resolver *r = arg;
	const struct ev_site_raw *s = r->cur;
	__u64 sp = s->regs[SP_REG];

	(void)dwfl;
	if (addr < sp || addr - sp + sizeof(*result) > s->data_len) {
		r->truncated = true;
		return false;
	}
	memcpy(result, s->data + (addr - sp), sizeof(*result));
	return true;
}

static bool set_initial_registers(Dwfl_Thread *thread, void *arg)
{
	struct site_resolver *r = arg;
	const struct ev_site_raw *s = r->cur;
	Dwarf_Word regs[VIGIL_SITE_NREGS];

	if (s->nregs != RAW_REGS)
		return false; /* a sample from another architecture */
	for (unsigned i = 0; i < s->nregs; i++)
		regs[i] = s->regs[i];
	if (!dwfl_thread_state_registers(thread, 0, DWARF_REGS, regs))
		return false;
	dwfl_thread_state_register_pc(thread, regs[s->nregs - 1]);
	return true;
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = next_thread,
	.get_thread = get_thread,
	.memory_read = memory_read,
	.set_initial_registers = set_initial_registers,
};

static int on_frame(Dwfl_Frame *state, void *arg)
{
	struct site_resolver *r = arg;
	Dwarf_Addr pc;
	bool activation;

	if (!dwfl_frame_pc(state, &pc, &activation) || pc == 0)
		return DWARF_CB_ABORT;
	if (r->npcs == VIGIL_SITE_FRAMES_MAX) {
		r->truncated = true;
		return DWARF_CB_ABORT;
	}
	/* a return address points after the call: its caller is found at the
	 * call itself */
	r->pcs[r->npcs++] = activation ? pc : pc - 1;
	return DWARF_CB_OK;
}

/* ---- per-process mappings ---------------------------------------------------- */

static void proc_drop(struct proc_unwind *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	if (p->pid && p->pagemap_fd >= 0)
		close(p->pagemap_fd);
	memset(p, 0, sizeof(*p));
}

static Dwfl *proc_report(struct site_resolver *r, unsigned pid)
{
	Dwfl *d = dwfl_begin(&proc_callbacks);

	if (!d)
		return NULL;
	dwfl_report_begin(d);
	if (dwfl_linux_proc_report(d, (pid_t)pid) != 0 || dwfl_report_end(d, NULL, NULL) != 0 ||
	    !dwfl_attach_state(d, NULL, (pid_t)pid, &thread_callbacks, r)) {
		dwfl_end(d);
		return NULL;
	}
	return d;
}

/* the process's slot, or NULL when it has none */
static struct proc_unwind *proc_find(struct site_resolver *r, unsigned pid)
{
	for (int i = 0; i < PROCS_MAX; i++)
		if (r->procs[i].pid == pid)
			return &r->procs[i];
	return NULL;
}

/* the process's slot, made (its mappings read) in the least recently used one */
static struct proc_unwind *proc_get(struct site_resolver *r, unsigned pid, unsigned long long now)
{
	struct proc_unwind *p = proc_find(r, pid), *oldest = &r->procs[0];

	if (!p) {
		for (int i = 1; i < PROCS_MAX; i++)
			if (r->procs[i].used_ns < oldest->used_ns)
				oldest = &r->procs[i];
		p = oldest;
		proc_drop(p);
		p->pid = pid;
		p->dwfl = proc_report(r, pid);
		p->pagemap_fd = fault_sizer_open_pagemap(pid);
		p->reported_ns = now;
	}
	p->used_ns = now;
	return p;
}

/* The pc is in no module known for the process: a library loaded since
 * (dlopen), or code that is in none.  The mappings are read again, at most
 * once per REREPORT_NS. */
static void proc_refresh(struct site_resolver *r, struct proc_unwind *p, unsigned long long now)
{
	if (now - p->reported_ns < REREPORT_NS)
		return;
	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->dwfl = proc_report(r, p->pid);
	p->reported_ns = now;
}

/* ---- interning ---------------------------------------------------------------- */

/* module names (the start of the file name) of the C runtime and of the
 * allocators a service may preload */
static const char *const runtime_modules[] = {
	"libc.so", "libc-", "ld-linux", "ld64.so", "libstdc++.so", "libgcc_s.so", "libpthread.so",
	"libjemalloc.so", "libtcmalloc", "libmimalloc.so", "[vdso]", "linux-vdso", NULL,
};

bool site_module_is_runtime(const char *module)
{
	for (const char *const *m = runtime_modules; *m; m++)
		if (!strncmp(module, *m, strlen(*m)))
			return true;
	return false;
}

static __u64 hash_bytes(const void *p, size_t n, __u64 h)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

static unsigned module_id(struct site_resolver *r, const char *path)
{
	__u64 h = hash_bytes(path, strlen(path), 0xcbf29ce484222325ull);
	uint32_t *v = u64map_get(&r->module_ids, h);
	char **grown;

	if (v)
		return *v;
	if (r->nmodules >= MODULES_MAX)
		return 0;
	grown = realloc(r->modules, (r->nmodules + 1) * sizeof(*grown));
	if (!grown)
		return 0;
	r->modules = grown;
	if (!(r->modules[r->nmodules] = strdup(path)))
		return 0;
	if (u64map_put(&r->module_ids, h, r->nmodules + 1)) {
		free(r->modules[r->nmodules]);
		return 0;
	}
	return ++r->nmodules;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Appends at most max bytes of s (its end, where a path's most telling
 * part is, when from_end) and a NUL; returns the new length. */
static size_t put_text(char *buf, size_t len, const char *s, size_t max, bool from_end)
{
	size_t n = strlen(s);

	if (n > max) {
		if (from_end)
			s += n - max;
		n = max;
	}
	memcpy(buf + len, s, n);
	buf[len + n] = 0;
	return len + n + 1;
}

/* A new frame's record; returns its id. */
static __u32 emit_frame_text(struct site_resolver *r, unsigned kind, const char *module, const char *fn,
			     const char *file, unsigned line, __u64 offset, __u64 ts)
{
	union {
		struct ev_site_frame f;
		char buf[sizeof(struct ev_site_frame) + VIGIL_CMDLINE_MAX + 1];
	} u;
	size_t len = 0;

	memset(&u.f, 0, sizeof(u.f));
	len = put_text(u.f.text, len, module, 63, false);
	len = put_text(u.f.text, len, fn, 127, false);
	len = put_text(u.f.text, len, file ? file : "", VIGIL_CMDLINE_MAX - len - 1, true) - 1;
	u.f.h.type = EV_SITE_FRAME;
	u.f.h.size = (__u16)(sizeof(u.f) + len);
	u.f.h.ts = ts;
	u.f.id = ++r->nframes;
	u.f.line = line;
	u.f.kind = (__u16)kind;
	u.f.text_len = (__u16)len;
	u.f.offset = offset;
	r->emit(r->ctx, &u.f.h);
	r->st.frames++;
	return u.f.id;
}

static __u32 emit_frame(struct site_resolver *r, Dwfl_Module *m, const char *path, Dwarf_Addr pc,
			__u64 offset, __u64 ts)
{
	char fallback[96];
	const char *fn = NULL, *file = NULL;
	int line = 0;

	if (m) {
		GElf_Off off;
		GElf_Sym sym;
		fn = dwfl_module_addrinfo(m, pc, &off, &sym, NULL, NULL, NULL);
		/* no lines for the C runtime: no one-line summary shows them,
		 * and reading them means decompressing libc's debug file's DWARF
		 * (tens of milliseconds and megabytes in every process) */
		Dwfl_Line *l = path && site_module_is_runtime(base_name(path)) ? NULL : dwfl_module_getsrc(m, pc);
		if (l)
			file = dwfl_lineinfo(l, NULL, &line, NULL, NULL, NULL);
	}
	char plain[128];
	const char *at = fn ? strchr(fn, '@') : NULL;
	if (at && at > fn) { /* "__libc_start_main@@GLIBC_2.34": the version is noise here */
		snprintf(plain, sizeof(plain), "%.*s", (int)(at - fn), fn);
		fn = plain;
	}
	if (!fn || !*fn) {
		snprintf(fallback, sizeof(fallback), "%s+0x%llx", path ? base_name(path) : "[unknown]",
			 (unsigned long long)offset);
		fn = fallback;
	}
	return emit_frame_text(r, SITE_FRAME_NATIVE, path ? base_name(path) : "[unknown]", fn, file,
			       line > 0 ? (unsigned)line : 0, offset, ts);
}

/* A Python frame: keyed by what it shows (function, file, line), so the
 * same line in two processes, or in a code object made again, is one. */
static __u32 py_frame_of(struct site_resolver *r, const struct py_frame_info *fi, __u64 ts)
{
	__u64 key = hash_bytes(fi->qualname, strlen(fi->qualname) + 1, 0x9e3779b97f4a7c15ull);
	uint32_t *v;

	key = hash_bytes(fi->file, strlen(fi->file), key);
	key = hash_bytes(&fi->line, sizeof(fi->line), key);
	if ((v = u64map_get(&r->frame_ids, key)))
		return *v;
	if (r->nframes >= FRAMES_MAX)
		return 0;
	__u32 id = emit_frame_text(r, SITE_FRAME_PYTHON, "", fi->qualname, fi->file, fi->line, fi->offset, ts);
	u64map_put(&r->frame_ids, key, id);
	return id;
}

static __u32 frame_of(struct site_resolver *r, Dwfl *d, Dwarf_Addr pc, __u64 ts)
{
	Dwfl_Module *m = d ? dwfl_addrmodule(d, pc) : NULL;
	const char *path = NULL;
	Dwarf_Addr start = 0, bias = 0;
	__u64 offset = pc, key;
	unsigned mid = 0;
	uint32_t *v;

	if (m) {
		const char *mainfile = NULL, *name;
		name = dwfl_module_info(m, NULL, &start, NULL, NULL, NULL, &mainfile, NULL);
		path = mainfile ? mainfile : name;
		/* file addresses stay the same in every process that maps it */
		if (dwfl_module_getelf(m, &bias))
			offset = pc - bias;
		else
			offset = pc - start;
		mid = path ? module_id(r, path) : 0;
	}
	key = mid ? ((__u64)mid << 48) | (offset & 0xffffffffffffull) : (pc | (1ull << 63));
	if ((v = u64map_get(&r->frame_ids, key)))
		return *v;
	if (r->nframes >= FRAMES_MAX)
		return 0;
	__u32 id = emit_frame(r, m, path, pc, offset, ts);
	u64map_put(&r->frame_ids, key, id);
	return id;
}

static __u32 stack_of(struct site_resolver *r, const __u32 *frames, unsigned n, bool truncated,
		      __u64 ts)
{
	__u64 h = hash_bytes(frames, n * sizeof(*frames), 0xcbf29ce484222325ull ^ truncated);
	uint32_t *v = u64map_get(&r->stack_ids, h);
	union {
		struct ev_site_stack s;
		char buf[sizeof(struct ev_site_stack) + VIGIL_SITE_FRAMES_MAX * 4];
	} u;

	if (v) {
		const struct stack_ent *e = &r->stacks[*v - 1];
		if (e->n == n && !memcmp(e->frames, frames, n * sizeof(*frames)))
			return *v;
		h = 0; /* a hash collision: a stack of its own, not cached */
	}
	if (r->nstacks >= STACKS_MAX)
		return 0;
	struct stack_ent *grown = realloc(r->stacks, (r->nstacks + 1) * sizeof(*grown));
	if (!grown)
		return 0;
	r->stacks = grown;
	grown[r->nstacks].n = n;
	grown[r->nstacks].frames = malloc(n ? n * sizeof(*frames) : 1);
	if (!grown[r->nstacks].frames)
		return 0;
	memcpy(grown[r->nstacks].frames, frames, n * sizeof(*frames));
	__u32 id = ++r->nstacks;
	if (h)
		u64map_put(&r->stack_ids, h, id);
	memset(&u.s, 0, sizeof(u.s));
	u.s.h.type = EV_SITE_STACK;
	u.s.h.size = (__u16)(sizeof(u.s) + n * 4);
	u.s.h.ts = ts;
	u.s.id = id;
	u.s.frames_len = (__u16)(n * 4);
	u.s.flags = truncated ? SITE_STACK_TRUNCATED : 0;
	memcpy(u.s.frames, frames, n * 4);
	r->emit(r->ctx, &u.s.h);
	r->st.stacks++;
	return id;
}

/* ---- Python processes ------------------------------------------------------------ */

static void py_note_version(struct site_resolver *r, const struct py_target *t)
{
	char v[16];
	struct py_version_seen *e = NULL;

	py_target_version(t, v, sizeof(v));
	for (unsigned i = 0; i < r->npy_seen && !e; i++)
		if (!strcmp(r->py_seen[i].version, v))
			e = &r->py_seen[i];
	if (!e && r->npy_seen < PY_VERSIONS_MAX) {
		e = &r->py_seen[r->npy_seen++];
		snprintf(e->version, sizeof(e->version), "%s", v);
		e->support = t->layout.support;
		e->source = t->layout.source;
	}
	if (e)
		e->procs++;
}

static struct py_proc *py_find(struct site_resolver *r, unsigned pid)
{
	for (int i = 0; i < PY_PROCS_MAX; i++)
		if (r->py[i].pid == pid)
			return &r->py[i];
	return NULL;
}

static void py_drop(struct py_proc *p)
{
	py_codes_free(p->codes);
	memset(p, 0, sizeof(*p));
}

/* The process's interpreter, probed at its first sample; NULL when it
 * runs no Python.  A supported one gets the BPF walk from then on. */
static struct py_proc *py_get(struct site_resolver *r, unsigned pid, unsigned long long now)
{
	struct py_proc *p = py_find(r, pid), *oldest = &r->py[0];
	uint32_t now_ms = (uint32_t)(now / 1000000), *tried;
	struct py_target t;
	int found;

	if (p) {
		p->used_ns = now;
		return p;
	}
	if (r->py_map_fd < 0)
		return NULL;
	if ((tried = u64map_get(&r->not_python, pid)) && (*tried == PY_NEVER || now_ms - *tried < PY_REPROBE_MS))
		return NULL;
	if ((found = py_target_probe(pid, &t)) <= 0) {
		u64map_put(&r->not_python, pid, found == -EAGAIN ? (now_ms == PY_NEVER ? 0 : now_ms) : PY_NEVER);
		return NULL;
	}
	u64map_del(&r->not_python, pid);
	for (int i = 1; i < PY_PROCS_MAX; i++)
		if (r->py[i].used_ns < oldest->used_ns)
			oldest = &r->py[i];
	p = oldest;
	py_drop(p);
	p->pid = pid;
	p->t = t;
	p->used_ns = now;
	py_note_version(r, &t);
	r->st.py_procs++;
	if (t.layout.support != PY_UNSUPPORTED && (p->codes = py_codes_new())) {
		struct vigil_py_proc walk;
		py_target_walk(&t, &walk);
		if (bpf_map_update_elem(r->py_map_fd, &pid, &walk, BPF_ANY))
			r->st.py_map_full++;
	}
	return p;
}

static void py_forget(struct site_resolver *r, unsigned pid)
{
	struct py_proc *p = py_find(r, pid);

	u64map_del(&r->not_python, pid);
	if (!p)
		return;
	if (r->py_map_fd >= 0)
		bpf_map_delete_elem(r->py_map_fd, &pid);
	py_drop(p);
}

/* ---- one sample's stack: native frames, Python frames where the eval loop stands ---- */

struct frame_list {
	__u32 ids[VIGIL_SITE_FRAMES_MAX];
	unsigned n;
	bool truncated;
};

static void frames_add(struct frame_list *l, __u32 id)
{
	if (!id)
		return;
	if (l->n == VIGIL_SITE_FRAMES_MAX)
		l->truncated = true;
	else
		l->ids[l->n++] = id;
}

/* The sample's Python frames as frame ids, innermost first; ends[i]: frame
 * i is the outermost one of an eval loop's C call (the next one belongs to
 * the _PyEval_EvalFrameDefault further out on the native stack). */
static unsigned py_frames(struct site_resolver *r, struct py_proc *p, const struct ev_site_raw *raw, __u32 *ids,
			  bool *ends)
{
	struct py_frame_info fi[VIGIL_SITE_PY_MAX];
	const struct py_layout *l = &p->t.layout;
	unsigned n = raw->py_n < VIGIL_SITE_PY_MAX ? raw->py_n : VIGIL_SITE_PY_MAX, out = 0;

	if (!n || !p->codes)
		return 0;
	py_codes_resolve(p->codes, raw->h.pid, &p->t, raw->py_code, raw->py_instr, n, fi);
	for (unsigned i = 0; i < n; i++) {
		bool shim = l->entry == PY_ENTRY_CSTACK && raw->py_marker[i] == PY_OWNER_CSTACK;
		bool last = l->entry == PY_ENTRY_FLAG && (raw->py_marker[i] & 1);
		__u32 id = !shim && fi[i].ok ? py_frame_of(r, &fi[i], raw->h.ts) : 0;

		if (id) {
			ids[out] = id;
			ends[out++] = last;
		} else if ((shim || last) && out) {
			ends[out - 1] = true;
		}
		if (!shim && !fi[i].ok)
			r->st.py_unresolved++;
	}
	r->st.py_samples++;
	r->st.py_frames += out;
	return out;
}

/* Each _PyEval_EvalFrameDefault of the native stack stands for the Python
 * frames its call runs; Python frames the native stack did not reach (a
 * truncated copy, an fp walk lost in code without frame pointers) follow
 * it, outermost last. */
static void build_stack(struct site_resolver *r, struct proc_unwind *p, struct py_proc *py,
			const struct ev_site_raw *raw, struct frame_list *l)
{
	__u32 py_ids[VIGIL_SITE_PY_MAX];
	bool ends[VIGIL_SITE_PY_MAX];
	unsigned npy = py ? py_frames(r, py, raw, py_ids, ends) : 0, next = 0;

	l->n = 0;
	l->truncated = r->truncated || (npy && (raw->flags & SITE_RAW_PY_TRUNCATED));
	for (unsigned i = 0; i < r->npcs; i++) {
		if (next < npy && r->pcs[i] >= py->t.eval_lo && r->pcs[i] < py->t.eval_hi) {
			do
				frames_add(l, py_ids[next]);
			while (!ends[next++] && next < npy);
			continue;
		}
		frames_add(l, frame_of(r, p->dwfl, r->pcs[i], raw->h.ts));
	}
	while (next < npy)
		frames_add(l, py_ids[next++]);
}

/* ---- the public side ----------------------------------------------------------- */

struct site_resolver *site_resolver_new(site_emit emit, void *ctx)
{
	struct site_resolver *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->emit = emit;
	r->ctx = ctx;
	r->sizer = fault_sizer_new();
	if (!r->sizer) {
		free(r);
		return NULL;
	}
	u64map_init(&r->module_ids, MODULES_MAX);
	u64map_init(&r->frame_ids, FRAMES_MAX);
	u64map_init(&r->stack_ids, STACKS_MAX);
	u64map_init(&r->not_python, NOT_PYTHON_MAX);
	r->py_map_fd = -1;
	return r;
}

void site_resolver_free(struct site_resolver *r)
{
	if (!r)
		return;
	for (int i = 0; i < PROCS_MAX; i++)
		proc_drop(&r->procs[i]);
	for (int i = 0; i < PY_PROCS_MAX; i++)
		py_drop(&r->py[i]);
	u64map_free(&r->not_python);
	fault_sizer_free(r->sizer);
	for (unsigned i = 0; i < r->nmodules; i++)
		free(r->modules[i]);
	free(r->modules);
	for (__u32 i = 0; i < r->nstacks; i++)
		free(r->stacks[i].frames);
	free(r->stacks);
	u64map_free(&r->module_ids);
	u64map_free(&r->frame_ids);
	u64map_free(&r->stack_ids);
	free(r);
}

static void collect_pcs(struct site_resolver *r, struct proc_unwind *p, const struct ev_site_raw *raw)
{
	r->npcs = 0;
	r->truncated = false;
	if (raw->flags & SITE_RAW_FP) {
		const __u64 *ips = (const __u64 *)raw->data;
		unsigned n = raw->data_len / sizeof(__u64);
		for (unsigned i = 0; i < n && ips[i]; i++) {
			if (r->npcs == VIGIL_SITE_FRAMES_MAX) {
				r->truncated = true;
				break;
			}
			/* the first is where the fault happened; the others return addresses */
			r->pcs[r->npcs++] = i ? ips[i] - 1 : ips[i];
		}
		return;
	}
	if (p->dwfl) {
		r->cur = raw;
		if (dwfl_getthread_frames(p->dwfl, (pid_t)raw->h.tid, on_frame, r) != 0 && !r->npcs)
			r->npcs = 0;
		r->cur = NULL;
	}
	if (!r->npcs && raw->nregs)
		r->pcs[r->npcs++] = raw->regs[raw->nregs - 1];
}

/* Is there unwinding time left?  (refills the bucket up to now) */
static bool within_budget(struct site_resolver *r, unsigned long long now)
{
	if (!r->tokens_at) {
		r->tokens_ns = UNWIND_BURST_NS;
	} else {
		r->tokens_ns += (now - r->tokens_at) * UNWIND_SHARE_PCT / 100;
		if (r->tokens_ns > UNWIND_BURST_NS)
			r->tokens_ns = UNWIND_BURST_NS;
	}
	r->tokens_at = now;
	return r->tokens_ns > 0;
}

void site_resolver_sample(struct site_resolver *r, const struct ev_site_raw *raw)
{
	/* the thread's CPU time: on a busy host the wall clock would count
	 * the time other tasks ran, which is no cost of ours */
	unsigned long long cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t0 = clock_mono_ns();
	struct proc_unwind *p = NULL;
	struct frame_list fl = {.n = 0};
	__u64 pc0 = raw->nregs ? raw->regs[raw->nregs - 1] : 0;

	r->truncated = false;
	if (within_budget(r, t0)) {
		p = proc_get(r, raw->h.pid, t0);
		if (p->dwfl && pc0 && !dwfl_addrmodule(p->dwfl, pc0))
			proc_refresh(r, p, t0);
		if (!p->dwfl)
			r->st.no_maps++;
		collect_pcs(r, p, raw);
		build_stack(r, p, py_get(r, raw->h.pid, t0), raw, &fl);
	} else {
		r->st.over_budget++;
	}
	/* what the fault mapped, known without unwinding: through the
	 * process's kept pagemap, or one opened for this sample alone */
	struct proc_unwind *kept = p ? p : proc_find(r, raw->h.pid);
	int pagemap_fd = kept ? kept->pagemap_fd : fault_sizer_open_pagemap(raw->h.pid);
	__u64 fault_bytes = fault_size_of(r->sizer, pagemap_fd, raw->addr);
	if (!kept && pagemap_fd >= 0)
		close(pagemap_fd);
	if (fl.truncated)
		r->st.truncated++;
	struct ev_site_sample s = {
		.h = {.type = EV_SITE_SAMPLE, .size = sizeof(s), .cpu = raw->h.cpu, .ts = raw->h.ts,
		      .pid = raw->h.pid, .tid = raw->h.tid},
		.addr = raw->addr,
		.bytes = raw->weight * fault_bytes,
		.stack = fl.n ? stack_of(r, fl.ids, fl.n, fl.truncated, raw->h.ts) : 0,
		.flags = raw->flags,
	};
	r->emit(r->ctx, &s.h);
	r->st.samples++;
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
	r->st.unwind_ns += cpu0;
	r->tokens_ns = r->tokens_ns > cpu0 ? r->tokens_ns - cpu0 : 0;
}

void site_resolver_forget(struct site_resolver *r, unsigned pid)
{
	struct proc_unwind *p = r ? proc_find(r, pid) : NULL;

	if (p)
		proc_drop(p);
	if (r)
		py_forget(r, pid);
}

void site_resolver_set_python(struct site_resolver *r, int py_procs_fd)
{
	if (r)
		r->py_map_fd = py_procs_fd;
}

const char *site_resolver_python(const struct site_resolver *r, char *buf, size_t len)
{
	static const char *const support[] = {
		[PY_UNSUPPORTED] = "unsupported: native stacks only",
		[PY_TESTED] = "tested",
		[PY_UNTESTED] = "NOT tested",
	};
	size_t used = 0;

	buf[0] = 0;
	for (unsigned i = 0; r && i < r->npy_seen && used + 1 < len; i++) {
		const struct py_version_seen *e = &r->py_seen[i];
		int w = snprintf(buf + used, len - used, "%sCPython %s in %u process%s (%s%s%s)", i ? "; " : "",
				 e->version, e->procs, e->procs == 1 ? "" : "es", support[e->support],
				 e->source ? ", " : "", e->source ? e->source : "");
		if (w < 0)
			break;
		used += (size_t)w < len - used ? (size_t)w : len - used - 1;
	}
	return buf;
}

void site_resolver_stats(const struct site_resolver *r, struct site_resolve_stats *out)
{
	struct fault_size_stats fs;

	if (r)
		*out = r->st;
	else
		memset(out, 0, sizeof(*out));
	fault_sizer_stats(r ? r->sizer : NULL, &fs);
	out->large_folios = fs.large;
	out->size_unknown = fs.unknown;
}

const char *site_resolver_size_blind(const struct site_resolver *r)
{
	return r ? fault_sizer_blind(r->sizer) : NULL;
}
