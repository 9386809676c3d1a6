/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The live event source: opens, configures, loads and attaches the BPF
 * programs, drains the ring buffer and hands every validated record to a
 * callback.  Nothing here knows what the records mean. */
#ifndef VIGIL_SOURCE_H
#define VIGIL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"

/* Called for every record, in ring-buffer order.  Records the kernel could
 * not queue arrive as EV_LOST records built here. */
typedef void (*source_cb)(void *ctx, const struct ev_hdr *rec);

struct source_opts {
	bool track_all;      /* every process */
	bool track_exec;     /* new execs tracked provisionally until user space decides */
	int pf_source;       /* PF_SRC_*; PF_SRC_NONE = pick the best available */
	unsigned ringbuf_kb; /* ring buffer size, already source_ringbuf_kb()-rounded */
	bool verbose;        /* show libbpf's own messages */
	const char *btf_path; /* the kernel's BTF, for kernels without their own (NULL: the kernel's) */
	int site_mode;        /* enum site_mode: allocation-site sampling (docs/sites.md) */
	unsigned site_period; /* a fixed sampling period; 0 = adaptive */
	source_cb cb;
	void *cb_ctx;
};

struct source;

/* Errors: -EPERM (missing privilege), -ENOTSUP (kernel lacks something
 * essential), other -errno; msg says which, in one line. */
int source_open(struct source **out, const struct source_opts *o, char *msg, size_t msglen);

/* Start (or stop) tracking process tgid in the kernel. */
int source_track(struct source *s, unsigned tgid);
/* For a process tracked mid-life: forgets the fault counts its threads'
 * task storage kept from an earlier spell (a provisional one at exec), so
 * its faults count from its threads' next switch-in on. */
void source_fault_base_reset(struct source *s, unsigned tgid);
int source_untrack(struct source *s, unsigned tgid);
/* Withdraws what a child inherited at fork from a parent user space has
 * since rejected, unless the child exec'd meanwhile (its exec record then
 * decides): an untrack that cannot undo a newer exec. */
int source_untrack_inherited(struct source *s, unsigned tgid);

/* Hands everything that is in the ring buffer to the callback, then any
 * events the kernel lost since the last call. Returns records handled or -errno. */
int source_drain(struct source *s);

/* fd that becomes readable when the kernel asks for a drain (buffer filling) */
int source_fd(const struct source *s);

/* Stops the programs, then delivers what is still pending: the ring
 * buffer, per-CPU coalesced faults and RSS, the lost counts. */
void source_stop(struct source *s);
void source_close(struct source *s);

int source_pf_source(const struct source *s);
/* KSRC_* bits (ksources.h): what this kernel offered and vigil attached. */
unsigned source_ksources(const struct source *s);
struct bpfcost_result;
/* The in-kernel cost of vigil's programs in the last sampled window (see
 * bpfcost.h); false when none yet, with *err set when they cannot be
 * measured (-errno). */
bool source_bpf_cost(const struct source *s, struct bpfcost_result *out, int *err);
/* the same for the site sampling program alone; false when it does not run */
bool source_site_bpf_cost(const struct source *s, struct bpfcost_result *out);
/* The ring buffer the kernel gets for a request of kb KiB: a power of two
 * of pages, at least one page, at most SOURCE_RINGBUF_MAX_KB. */
unsigned source_ringbuf_kb(unsigned kb);
/* The kernel's limit: a ring buffer's size is a power of two held in a
 * 32-bit max_entries, so 2 GiB at most. */
#define SOURCE_RINGBUF_MAX_KB (1u << 21)
/* Warnings about degraded features, one per line, "" when none. */
const char *source_warnings(const struct source *s);
/* the BPF map of the processes whose Python frames are walked (site_resolve.h) */
int source_py_procs_fd(const struct source *s);

struct source_counts {
	unsigned long long produced; /* records the kernel tried to submit */
	unsigned long long lost;     /* of those, not queued (ring buffer full) */
	unsigned long long received; /* records handed to the callback (not counting EV_LOST) */
	unsigned long long malformed; /* records that failed validation */
	unsigned long long pending;  /* coalesced records delivered from per-CPU state at stop */
	unsigned long long site_taken;   /* page-fault samples of tracked processes sent */
	unsigned long long site_skipped; /* ... skipped because the ring buffer was busy */
	unsigned long long site_period;  /* the mean sampling period now; 0 when not sampling */
};
void source_counts(struct source *s, struct source_counts *c);

#endif
