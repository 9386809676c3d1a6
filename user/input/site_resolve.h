/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * From a raw page-fault sample (EV_SITE_RAW: registers and a copy of the
 * user stack, or frame-pointer return addresses) to the records a dump
 * keeps (docs/sites.md): the call stack is unwound with the binaries' CFI
 * (libdw, as perf --call-graph dwarf does), each frame symbolized once
 * (.symtab/.dynsym, .gnu_debuglink and build-id debug files, DWARF lines)
 * and emitted as EV_SITE_FRAME, each distinct stack once as EV_SITE_STACK,
 * then the sample as EV_SITE_SAMPLE.  Frames are keyed by (module file,
 * address in it), so the same code in two processes is one frame.
 *
 * Runs live, on the machine of the process, while its mappings exist: a
 * process's mappings are read (/proc/PID/maps) at its first sample and
 * again when a sample's pc falls outside every module known for it.
 */
#ifndef VIGIL_SITE_RESOLVE_H
#define VIGIL_SITE_RESOLVE_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"

typedef void (*site_emit)(void *ctx, const struct ev_hdr *rec);

struct site_resolver;

struct site_resolve_stats {
	unsigned long long samples;   /* raw samples resolved */
	unsigned long long frames;    /* distinct frames emitted */
	unsigned long long stacks;    /* distinct stacks emitted */
	unsigned long long unwind_ns; /* CPU time spent unwinding and symbolizing (this thread's) */
	unsigned long long no_maps;   /* samples of processes whose mappings could not be read */
	unsigned long long truncated; /* stacks cut at the copy's end or the frame limit */
	unsigned long long large_folios; /* faults that mapped a huge page or large folio (fault_size.h) */
	unsigned long long size_unknown; /* faults whose page was gone or unreadable: weighed as a base page */
	unsigned long long over_budget;  /* samples left without a stack: the second's unwinding budget was spent */
	unsigned long long py_procs;     /* processes found running CPython */
	unsigned long long py_samples;   /* samples with Python frames */
	unsigned long long py_frames;    /* Python frames resolved in them */
	unsigned long long py_unresolved; /* Python frames whose code object could not be read */
	unsigned long long py_map_full;  /* Python processes the BPF walk had no room for */
};

struct site_resolver *site_resolver_new(site_emit emit, void *ctx);
void site_resolver_free(struct site_resolver *r);
/* raw passed ev_check_site_raw() */
void site_resolver_sample(struct site_resolver *r, const struct ev_site_raw *raw);
/* The process exited: its mappings are forgotten (its frames stay). */
void site_resolver_forget(struct site_resolver *r, unsigned pid);
/* Python frames: the BPF walk's py_procs map (its fd), set once it is loaded */
void site_resolver_set_python(struct site_resolver *r, int py_procs_fd);
/* the interpreters seen and how far each is trusted, "" when none */
const char *site_resolver_python(const struct site_resolver *r, char *buf, size_t len);
void site_resolver_stats(const struct site_resolver *r, struct site_resolve_stats *out);
/* Is this module (a file's base name) the C runtime or an allocator, not
 * the program?  Their frames get no source lines, and the one-line
 * summary of a stack skips them (detect/site_evidence.h). */
bool site_module_is_runtime(const char *module);
/* why huge pages weigh as base pages here (no /proc/kpageflags), or NULL */
const char *site_resolver_size_blind(const struct site_resolver *r);

#endif
