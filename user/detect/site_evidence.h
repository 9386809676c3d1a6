/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How allocation sites read (docs/sites.md, docs/report.md "sites"): the
 * evidence list of a finding's or a process's sites, and the one-line
 * summary of a stack that names the program's own frames first -- the
 * allocator and the C library (malloc, memcpy, the dynamic loader) are
 * skipped there, since every leak passes through them, and kept in the
 * list's frames.  Said through evidence.h, so every output draws them.
 */
#ifndef VIGIL_SITE_EVIDENCE_H
#define VIGIL_SITE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include "finding.h"
#include "evidence.h"
#include "sites.h"

struct agg_proc;

/* Is this a frame of the allocator or the C runtime, not of the program? */
bool site_frame_is_runtime(const struct site_frame_info *fi);
/* Is this a Python frame of the standard library or an installed package? */
bool site_frame_is_python_library(const struct site_frame_info *fi);
/* "fn (file.c:12) <- caller (file.c:40)": up to max_frames program frames,
 * innermost first (the innermost frames when none is the program's);
 * a stack with Python frames shows those only, from the program's
 * innermost one: "new_frame (render.py:14) <- keep_frame (render.py:18)".
 * Sanitized for a terminal.  Returns buf. */
char *site_line(char *buf, size_t len, const struct site_model *m, __u32 stack, unsigned max_frames);
/* A process's top sites by live bytes now (what processes[].mem.sites lists). */
size_t site_proc_top(const struct agg_proc *p, struct finding_site *rows, size_t max, __u64 *total);
/* key: [ {"bytes", "share", "samples", "truncated", "frames": [...]}, ... ] */
void site_evidence_fields(struct evidence_fields *o, const char *key, const struct finding_site *rows, size_t n,
			  __u64 total);
/* Rows (largest first) as one-line summaries of max_frames frames, those
 * that read the same merged and their bytes summed -- Python stacks that
 * differ only in the interpreter's native frames -- largest first; of the
 * first SITE_SUMMARIES_MAX rows (out[] holds that many).  Returns how many. */
#define SITE_SUMMARIES_MAX 16 /* the most site_proc_top gives */
struct site_summary {
	char line[384];
	__u64 bytes;
};
size_t site_summaries(const struct site_model *m, const struct finding_site *rows, size_t n, unsigned max_frames,
		      struct site_summary *out);
/* "site 62% +40M: fn (file.c:12) <- caller": one line per summary */
void site_evidence_lines(struct evidence_lines *o, const struct finding_site *rows, size_t n, __u64 total);

#endif
