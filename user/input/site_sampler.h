/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The page-fault sampling of allocation sites (docs/sites.md): one
 * PERF_COUNT_SW_PAGE_FAULTS event per CPU runs the BPF program site_sample
 * once in about N faults.  N, the mean period, is what a sample weighs.
 *
 * Unbiased: every fault on a CPU is equally likely to be the sampled one,
 * whichever process takes it, so a process's sampled pages times N
 * estimate its faulted pages.  A fixed period would alias with a workload
 * that faults in a fixed pattern (every other fault of a loop), so each
 * CPU's next period is drawn anew, uniformly in [N/2, 3N/2], after each of
 * its samples.  Adaptive: unless --site-rate fixes N, N doubles while the
 * samples of tracked processes exceed the budget and halves while they stay
 * under a quarter of it.
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

struct bpf_program;
struct site_sampler;

/* prog: the loaded site_sample program; weight: where it reads the mean
 * period (the BPF object's bss).  period: a fixed N, 0 = adaptive.
 * Returns 0 or -errno with a reason in msg. */
int site_sampler_open(struct site_sampler **out, struct bpf_program *prog, volatile __u64 *weight,
		      unsigned period, int ncpus, char *msg, size_t msglen);
/* A sample from cpu arrived: that CPU's next period is drawn. */
void site_sampler_sampled(struct site_sampler *s, unsigned cpu);
/* taken: the kernel's count so far of samples of tracked processes (sent
 * or skipped); adapts the period at most every 250 ms of now_ns. */
void site_sampler_tick(struct site_sampler *s, unsigned long long taken, unsigned long long now_ns);
/* The mean period now. */
unsigned long long site_sampler_period(const struct site_sampler *s);
/* Detaches the events (idempotent); site_sampler_close also frees. */
void site_sampler_stop(struct site_sampler *s);
void site_sampler_close(struct site_sampler *s);

#endif
