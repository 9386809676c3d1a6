/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The clocks user space reads, in ns.  CLOCK_MONOTONIC is the one the BPF
 * programs stamp records with (bpf_ktime_get_ns), so every pacing, timeout
 * and origin compares with it; CLOCK_REALTIME only says when, for people.
 * The model never reads a clock (design: event time only). */
#ifndef VIGIL_CLOCK_H
#define VIGIL_CLOCK_H

#include <time.h>

unsigned long long clock_ns(clockid_t id);
static inline unsigned long long clock_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}
static inline unsigned long long clock_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

#endif
