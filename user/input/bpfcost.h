/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What vigil's BPF programs cost in the kernel: their run time per second of
 * wall time and per run, from the kernel's per-program statistics.
 *
 * Those statistics cost two clock reads per program run while they are on
 * (~30 ns here, as much as a program itself), so unless the host already has
 * kernel.bpf_stats_enabled=1 they are switched on for one window of
 * `window_ns` every `period_ns` (1 s in 15 by default), the first `delay_ns`
 * after the first tick (3 s: not while a run is starting up), and the last
 * window's figures are kept.  While a window is open, every BPF program on
 * the host pays that price, not only vigil's. */
#ifndef VIGIL_BPFCOST_H
#define VIGIL_BPFCOST_H

#include <stdbool.h>

/* How the statistics are reached: the kernel (bpfcost_kernel_ops) or a test. */
struct bpfcost_ops {
	/* sum of run_time_ns and run_cnt over the programs; 0 or -errno */
	int (*read)(void *ctx, unsigned long long *run_ns, unsigned long long *runs);
	/* turn the statistics on: a handle >= 0 to pass to stop, or -errno */
	int (*start)(void *ctx);
	void (*stop)(void *ctx, int handle);
	/* are they on for the whole host anyway (kernel.bpf_stats_enabled)? */
	bool (*always_on)(void *ctx);
	void *ctx;
};

/* vigil's schedule, in seconds (the messages that describe it use these) */
#define BPFCOST_DELAY_S 3
#define BPFCOST_WINDOW_S 1
#define BPFCOST_PERIOD_S 15

struct bpfcost_result {
	double cpu_pct;    /* % of one CPU spent in the programs during the window */
	double ns_per_run; /* average run time */
	double runs_per_s;
};

struct bpfcost;

/* NULL when out of memory. */
struct bpfcost *bpfcost_new(const struct bpfcost_ops *ops, unsigned long long delay_ns,
			    unsigned long long window_ns, unsigned long long period_ns);
void bpfcost_free(struct bpfcost *c);
/* Call often (each drain): opens and closes the windows on time. */
void bpfcost_tick(struct bpfcost *c, unsigned long long now_ns);
/* Turns the statistics off now if this module turned them on. */
void bpfcost_stop(struct bpfcost *c);
/* The last completed window; false before the first one, or when the
 * statistics cannot be turned on (why: bpfcost_error()). */
bool bpfcost_last(const struct bpfcost *c, struct bpfcost_result *out);
/* 0, or the -errno that made the statistics unavailable */
int bpfcost_error(const struct bpfcost *c);

/* bpfcost_new() on the kernel's statistics of the programs behind fds[0..n)
 * (the array is kept, not copied). */
struct bpfcost *bpfcost_new_kernel(const int *fds, int n, unsigned long long delay_ns,
				   unsigned long long window_ns, unsigned long long period_ns);

#endif
