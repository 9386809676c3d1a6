/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A plain-text snapshot of the model over the last interval: what
 * `vigil live --batch` prints every interval (logs, pipes, ssh without a
 * terminal). */
#ifndef VIGIL_SNAPSHOT_H
#define VIGIL_SNAPSHOT_H

#include <stdio.h>

#include "status.h"

struct agg;

/* a's interval as text, under a header from st (its pf_source: NULL, "?");
 * max_rows processes at most (0: all) */
void snapshot_text(FILE *f, struct agg *a, const struct run_status *st, unsigned max_rows);

#endif
