// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "site_sampler.h"

#include <errno.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#define ADAPT_NS 250000000ull

struct site_sampler {
	int ncpus;
	int *fds;
	struct bpf_link **links;
	volatile __u64 *weight;
	volatile __u32 *skip_mean;
	__u64 *cur;                /* each CPU's event period now */
	unsigned ticks;            /* adaptation windows so far */
	unsigned long long period; /* the mean */
	bool fixed;
	__u64 rng;
	unsigned long long last_taken, last_ns;
};

/* xorshift64*: the draws only need to break patterns, not to be secret */
static __u64 next_rand(struct site_sampler *s)
{
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dull;
}

/* The event's period on every CPU: N / M, each CPU's drawn anew in
 * [3/4, 5/4] of it so that no fixed stride meets a workload's own pattern
 * (the BPF program draws which overflow is a sample: site_draw).  Only
 * when N changes and every REDRAW_TICKS windows, and never to the value a
 * CPU has: a new period makes the next fault overflow at once, one extra
 * overflow, which makes samples more frequent than 1 in N by that much. */
#define REDRAW_TICKS 8 /* 2 s */
static void set_periods(struct site_sampler *s)
{
	__u32 m = s->period < SITE_SKIP_MEAN ? (__u32)s->period : SITE_SKIP_MEAN;
	__u64 k = s->period / m;

	*s->weight = s->period;
	*s->skip_mean = m;
	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		__u64 p = k >= 4 ? k * 3 / 4 + next_rand(s) % (k / 2 + 1) : k;
		if (s->fds[cpu] >= 0 && p != s->cur[cpu] && !ioctl(s->fds[cpu], PERF_EVENT_IOC_PERIOD, &p))
			s->cur[cpu] = p;
	}
}

int site_sampler_open(struct site_sampler **out, struct bpf_program *prog, volatile __u64 *weight,
		      volatile __u32 *skip_mean, unsigned period, int ncpus, char *msg, size_t msglen)
{
	struct site_sampler *s = calloc(1, sizeof(*s));
	int attached = 0, err = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->ncpus = ncpus;
	s->weight = weight;
	s->skip_mean = skip_mean;
	s->fixed = period != 0;
	s->period = period ? period : SITE_PERIOD_START;
	s->rng = (__u64)getpid() * 0x9e3779b97f4a7c15ull ^ (__u64)(uintptr_t)s;
	if (!s->rng)
		s->rng = 1;
	s->fds = malloc(ncpus * sizeof(*s->fds));
	s->links = calloc(ncpus, sizeof(*s->links));
	s->cur = calloc(ncpus, sizeof(*s->cur));
	if (!s->fds || !s->links || !s->cur) {
		site_sampler_close(s);
		return -ENOMEM;
	}
	for (int cpu = 0; cpu < ncpus; cpu++)
		s->fds[cpu] = -1;
	for (int cpu = 0; cpu < ncpus; cpu++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_PAGE_FAULTS,
			.sample_period = s->period,
			/* kernel-mode faults on user memory (read() into a new
			 * buffer) grow the resident set too */
			.exclude_hv = 1,
		};
		s->fds[cpu] = syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		s->cur[cpu] = s->period;
		if (s->fds[cpu] < 0) {
			if (errno == ENODEV) /* CPU offline */
				continue;
			err = -errno;
			snprintf(msg, msglen, "--sites: perf_event_open(page-faults) on CPU %d: %s", cpu,
				 strerror(errno));
			break;
		}
		s->links[cpu] = bpf_program__attach_perf_event(prog, s->fds[cpu]);
		if (!s->links[cpu]) {
			err = -errno;
			snprintf(msg, msglen, "--sites: attaching the sampling program to CPU %d: %s", cpu,
				 strerror(-err));
			break;
		}
		attached++;
	}
	if (!err && !attached) {
		err = -ENODEV;
		snprintf(msg, msglen, "--sites: no CPU took a page-fault event");
	}
	if (err) {
		site_sampler_close(s);
		return err;
	}
	set_periods(s);
	*out = s;
	return 0;
}

void site_sampler_tick(struct site_sampler *s, unsigned long long taken, unsigned long long now_ns)
{
	unsigned long long old;
	double rate;

	if (!s)
		return;
	if (!s->last_ns) {
		s->last_ns = now_ns;
		s->last_taken = taken;
		return;
	}
	if (now_ns - s->last_ns < ADAPT_NS)
		return;
	rate = (double)(taken - s->last_taken) * 1e9 / (double)(now_ns - s->last_ns);
	s->last_ns = now_ns;
	s->last_taken = taken;
	old = s->period;
	while (!s->fixed && rate > SITE_BUDGET_PER_S && s->period < SITE_PERIOD_MAX) {
		s->period *= 2;
		rate /= 2;
	}
	/* down quickly too: samples taken at a large N weigh much, and a few
	 * of them make a noisy estimate; a burst after a pause meets the BPF
	 * program's cap (site_sampler_cap) until the next window doubles N */
	if (!s->fixed && s->period == old && rate < SITE_BUDGET_PER_S / 4.0 && s->period > SITE_PERIOD_MIN)
		s->period /= 2;
	if (s->period != old || ++s->ticks % REDRAW_TICKS == 0)
		set_periods(s);
}

__u32 site_sampler_cap(unsigned period, int ncpus)
{
	unsigned cap = 2 * SITE_BUDGET_PER_S / 10 / (unsigned)(ncpus > 0 ? ncpus : 1);

	return period ? 0 : cap ? cap : 1;
}

unsigned long long site_sampler_period(const struct site_sampler *s)
{
	return s ? s->period : 0;
}

void site_sampler_stop(struct site_sampler *s)
{
	for (int cpu = 0; s && s->links && cpu < s->ncpus; cpu++) {
		bpf_link__destroy(s->links[cpu]);
		s->links[cpu] = NULL;
	}
	for (int cpu = 0; s && s->fds && cpu < s->ncpus; cpu++) {
		if (s->fds[cpu] >= 0)
			close(s->fds[cpu]);
		s->fds[cpu] = -1;
	}
}

void site_sampler_close(struct site_sampler *s)
{
	if (!s)
		return;
	site_sampler_stop(s);
	free(s->fds);
	free(s->links);
	free(s->cur);
	free(s);
}
