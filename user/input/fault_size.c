// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fault_size.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Documentation/admin-guide/mm/pagemap.rst */
#define PM_PRESENT (1ULL << 63)
#define PM_PFN_MASK ((1ULL << 55) - 1)
#define KPF_ANON 12
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define KPF_THP 22
/* a folio never spans more frames than a PMD maps (512 x 4 KiB; 2048 x
 * 16 KiB on arm64 with 16K pages is also one read of 16 KiB) */
#define BLOCK_MAX 2048

struct fault_sizer {
	int kpageflags_fd; /* -1: blind */
	long page_size;
	unsigned block; /* frames per PMD */
	char blind[96];
	struct fault_size_stats st;
	__u64 flags[BLOCK_MAX];
};

struct fault_sizer *fault_sizer_new(void)
{
	struct fault_sizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->page_size = sysconf(_SC_PAGESIZE);
	if (s->page_size <= 0)
		s->page_size = 4096;
	/* a PMD maps page_size / 8 pages */
	s->block = (unsigned)(s->page_size / 8);
	if (s->block > BLOCK_MAX)
		s->block = BLOCK_MAX;
	s->kpageflags_fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (s->kpageflags_fd < 0)
		snprintf(s->blind, sizeof(s->blind), "/proc/kpageflags: %s", strerror(errno));
	return s;
}

void fault_sizer_free(struct fault_sizer *s)
{
	if (!s)
		return;
	if (s->kpageflags_fd >= 0)
		close(s->kpageflags_fd);
	free(s);
}

int fault_sizer_open_pagemap(unsigned pid)
{
	char path[40];

	snprintf(path, sizeof(path), "/proc/%u/pagemap", pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

const char *fault_sizer_blind(const struct fault_sizer *s)
{
	return s && s->kpageflags_fd < 0 ? s->blind : NULL;
}

void fault_sizer_stats(const struct fault_sizer *s, struct fault_size_stats *out)
{
	if (s)
		*out = s->st;
	else
		memset(out, 0, sizeof(*out));
}

static bool bit(__u64 v, unsigned b)
{
	return (v >> b) & 1;
}

/* The frames of the folio that holds frame i of s->flags[0..n): from its
 * head to its last tail; 1 when it is not a large anonymous folio. */
static unsigned folio_frames(const struct fault_sizer *s, unsigned i, unsigned n)
{
	unsigned head = i, end = i + 1;

	if (!bit(s->flags[i], KPF_ANON) || !bit(s->flags[i], KPF_THP))
		return 1;
	while (head > 0 && !bit(s->flags[head], KPF_COMPOUND_HEAD) && bit(s->flags[head], KPF_COMPOUND_TAIL))
		head--;
	if (!bit(s->flags[head], KPF_COMPOUND_HEAD))
		return 1; /* the head is outside the block: not a folio this code knows */
	while (end < n && bit(s->flags[end], KPF_COMPOUND_TAIL) && !bit(s->flags[end], KPF_COMPOUND_HEAD))
		end++;
	return end - head;
}

__u64 fault_size_of(struct fault_sizer *s, int pagemap_fd, __u64 addr)
{
	__u64 pme, pfn, first;
	unsigned n;
	ssize_t got;

	if (!s || s->kpageflags_fd < 0 || pagemap_fd < 0)
		goto unknown;
	if (pread(pagemap_fd, &pme, sizeof(pme), (off_t)(addr / (__u64)s->page_size * sizeof(pme))) != sizeof(pme))
		goto unknown;
	pfn = pme & PM_PFN_MASK;
	if (!(pme & PM_PRESENT) || !pfn) /* gone since, swapped, or no CAP_SYS_ADMIN */
		goto unknown;
	/* the frame's own flags first: the kernel computes them per frame, and
	 * most faults map a base page */
	if (pread(s->kpageflags_fd, s->flags, sizeof(__u64), (off_t)(pfn * sizeof(__u64))) != sizeof(__u64))
		goto unknown;
	if (!bit(s->flags[0], KPF_ANON) || !bit(s->flags[0], KPF_THP))
		return (__u64)s->page_size;
	/* the PMD-sized, PMD-aligned block of frames around it: a large folio
	 * is naturally aligned, so it lies within */
	first = pfn & ~(__u64)(s->block - 1);
	got = pread(s->kpageflags_fd, s->flags, s->block * sizeof(__u64), (off_t)(first * sizeof(__u64)));
	if (got < (ssize_t)((pfn - first + 1) * sizeof(__u64)))
		goto unknown;
	n = (unsigned)(got / (ssize_t)sizeof(__u64));
	n = folio_frames(s, (unsigned)(pfn - first), n);
	if (n > 1)
		s->st.large++;
	return (__u64)n * (__u64)s->page_size;
unknown:
	if (s)
		s->st.unknown++;
	return s ? (__u64)s->page_size : 4096;
}
