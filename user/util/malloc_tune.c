// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "malloc_tune.h"

/* The PMD-level THP size (2 MB with 4 KB pages, 32 MB with 16 KB, 512 MB
 * with 64 KB); 0 when the kernel has no THP. */
static size_t thp_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long long sz = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &sz) != 1)
		sz = 0;
	fclose(f);
	return (size_t)sz;
}

int heap_prefer_huge_pages(size_t reserve)
{
	size_t huge = thp_size();
	int pad = (int)(reserve < INT32_MAX / 2 ? reserve : INT32_MAX / 2);
	uintptr_t lo, hi, from;
	char *probe;
	int rc = -1;

	if (!huge || reserve < huge)
		return -1;
	/* a free() leaves the top of the heap (the reserve) in place instead
	 * of trimming it */
	mallopt(M_TRIM_THRESHOLD, 2 * pad);
	/* one allocation that the top of the heap cannot hold (and that is
	 * not given a mapping of its own) makes glibc extend the heap by
	 * itself plus the pad: [lo, hi) is the new heap */
	mallopt(M_TOP_PAD, pad);
	mallopt(M_MMAP_THRESHOLD, 2 << 20);
	lo = (uintptr_t)sbrk(0);
	probe = malloc(1 << 20);
	hi = (uintptr_t)sbrk(0);
	mallopt(M_MMAP_THRESHOLD, 128 << 10); /* glibc's default */
	mallopt(M_TOP_PAD, 0); /* growth past the reserve: small steps, small pages */
	/* the block must be from a brk heap that just grew (not a sanitizer's
	 * allocator, not an mmap fallback) */
	if (probe && hi > lo && (uintptr_t)probe + (1 << 20) <= hi && (uintptr_t)probe + (1 << 20) > lo) {
		from = (lo + huge - 1) & ~(uintptr_t)(huge - 1);
		if (hi >= from + huge)
			rc = madvise((void *)from, hi - from, MADV_HUGEPAGE) ? -1 : 0;
	}
	free(probe);
	return rc;
}
