/* Page faults and memory syscalls with known counts: maps anonymous
 * regions and touches every page, unmaps them, grows and shrinks the heap
 * with sbrk, gives memory back with madvise.  Usage: wl_memory [ROUNDS] [PAGES] */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	long pages = argc > 2 ? atol(argv[2]) : 2048;
	long psz = sysconf(_SC_PAGESIZE);
	long mmaps = 0, munmaps = 0, brks = 0, madvises = 0;
	char extra[256];

	for (int r = 0; r < rounds; r++) {
		char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		mmaps++;
		/* one fault per page on every kernel: where THP is on (Debian's
		 * 6.12 arm64), 2 MiB faults would leave a few hundred */
		madvise(p, pages * psz, MADV_NOHUGEPAGE);
		madvises++;
		for (long i = 0; i < pages; i++)
			p[i * psz] = (char)i;
		/* give half back while still mapped: refaults on the next touch */
		madvise(p, pages / 2 * psz, MADV_DONTNEED);
		madvises++;
		for (long i = 0; i < pages / 2; i++)
			p[i * psz] = (char)r;
		munmap(p, pages * psz);
		munmaps++;

		char *h = sbrk(64 * psz);
		brks++;
		if (h == (void *)-1)
			return 1;
		memset(h, 1, 64 * psz);
		sbrk(-64 * psz);
		brks++;
	}
	snprintf(extra, sizeof(extra), "mmap=%ld munmap=%ld brk=%ld madvise=%ld", mmaps, munmaps, brks, madvises);
	wl_report(extra);
	return 0;
}
