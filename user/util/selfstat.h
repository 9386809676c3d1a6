/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What vigil itself costs: its CPU time and memory, read from /proc, so the
 * operator can see the tracer is cheap (and catch it when it is not). */
#ifndef VIGIL_SELFSTAT_H
#define VIGIL_SELFSTAT_H

struct selfstat {
	unsigned long long cpu_ns;  /* user + system time so far */
	unsigned long long wall_ns; /* CLOCK_MONOTONIC when read */
	unsigned long long rss;     /* VmRSS, bytes */
	unsigned long long peak_rss; /* VmHWM, bytes */
};

/* 0 or -errno */
int selfstat_read(struct selfstat *s);
/* CPU use between two readings in % of one core; 0 if no time passed */
double selfstat_cpu_pct(const struct selfstat *from, const struct selfstat *to);

#endif
