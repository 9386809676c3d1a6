// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The aggregator and the detectors driven by event time: the detectors run
 * at every MODEL_TICK_NS boundary the stream passes, before the record that
 * passes it is aggregated, so a live run and a report of its dump evaluate
 * the same state at the same instants.  Per record the only extra work is
 * one timestamp compare. */
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "model.h"

struct model {
	struct agg *agg;
	struct detector *det;
	__u64 next_tick; /* next boundary to evaluate; 0 until the first record */
	__u64 keep_ns;   /* agg_reap after each evaluation; 0 = never */
	__u64 last_eval; /* the last evaluation's time */
	bool evaluated;
	bool grid_end;   /* the next boundary would not fit in 64 bits: no more ticks */
};

struct model *model_new(const struct vigil_config *cfg, const struct agg_limits *lim)
{
	struct model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->agg = agg_new(lim);
	m->det = detector_new(cfg);
	if (!m->agg || !m->det) {
		model_free(m);
		return NULL;
	}
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	agg_free(m->agg);
	detector_free(m->det);
	free(m);
}

/* Settles the model up to the boundary (no record still to come is
 * earlier), judges, and lets go of processes the detectors are done with. */
static void evaluate(struct model *m, __u64 t)
{
	agg_settle(m->agg, t);
	detector_eval(m->det, m->agg, t);
	m->last_eval = t;
	m->evaluated = true;
	if (m->keep_ns)
		agg_reap(m->agg, t, m->keep_ns);
}

/* Evaluates every boundary up to now; a long silent gap only at its first
 * and last boundary (nothing arrived in between to change a finding).
 * Timestamps are not trusted: a boundary that would pass 2^64 ends the grid
 * rather than wrap around (a wrapped boundary never passes now). */
static void run_ticks(struct model *m, __u64 now)
{
	if (!m->next_tick) { /* the first record fixes nothing but the grid */
		__u64 first = now / MODEL_TICK_NS * MODEL_TICK_NS;

		if (first > UINT64_MAX - MODEL_TICK_NS)
			m->grid_end = true;
		else
			m->next_tick = first + MODEL_TICK_NS;
		return;
	}
	while (m->next_tick <= now) {
		__u64 left = (now - m->next_tick) / MODEL_TICK_NS;
		__u64 step = left > MODEL_GAP_TICKS ? left * MODEL_TICK_NS : MODEL_TICK_NS;

		evaluate(m, m->next_tick);
		if (m->next_tick > UINT64_MAX - step) {
			m->grid_end = true;
			return;
		}
		m->next_tick += step;
	}
}

void model_event(struct model *m, const struct ev_hdr *rec)
{
	if (rec->ts >= m->next_tick && !m->grid_end)
		run_ticks(m, rec->ts);
	agg_event(m->agg, rec);
}

void model_advance(struct model *m, __u64 now)
{
	if (m->next_tick && now >= m->next_tick && !m->grid_end)
		run_ticks(m, now);
}

void model_finish(struct model *m)
{
	__u64 end = agg_host(m->agg)->last_ts;

	agg_settle(m->agg, 0);
	if (m->evaluated && end < m->last_eval)
		end = m->last_eval; /* records out of order: never step back */
	detector_finish(m->det, m->agg, end);
	m->last_eval = end;
	m->evaluated = true;
}

void model_set_reap(struct model *m, __u64 keep_ns)
{
	__u64 min = AGG_EXIT_GRACE_NS + 2 * MODEL_TICK_NS;

	m->keep_ns = keep_ns && keep_ns < min ? min : keep_ns;
}

struct agg *model_agg(struct model *m)
{
	return m->agg;
}

struct detector *model_detector(struct model *m)
{
	return m->det;
}
