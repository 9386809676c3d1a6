/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The names of the page-fault sources (enum vigil_pf_source, events.h):
 * one list, for the report and JSON (the key), and the startup message,
 * the snapshots' header and the live view (the description).  The
 * --pf-source option's choices (cmd/cli.c) are the keys. */
#ifndef VIGIL_PF_SOURCE_H
#define VIGIL_PF_SOURCE_H

#include "events.h"

/* "counters", "tracepoint", "perf"; NULL for none or an unknown value */
const char *pf_source_key(int pf);
/* "task fault counters (min_flt/maj_flt)", ...; "none" for none or unknown */
const char *pf_source_desc(int pf);

#endif
