/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A finding's evidence, said once by its detector and drawn by every
 * output.  The detector's file (its kind-table row: the fields and lines
 * ops) decides what its evidence says; an output implements one of the two
 * writers below and decides how it looks:
 *
 *  - evidence_fields: named values, the JSON report's "evidence" object
 *    (docs/report.md names every key);
 *  - evidence_lines: one item per line for people, the text and Markdown
 *    reports and the live view's detail page.
 *
 * A new evidence block (a list of allocation sites, say) is a few more
 * calls in its detector's two ops; no output changes.  The writers are
 * callbacks so that the detectors call nothing above them: the view passes
 * them down.
 */
#ifndef VIGIL_EVIDENCE_H
#define VIGIL_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct site_model;

/* Both writers carry the trace's allocation sites (model/sites.h), so that
 * a memory finding can name its stacks; NULL or empty: none were sampled
 * and the evidence says nothing of sites. */
struct evidence_fields {
	void *ctx;
	const struct site_model *sites;
	void (*num)(void *ctx, const char *key, double v, int digits); /* rounded to digits decimals */
	void (*u64)(void *ctx, const char *key, __u64 v);
	void (*i64)(void *ctx, const char *key, __s64 v);
	void (*str)(void *ctx, const char *key, const char *s, size_t maxlen); /* hostile: escaped; NULL: null */
	void (*flag)(void *ctx, const char *key, bool v);
	void (*time)(void *ctx, const char *key, __u64 ts); /* event time, as seconds since the trace's origin */
	void (*list)(void *ctx, const char *key); /* opens an array, closed by end */
	void (*item)(void *ctx);                  /* opens a one-line object in the array, closed by end */
	void (*block)(void *ctx);                 /* opens an object with lists of its own, closed by end */
	void (*end)(void *ctx);
};

struct evidence_lines {
	void *ctx;
	const struct site_model *sites;
	void (*begin)(void *ctx);                /* a new item */
	void (*text)(void *ctx, const char *s);  /* the detector's own words and numbers */
	void (*code)(void *ctx, const char *s);  /* names from a traced binary (sanitized for a terminal), shown as code */
	void (*name)(void *ctx, const char *comm, size_t len, __u32 pid); /* a process: hostile, the output styles it */
	void (*end)(void *ctx);                  /* the item is complete */
};

/* text formatted into the current item (cut at 512 bytes) */
void ev_printf(struct evidence_lines *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* one whole item: begin, formatted text, end */
void ev_line(struct evidence_lines *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
