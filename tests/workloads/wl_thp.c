/* Resident growth through transparent huge pages: maps MB MiB of anonymous
 * memory aligned to 2 MiB, asks for huge pages (MADV_HUGEPAGE), writes one
 * byte per base page, and keeps it.  With THP on, each 2 MiB takes one
 * fault: a sampler that weighs every fault as a base page would see 1/512
 * of the growth.  It waits 300 ms first: vigil samples a process once it
 * has chosen it as a target, a moment after its exec.
 * Usage: wl_thp [MB] [HOLD_SECONDS]
 * Prints the WL line with touched=BYTES and thp=BYTES, the AnonHugePages
 * the kernel reports for the process (smaps_rollup) after the writes. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wl_common.h"

#define HUGE (2UL << 20)

/* AnonHugePages of /proc/self/smaps_rollup, in bytes; -1 if unreadable */
static long anon_huge_bytes(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps_rollup", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

/* the page size by the sampler's own name for it, kept apart so that its
 * frame shows up in the allocation sites */
__attribute__((noinline)) static void grow_huge(char *p, size_t len, long psz)
{
	for (size_t off = 0; off < len; off += (size_t)psz)
		p[off] = 1;
}

int main(int argc, char **argv)
{
	size_t len = (size_t)(argc > 1 ? atol(argv[1]) : 64) << 20;
	int hold = argc > 2 ? atoi(argv[2]) : 2;
	long psz = sysconf(_SC_PAGESIZE);
	char extra[96];
	char *raw, *p;

	if (!len) {
		fprintf(stderr, "usage: wl_thp [MB] [HOLD_SECONDS]\n");
		return 2;
	}
	usleep(300 * 1000);
	raw = mmap(NULL, len + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return 1;
	p = (char *)(((uintptr_t)raw + HUGE - 1) & ~(HUGE - 1));
	madvise(p, len, MADV_HUGEPAGE); /* refused when THP is off: then base pages, and thp=0 says so */
	grow_huge(p, len, psz);
	snprintf(extra, sizeof(extra), "touched=%zu thp=%ld", len, anon_huge_bytes());
	wl_report(extra);
	sleep((unsigned)hold);
	return 0;
}
