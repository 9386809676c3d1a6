/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * How much memory one sampled page fault made resident (docs/sites.md
 * "Weights"): one base page, or the whole folio when the fault mapped an
 * anonymous large folio at once — a transparent huge page (2 MiB on x86_64
 * and 4K-page arm64) or a multi-size THP (16 KiB .. 1 MiB).  A sample's
 * weight is the sampling period times this size: every fault is sampled
 * with the same probability, so weighing each by what it mapped keeps the
 * estimate of resident growth unbiased when THP is on.
 *
 * Read after the fault, from /proc/PID/pagemap (the page frame) and
 * /proc/kpageflags (the folio: anonymous? its head and tails).  Both need
 * CAP_SYS_ADMIN to show frame numbers; without it, or when the page is
 * gone by the time the sample is read, the answer is one base page (the
 * lower bound), and the reason is counted.
 */
#ifndef VIGIL_FAULT_SIZE_H
#define VIGIL_FAULT_SIZE_H

#include <linux/types.h>

struct fault_size_stats {
	unsigned long long large;     /* samples weighed as a large folio */
	unsigned long long unknown;   /* samples whose page could not be looked up (one base page) */
};

struct fault_sizer;

/* NULL only when out of memory; a sizer without access answers base pages */
struct fault_sizer *fault_sizer_new(void);
void fault_sizer_free(struct fault_sizer *s);
/* /proc/PID/pagemap opened for fault_size_of (-1 if it cannot be: base pages) */
int fault_sizer_open_pagemap(unsigned pid);
/* Bytes made resident by the fault at addr of the process whose pagemap
 * is pagemap_fd. */
__u64 fault_size_of(struct fault_sizer *s, int pagemap_fd, __u64 addr);
/* why large folios cannot be seen, or NULL when they can */
const char *fault_sizer_blind(const struct fault_sizer *s);
void fault_sizer_stats(const struct fault_sizer *s, struct fault_size_stats *out);

#endif
