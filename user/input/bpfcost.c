// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "bpfcost.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { IDLE, MEASURING, UNAVAILABLE };

struct kernel_progs {
	const int *fds;
	int n;
};

struct bpfcost {
	struct bpfcost_ops ops;
	struct kernel_progs kprogs; /* ops.ctx of bpfcost_new_kernel() */
	unsigned long long delay_ns, window_ns, period_ns;
	bool started;
	int state;
	int handle; /* from ops.start, < 0 when none is open */
	int error;
	bool host_on; /* kernel.bpf_stats_enabled was 1 when the window opened */
	unsigned long long next_ns; /* IDLE: when the next window opens */
	unsigned long long t0_ns, run0_ns, runs0;
	bool have;
	struct bpfcost_result last;
};

struct bpfcost *bpfcost_new(const struct bpfcost_ops *ops, unsigned long long delay_ns,
			    unsigned long long window_ns, unsigned long long period_ns)
{
	struct bpfcost *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->ops = *ops;
	c->delay_ns = delay_ns;
	c->window_ns = window_ns;
	c->period_ns = period_ns > window_ns ? period_ns : window_ns;
	c->handle = -1;
	return c;
}

void bpfcost_stop(struct bpfcost *c)
{
	if (c && c->handle >= 0) {
		c->ops.stop(c->ops.ctx, c->handle);
		c->handle = -1;
	}
	if (c && c->state == MEASURING)
		c->state = IDLE;
}

void bpfcost_free(struct bpfcost *c)
{
	bpfcost_stop(c);
	free(c);
}

static void unavailable(struct bpfcost *c, int err)
{
	bpfcost_stop(c);
	c->state = UNAVAILABLE;
	c->error = err;
}

static void open_window(struct bpfcost *c, unsigned long long now)
{
	c->host_on = c->ops.always_on(c->ops.ctx);
	if (!c->host_on) {
		int h = c->ops.start(c->ops.ctx);
		if (h < 0) {
			unavailable(c, h);
			return;
		}
		c->handle = h;
	}
	int err = c->ops.read(c->ops.ctx, &c->run0_ns, &c->runs0);
	if (err) {
		unavailable(c, err);
		return;
	}
	c->t0_ns = now;
	c->state = MEASURING;
}

static void close_window(struct bpfcost *c, unsigned long long now)
{
	unsigned long long run_ns, runs;
	int err = c->ops.read(c->ops.ctx, &run_ns, &runs);
	double secs = (now - c->t0_ns) / 1e9;

	if (err) {
		unavailable(c, err);
		return;
	}
	/* a program unloaded meanwhile can make the sums go back: no figure */
	if (run_ns >= c->run0_ns && runs >= c->runs0 && secs > 0) {
		c->last.cpu_pct = (run_ns - c->run0_ns) / 1e9 / secs * 100.0;
		c->last.runs_per_s = (runs - c->runs0) / secs;
		c->last.ns_per_run = runs > c->runs0 ? (double)(run_ns - c->run0_ns) / (runs - c->runs0) : 0;
		c->have = true;
	}
	bpfcost_stop(c);
	/* the host keeps the statistics on: measure back to back */
	c->next_ns = c->host_on ? now : c->t0_ns + c->period_ns;
}

void bpfcost_tick(struct bpfcost *c, unsigned long long now_ns)
{
	if (!c || c->state == UNAVAILABLE)
		return;
	if (!c->started) {
		c->started = true;
		c->next_ns = now_ns + c->delay_ns;
	}
	if (c->state == MEASURING && now_ns - c->t0_ns >= c->window_ns)
		close_window(c, now_ns);
	if (c->state == IDLE && now_ns >= c->next_ns)
		open_window(c, now_ns);
}

bool bpfcost_last(const struct bpfcost *c, struct bpfcost_result *out)
{
	if (!c || !c->have)
		return false;
	*out = c->last;
	return true;
}

int bpfcost_error(const struct bpfcost *c) { return c ? c->error : 0; }

/* ---- the kernel's statistics ------------------------------------------------- */

static int kernel_read(void *ctx, unsigned long long *run_ns, unsigned long long *runs)
{
	const struct kernel_progs *k = ctx;

	*run_ns = *runs = 0;
	for (int i = 0; i < k->n; i++) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(k->fds[i], &info, &len))
			return -errno;
		*run_ns += info.run_time_ns;
		*runs += info.run_cnt;
	}
	return 0;
}

static int kernel_start(void *ctx)
{
	(void)ctx;
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	return fd < 0 ? -errno : fd;
}

static void kernel_stop(void *ctx, int handle)
{
	(void)ctx;
	close(handle);
}

static bool kernel_always_on(void *ctx)
{
	(void)ctx;
	FILE *f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v == 1;
}

struct bpfcost *bpfcost_new_kernel(const int *fds, int n, unsigned long long delay_ns,
				   unsigned long long window_ns, unsigned long long period_ns)
{
	struct bpfcost_ops ops = {kernel_read, kernel_start, kernel_stop, kernel_always_on, NULL};
	struct bpfcost *c = bpfcost_new(&ops, delay_ns, window_ns, period_ns);

	if (c) {
		c->kprogs.fds = fds;
		c->kprogs.n = n;
		c->ops.ctx = &c->kprogs;
	}
	return c;
}
