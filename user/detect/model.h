/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The model as sinks see it: the aggregator plus the detectors, evaluated
 * on event time every MODEL_TICK_NS of the stream (never on the wall
 * clock), so feeding the same events gives the same findings, live or from
 * a dump.
 *
 * Ticks lie on multiples of MODEL_TICK_NS.  A record whose timestamp
 * reaches one or more boundaries first has the model settled and evaluated
 * at each boundary it passes (a silent gap of more than MODEL_GAP_TICKS is
 * evaluated at its first and last boundary only), then is aggregated.
 * Intervals (agg_interval_reset) belong to the live view: the model never
 * resets them.
 */
#ifndef VIGIL_MODEL_H
#define VIGIL_MODEL_H

#include "agg.h"
#include "detect.h"

#define MODEL_TICK_NS (1000ull * 1000 * 1000)
#define MODEL_GAP_TICKS 64

struct model;

/* NULL cfg: built-in defaults.  NULL when out of memory. */
struct model *model_new(const struct vigil_config *cfg, const struct agg_limits *lim);
void model_free(struct model *m);
/* rec has passed ev_check(); ticks that its timestamp passes are evaluated first */
void model_event(struct model *m, const struct ev_hdr *rec);
/* Evaluates the ticks up to now without a record (a live view whose stream
 * went quiet).  now must not be later than records still to come. */
void model_advance(struct model *m, __u64 now);
/* End of the stream: settles the model and evaluates the detectors once more. */
void model_finish(struct model *m);
/* Exited processes are folded (agg_reap) keep_ns after their exit, once the
 * detectors have seen them exit; 0 (the default) keeps them for the report,
 * up to agg_limits.max_exited.  keep_ns is raised to at least
 * AGG_EXIT_GRACE_NS + 2 ticks. */
void model_set_reap(struct model *m, __u64 keep_ns);
struct agg *model_agg(struct model *m);
struct detector *model_detector(struct model *m);

#endif
