/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Allocation sites in the model (docs/sites.md): the frames and stacks a
 * trace defines, and per process the live set of sampled pages by stack.
 *
 * A sampled fault at address A puts A's page in the live set under the
 * sample's stack with the sample's weight (the bytes it stands for);
 * releases remove the pages they cover: munmap, madvise(DONTNEED/FREE),
 * the old range of a moved or shrunk mremap, a brk shrink, exec (a new
 * address space).  A page faulted again replaces its earlier entry.  So a
 * stack's live bytes estimate the resident memory it faulted in and still
 * holds, and code that maps, touches and unmaps a buffer every frame ends
 * near zero however many faults it takes.
 *
 * Bounded: at most SITES_PAGES_MAX live sampled pages per process.  At the
 * bound the set is thinned: pages whose address hash has the next bit set
 * leave, the others weigh twice as much, and from then on only samples of
 * pages that pass the same hash filter are kept, at the doubled weight (an
 * unbiased estimate still, at half the resolution).  At most
 * SITES_PER_PROC stacks per process; the samples of any further stack are
 * counted in the process's `dropped`.  Each stack's live bytes over time
 * keep SITES_HISTORY points (the step doubles as the trace grows), from
 * which growth over a finding's window is read.  Worst case per process:
 * 16384 pages x 24 B + 512 stacks x 1.1 KB = ~1 MB.
 */
#ifndef VIGIL_SITES_H
#define VIGIL_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"

#define SITES_PAGES_MAX 16384
#define SITES_PER_PROC 512
#define SITES_HISTORY 64

struct site_model;
struct proc_sites;

struct site_frame_info {
	__u32 line;     /* 0 unknown */
	__u16 kind;     /* enum site_frame_kind */
	__u64 offset;
	const char *module, *function, *file; /* never NULL; "" when unknown */
};

/* A stack's share of a process's sites over a span. */
struct site_row {
	__u32 stack;
	__s64 bytes;        /* growth over the span (live bytes when the span is the whole trace) */
	__u64 live_bytes;   /* now */
	__u64 samples;      /* samples taken of it, ever */
};

struct site_model *sites_new(__u32 page_size);
void sites_free(struct site_model *m);

void sites_frame(struct site_model *m, const struct ev_site_frame *f);
void sites_stack(struct site_model *m, const struct ev_site_stack *s);
/* *ps is allocated on the first sample of a process */
/* false: the sample was dropped (the process's stack table is full, or no
 * memory), and counted */
bool sites_sample(struct site_model *m, struct proc_sites **ps, const struct ev_site_sample *s);
void sites_release(struct site_model *m, struct proc_sites *ps, __u64 addr, __u64 len, __u64 ts);
/* exec: a new address space */
void sites_clear(struct site_model *m, struct proc_sites *ps, __u64 ts);
void sites_proc_free(struct proc_sites *ps);

/* The stacks of a process that grew most over (from_ts, to_ts]: live bytes
 * at to_ts minus at from_ts (from_ts 0: since the start), positive only,
 * largest first, at most max rows; *total (may be NULL) gets the sum of all
 * positive growth.  Returns the rows written. */
size_t sites_top(const struct proc_sites *ps, __u64 from_ts, __u64 to_ts, struct site_row *rows, size_t max,
		 __u64 *total);
/* counts for reports: samples kept, samples dropped (stack table full),
 * pages thinned out, the thinning level (weights x 2^level) */
struct sites_proc_counts {
	__u64 samples, dropped, thinned, live_pages;
	__u64 live_bytes;
	__u32 level;
};
void sites_proc_counts(const struct proc_sites *ps, struct sites_proc_counts *out);

/* The frames of a stack, innermost first: returns how many (0 for an
 * unknown stack) and points *frames at their ids. */
size_t sites_stack_frames(const struct site_model *m, __u32 stack, const __u32 **frames, bool *truncated);
/* A frame's description; an unknown id describes itself as "[unknown]". */
void sites_frame_info(const struct site_model *m, __u32 frame, struct site_frame_info *out);
/* The trace sampled allocation sites (it has site records): outputs then
 * list sites, empty or not; without, they leave the key out. */
bool sites_present(const struct site_model *m);
/* Records that named frames or stacks twice or referred to unknown ones. */
__u64 sites_inconsistent(const struct site_model *m);

#endif
