// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* heap: after heap_prefer_huge_pages the heap's blocks, large ones included,
 * lie in memory the kernel was asked to back with huge pages (VmFlags "hg"
 * in /proc/self/smaps: the advice itself, whatever THP can allocate now),
 * and the heap still works.  Built without ASan: heap.c tunes glibc's
 * malloc, which ASan replaces. */
#include <stdint.h>
#include <unistd.h>
#include "check.h"
#include "malloc_tune.h"

/* 1: the mapping holding address a is advised for huge pages, 0: it is
 * not, -1: not found */
static int advised_huge_at(uintptr_t a)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = a >= lo && a < hi;
			continue;
		}
		if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " hg") != NULL;
			break;
		}
	}
	fclose(f);
	return r;
}

#define advised_huge(p) advised_huge_at((uintptr_t)(p))

/* Why test_heap_advised cannot run here, or NULL */
static const char *advice_untestable(void)
{
#ifdef __SANITIZE_ADDRESS__
	return "built with ASan, whose malloc replaces glibc's (make builds this test without it)";
#endif
	if (access("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", R_OK))
		return "this kernel has no transparent huge pages";
	/* the break must be able to move past the reserve (qemu-user keeps
	 * a mapping right behind it, and glibc then grows into an mmap) */
	if (sbrk(40 << 20) == (void *)-1)
		return "the heap cannot grow by 40 MB with brk here (qemu-user's brk?)";
	sbrk(-(40 << 20));
	char *p = malloc(64);
	int seen = advised_huge(p);

	free(p);
	return seen < 0 ? "/proc/self/smaps does not show the heap (an emulator's /proc?)" : NULL;
}

static void test_heap_advised(void)
{
	char *before = malloc(64);

	CHECK(before && advised_huge(before) == 0); /* small pages until asked */
	CHECK_EQ_U64(heap_prefer_huge_pages(32 << 20), 0);
	/* 3 MB of 100 KB blocks reach past the first huge page boundary of
	 * the reserve: advised from there on (the first ones may lie in the
	 * heap's last small pages) */
	enum { NBLK = 30, BLK = 100 << 10 };
	char *blk[NBLK];

	for (int i = 0; i < NBLK; i++) {
		blk[i] = malloc(BLK);
		CHECK(blk[i] != NULL);
		if (blk[i])
			memset(blk[i], 0x5a, BLK);
	}
	CHECK_EQ_U64(advised_huge(blk[NBLK - 1]), 1);
	CHECK_EQ_U64(advised_huge(blk[NBLK - 1] + BLK - 1), 1);
	CHECK(blk[NBLK - 1] && blk[NBLK - 1][BLK - 1] == 0x5a);
	for (int i = 0; i < NBLK; i++)
		free(blk[i]);
	free(before);
}

/* a reserve smaller than one huge page cannot be advised: said, not done */
static void test_tiny_reserve_refused(void)
{
	CHECK_EQ_U64(heap_prefer_huge_pages(4096), (unsigned long long)-1);
	char *p = malloc(1000);

	CHECK(p);
	free(p);
}

int main(void)
{
	const char *why = advice_untestable();

	RUN(test_tiny_reserve_refused);
	if (why)
		printf("SKIP test_heap_advised: %s\n", why);
	else
		RUN(test_heap_advised);
	CHECK_DONE();
}
