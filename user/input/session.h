/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A tracing session: the live source plus the decisions about which
 * processes are targets.  It hands the sink a stream that holds only what
 * concerns the targets (and the CPU holders they waited behind), with an
 * EV_PROC record for every process before its first event — exactly what a
 * dump stores and what the aggregator consumes. */
#ifndef VIGIL_SESSION_H
#define VIGIL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"
#include "source.h"

struct targets;

typedef void (*session_sink)(void *ctx, const struct ev_hdr *rec);

struct session_opts {
	const struct targets *targets;
	int pf_source;
	unsigned ringbuf_kb;
	bool verbose;
	const char *btf_path;
	int site_mode;        /* enum site_mode */
	unsigned site_period; /* fixed sampling period, 0 = adaptive */
	session_sink sink;
	void *sink_ctx;
};

struct session;

/* Returns 0, or -errno with a one-line reason in msg (-EPERM: privilege). */
int session_open(struct session **out, const struct session_opts *o, char *msg, size_t msglen);
/* Waits up to timeout_ms for the kernel to ask for a drain, then drains. */
int session_poll(struct session *s, int timeout_ms);
/* Detaches and delivers everything still pending. */
void session_stop(struct session *s);
void session_close(struct session *s);

struct source *session_source(struct session *s);
/* Processes currently selected and alive. */
size_t session_live_targets(const struct session *s);
/* Explicit -p targets still alive (0 once all have exited). */
size_t session_live_pids(const struct session *s);
struct site_resolve_stats;
/* What allocation-site resolution did so far (all 0 without --sites). */
void session_site_stats(const struct session *s, struct site_resolve_stats *out);
/* why huge-page faults weigh as base pages in this run, or NULL */
const char *session_site_size_blind(const struct session *s);
/* the Python interpreters seen and how far each is trusted ("" none) */
const char *session_site_python(const struct session *s, char *buf, size_t len);

#endif
