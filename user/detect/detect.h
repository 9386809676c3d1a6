/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Findings: what the detectors conclude from the model (agg.h).  Pure: no
 * I/O, no clock; detectors are evaluated at instants given by the caller
 * (model.c evaluates on event time, so a live run and a report of its dump
 * reach the same findings).  Thresholds come from struct vigil_config.
 * docs/detectors.md explains each detector.
 *
 * Findings are kept per process entry (agg_proc.id) and kind: a process has
 * at most one leak, one retention and one contention finding, raised the
 * first time its rule holds and updated while it holds.  Each finding keeps
 * its own copy of pid/comm/role, so it outlives the entry (agg_reap).
 */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include "events.h"
#include "finding.h"

struct agg;
struct vigil_config;

struct detector;

struct detector *detector_new(const struct vigil_config *cfg);
void detector_free(struct detector *d);
/* Evaluates every detector on the model as of event time now (the caller
 * has settled the model up to now; now never decreases between calls).
 * Findings are sticky: once raised they stay in the list, active or not,
 * with their evidence updated while active. */
void detector_eval(struct detector *d, struct agg *a, __u64 now);
/* The end of the stream: evaluates at now once more, then judges run-queue
 * waiting over the whole trace too, so a process that waited too much in
 * total, but never long enough within one window, is still named. */
void detector_finish(struct detector *d, struct agg *a, __u64 now);
size_t detector_nfindings(const struct detector *d);
/* Newest first.  The pointer stays valid until the detector is freed or the
 * finding is forgotten (detector_dropped); its summary is brought up to date
 * here, so fetch findings again after each evaluation. */
const struct finding *detector_finding(const struct detector *d, size_t i);
/* Every finding, newest first, into *buf (grown as needed, *cap its
 * length; the caller frees it); returns how many, or (size_t)-1 out of
 * memory.  d may be NULL (no detectors): 0. */
size_t detector_findings(const struct detector *d, const struct finding ***buf, size_t *cap);
/* Findings forgotten because the list was full (oldest inactive first). */
size_t detector_dropped(const struct detector *d);

const char *finding_kind_name(enum finding_kind k);   /* "leak", "retention", "contention" */
const char *finding_kind_badge(enum finding_kind k);  /* the live view's word: "LEAK", "RETAIN", "CONTEND" */
enum finding_colour finding_kind_colour(enum finding_kind k);
/* What to do about f: its detector's advice for this finding, else its
 * kind's general one; NULL: none. */
const char *finding_hint(const struct finding *f);
/* f's evidence through its detector (evidence.h): named values, or lines. */
struct evidence_fields;
struct evidence_lines;
void finding_evidence_fields(const struct finding *f, struct evidence_fields *o);
void finding_evidence_lines(const struct finding *f, struct evidence_lines *o);

#endif
