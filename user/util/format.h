/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Numbers for people: sizes, rates, durations in a few characters.  Pure
 * functions, shared by the batch printer, the report and the live view. */
#ifndef VIGIL_FORMAT_H
#define VIGIL_FORMAT_H

#include <stddef.h>

/* 1023 -> "1023B", 1536 -> "1.5K", 5 GiB -> "5.0G"; negative values get a
 * sign (for trends).  Always fits in 8 bytes + NUL. */
char *fmt_bytes(char *buf, size_t len, double bytes);
/* ns -> "850ns", "12us", "3.4ms", "1.20s", "2m05s" */
char *fmt_ns(char *buf, size_t len, double ns);
/* events per second -> "950", "12.5k", "3.1M" */
char *fmt_count(char *buf, size_t len, double n);

#endif
