/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The report's view model, shared by its formats (sinks/report_text.c,
 * report_json.c, report_md.c): the processes (pview rows, one order) and
 * findings (most severe first) of a struct report, sorted once, with the
 * span they cover, and the pieces the formats share -- hostile text made
 * safe, host counters over the span, text and Markdown items.  Not for
 * anything but a report format: the other outputs read pview.h directly.
 */
#ifndef VIGIL_REPORT_VIEW_H
#define VIGIL_REPORT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "agg.h"
#include "detect.h"
#include "pview.h"
#include "report.h"

#define METHOD "measured by the kernel via BPF tracepoints"
#define DEFAULT_OTHER_ROWS 15

/* One report: what every format shows, sorted once. */
struct report_view {
	const struct report *r;
	const struct report_meta *m;
	const struct agg_host *h;
	__u64 origin;  /* since_s and every *_s time are from here */
	__u64 end_ts;  /* the last moment the numbers cover */
	double span_s; /* the span the counters cover */
	struct pview *pv;
	size_t npv;
	const struct finding **fs;
	size_t nfs;
};

enum style { ST_TEXT, ST_MD };

/* Evidence as items: one line joined by "; " (text) or bullets (md). */
struct items {
	FILE *f;
	enum style st;
	unsigned n;
	const char *indent;
	const struct site_model *sites; /* the trace's, for memory findings' sites */
};

struct role_sum {
	double cpu_pct;
	__u64 rss, wait_ns;
};

/* ---- the view ---- */
/* 0, or -1 out of memory (free it either way) */
int ctx_init(struct report_view *c, const struct report *r, const struct report_meta *m);
void ctx_free(struct report_view *c);
/* seconds since the origin; digits-decimal rounding (what the data supports) */
double rel_s(const struct report_view *c, __u64 ts);
double rnd(double v, int digits);
double ns_to_us(__u64 ns);
/* wall time of the trace start: ISO 8601 UTC (JSON) or local with offset */
bool wall_str(const struct report_view *c, char *buf, size_t len, bool utc);
/* host counters over the span reported (the interval's, or all) */
__u64 in_span(const struct report_view *c, __u64 tot, __u64 base);
__u64 ev_total(const struct report_view *c);
__u64 ev_lost(const struct report_view *c);
__u64 ev_by_type(const struct report_view *c, unsigned t);
double ev_rate(const struct report_view *c);
double self_cpu_pct(const struct report_view *c, const struct report_self *s);
unsigned host_ncpus(const struct report_view *c);
const char *dump_error(const struct report_dump *d);
const char *sev_label(const struct finding *f);
const char *str0(const char *s);

/* ---- hostile text (textsafe.h): text made safe, Markdown escaped ---- */
void put_text(FILE *f, const char *src, size_t srclen);
void text_cell(FILE *f, const char *src, size_t srclen, int width);
void md_text(FILE *f, const char *src, size_t srclen);
void md_code(FILE *f, const char *src, size_t srclen, size_t maxbytes, bool in_table);

/* ---- text and Markdown ---- */
#define ROLE_ORDER_N 4
extern const unsigned role_order[ROLE_ORDER_N]; /* asr, avatar, camera, other */
void put_name(FILE *f, enum style st, const char *comm, size_t len, __u32 pid, bool in_table);
void item_start(struct items *it);
void item_end(struct items *it);
void item(struct items *it, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* a finding's evidence (its detector's lines, evidence.h) and hint as items */
void finding_items(struct items *it, const struct finding *f);
size_t role_rows(const struct report_view *c, unsigned role, size_t *first, size_t *count);
const char *state_str(char *b, size_t l, const struct agg_proc *p);
void rq_strs(const struct pview *v, char *p50, char *p99, char *max, size_t l);
void rss_strs(const struct pview *v, char *s, char *e, char *pk, size_t l);
bool own_thread(const struct pview *v, unsigned i);
struct role_sum role_sum(const struct report_view *c, size_t first, size_t n);
void late_targets(FILE *f, const struct report_view *c, const char *lead, const char *after);

#endif
