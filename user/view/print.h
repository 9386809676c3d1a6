/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One event per line, for `vigil dump` (text or CSV).  Process names come
 * from the stream itself (EV_PROC, EV_EXEC, EV_FORK, EV_COMM records). */
#ifndef VIGIL_PRINT_H
#define VIGIL_PRINT_H

#include <stdio.h>
#include "events.h"

struct names;

struct names *names_new(void);
void names_free(struct names *n);
/* learns names from the records that carry them */
void names_learn(struct names *n, const struct ev_hdr *h);
/* printable name of pid, "?" when unknown */
const char *names_get(const struct names *n, unsigned pid);

void print_csv_header(FILE *f);
/* t0: timestamp shown as 0 */
void print_event(FILE *f, const struct ev_hdr *h, const struct names *n, unsigned long long t0, int csv);

#endif
