/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One event's details, for `vigil dump` (its text and CSV sinks).  Process names come
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

/* h's own fields as " key=value" pairs (names: comm of pids it names); the
 * layouts around them are the dump sinks (sinks/dump_text.c, dump_csv.c) */
void print_details(FILE *f, const struct ev_hdr *h, const struct names *n);

#endif
