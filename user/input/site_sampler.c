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

static void set_period(struct site_sampler *s, int cpu)
{
	__u64 p = s->period;

	if (p >= 2)
		p = p / 2 + next_rand(s) % p; /* [N/2, 3N/2) */
	if (s->fds[cpu] >= 0)
		ioctl(s->fds[cpu], PERF_EVENT_IOC_PERIOD, &p);
}

int site_sampler_open(struct site_sampler **out, struct bpf_program *prog, volatile __u64 *weight,
		      unsigned period, int ncpus, char *msg, size_t msglen)
{
	struct site_sampler *s = calloc(1, sizeof(*s));
	int attached = 0, err = 0;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->ncpus = ncpus;
	s->weight = weight;
	s->fixed = period != 0;
	s->period = period ? period : SITE_PERIOD_START;
	s->rng = (__u64)getpid() * 0x9e3779b97f4a7c15ull ^ (__u64)(uintptr_t)s;
	if (!s->rng)
		s->rng = 1;
	*s->weight = s->period;
	s->fds = malloc(ncpus * sizeof(*s->fds));
	s->links = calloc(ncpus, sizeof(*s->links));
	if (!s->fds || !s->links) {
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
		set_period(s, cpu);
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
	*out = s;
	return 0;
}

void site_sampler_sampled(struct site_sampler *s, unsigned cpu)
{
	if (s && (int)cpu < s->ncpus)
		set_period(s, (int)cpu);
}

void site_sampler_tick(struct site_sampler *s, unsigned long long taken, unsigned long long now_ns)
{
	unsigned long long old;
	double rate;

	if (!s || s->fixed)
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
	while (rate > SITE_BUDGET_PER_S && s->period < SITE_PERIOD_MAX) {
		s->period *= 2;
		rate /= 2;
	}
	if (s->period == old && rate < SITE_BUDGET_PER_S / 4.0 && s->period > SITE_PERIOD_MIN)
		s->period /= 2;
	if (s->period == old)
		return;
	*s->weight = s->period;
	for (int cpu = 0; cpu < s->ncpus; cpu++)
		set_period(s, cpu);
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
	free(s);
}
