/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The page-fault sampling of allocation sites (docs/sites.md): one
 * PERF_COUNT_SW_PAGE_FAULTS event per CPU runs the BPF program site_sample
 * once in about N/M faults, and the program takes one of those overflows
 * in about M as a sample (M = SITE_SKIP_MEAN, or N when N is smaller).
 * N, the mean period, is what a sample weighs.
 *
 * Unbiased: every fault on a CPU is equally likely to be the sampled one,
 * whichever process takes it, so a process's sampled pages times their
 * weights estimate its faulted pages.  A fixed stride would alias with a
 * workload that faults in a fixed pattern (every other fault of a loop):
 * the program draws which overflow is a sample, and the event's period is
 * drawn anew on each CPU when N changes and every 2 s.  The period is never
 * changed per sample: a new period makes the next fault overflow at once,
 * which would put samples on whatever code faults first after user space
 * acted.  Adaptive: unless --site-rate fixes N, N doubles while the
 * samples of tracked processes exceed the budget and halves while they stay
 * under a quarter of it; the BPF program meanwhile takes at most
 * site_sampler_cap() samples per CPU per 100 ms (a burst's faults then
 * weigh on its next sample: none is lost).
 */
#ifndef VIGIL_SITE_SAMPLER_H
#define VIGIL_SITE_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* samples per second of tracked processes that the adaptive period aims
 * under; with dwarf unwinding at ~20-60 us a sample, about 1 % of a core */
#define SITE_BUDGET_PER_S 250
#define SITE_PERIOD_START 256
#define SITE_PERIOD_MIN 16
#define SITE_PERIOD_MAX (1u << 22)
#define SITE_SKIP_MEAN 16 /* overflows per sample: BPF runs ~16 times per sample */

struct bpf_program;
struct site_sampler;

/* prog: the loaded site_sample program; weight, skip_mean: where it reads
 * N and M (the BPF object's .data).  period: a fixed N, 0 = adaptive.
 * Returns 0 or -errno with a reason in msg. */
int site_sampler_open(struct site_sampler **out, struct bpf_program *prog, volatile __u64 *weight,
		      volatile __u32 *skip_mean, unsigned period, int ncpus, char *msg, size_t msglen);
/* Samples per CPU per 100 ms that the BPF program takes at most: the
 * budget, shared by the CPUs, twice over (0: no cap, for a fixed period,
 * which the user chose knowing its cost). */
__u32 site_sampler_cap(unsigned period, int ncpus);
/* taken: the kernel's count so far of samples of tracked processes (sent
 * or skipped); adapts the period at most every 250 ms of now_ns. */
void site_sampler_tick(struct site_sampler *s, unsigned long long taken, unsigned long long now_ns);
/* The mean period now. */
unsigned long long site_sampler_period(const struct site_sampler *s);
/* Detaches the events (idempotent); site_sampler_close also frees. */
void site_sampler_stop(struct site_sampler *s);
void site_sampler_close(struct site_sampler *s);

#endif
