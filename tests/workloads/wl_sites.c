/* Allocation sites with known resident growth: the ground truth of vigil's
 * site profiler (issue 13, tests/bpf/test_sites.sh, scripts/sites-vs-perf.sh).
 *
 * Every iteration (HZ per second, on absolute deadlines so the rate stays
 * steady) four functions fault in pages, U pages per unit:
 *   grow_heap_copy    3 units, kept: malloc on the brk heap, first touched by
 *                     memset, i.e. inside libc (a frame-pointer walk that
 *                     starts there loses this caller)
 *   wlsite_lib_grow   2 units, kept: in libwlsite_*.so, mmap + touch
 *   grow_mmap_region  1 unit,  kept: anonymous mmap + touch, in the program
 *   churn_frame       4 units, mapped, touched and unmapped again: the most
 *                     faults of all, and no growth
 * so the leaking sites' shares of the growth are 1/2, 1/3 and 1/6, and a
 * fault count (perf record -e page-faults) blames churn_frame the most.
 * THP is off for the process (prctl): one fault is one page on every kernel.
 * Built twice (Makefile): wl_sites_fp (-fno-omit-frame-pointer) and
 * wl_sites_nofp (-fomit-frame-pointer), each with its own libwlsite_*.so.
 *
 * Usage: wl_sites [--seconds S] [--unit PAGES] [--hz N]
 * Prints its truth ("WL-SITES truth ..." per site) at start, and at exit the
 * pages each site kept and getrusage()'s faults (wl_report). */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include "wl_common.h"

#ifndef WL_SITES_VARIANT
#define WL_SITES_VARIANT "?"
#endif

void *wlsite_lib_grow(long pages, long psz); /* libwlsite.c */

enum { HEAP_UNITS = 3, LIB_UNITS = 2, MMAP_UNITS = 1, CHURN_UNITS = 4 };
#define MAX_LEAK_MB 300 /* the whole run's kept memory stays under this */

static long psz;
/* the kept buffers stay reachable (a list through their first words), so
 * the compiler can drop none of the allocations or their stores */
static void *heap_kept, *mmap_kept, *lib_kept;

static void die(const char *what)
{
	fprintf(stderr, "wl_sites: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* noipa everywhere: no inlining, cloning (.constprop names) or identical-code
 * folding may hide or rename a site.  The store after memset keeps it from
 * being a tail call, which would drop this frame from the stack. */
__attribute__((noipa)) void grow_heap_copy(long pages)
{
	char *p = malloc(pages * psz);

	if (!p)
		die("malloc");
	memset(p, 0x5a, pages * psz); /* nonzero: malloc+memset(0) would become calloc */
	*(void **)p = heap_kept;
	heap_kept = p;
}

/* an anonymous mapping of PAGES pages; mapping touches none of them, so
 * the faults (the sites) stay in the callers, which write every page */
static char *map_anon(long pages)
{
	char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

__attribute__((noipa)) void grow_mmap_region(long pages)
{
	char *p = map_anon(pages);

	for (long i = 0; i < pages; i++)
		((volatile char *)p)[i * psz] = (char)(i | 1);
	*(void **)p = mmap_kept;
	mmap_kept = p;
}

__attribute__((noipa)) void churn_frame(long pages)
{
	char *p = map_anon(pages);

	for (long i = 0; i < pages; i++)
		((volatile char *)p)[i * psz] = (char)(i | 1);
	if (munmap(p, pages * psz))
		die("munmap");
}

__attribute__((noipa)) void grow_in_library(long pages)
{
	char *p = wlsite_lib_grow(pages, psz);

	if (!p)
		die("mmap (libwlsite)");
	*(void **)p = lib_kept;
	lib_kept = p;
}

static long arg_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s ? s : "", &end, 10);
	if (!s || errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "wl_sites: %s wants a whole number in %ld..%ld, got '%s'\n", opt, lo, hi, s ? s : "");
		exit(2);
	}
	return v;
}

static void print_truth(const char *fn, const char *module, int units, long unit, long hz, const char *how)
{
	const int leak_units = HEAP_UNITS + LIB_UNITS + MMAP_UNITS;
	int kept = strcmp(fn, "churn_frame") != 0;

	printf("WL-SITES truth function=%s module=%s pages_per_iter=%ld pages_per_s=%ld share=%.4f kept=%d how=%s\n", fn,
	       module, units * unit, units * unit * hz, kept ? (double)units / leak_units : 0.0, kept, how);
}

int main(int argc, char **argv)
{
	long seconds = 30, unit = 2, hz = 100;
	struct timespec next;
	long iters = 0;
	char extra[256];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = arg_long("--seconds", i + 1 < argc ? argv[++i] : NULL, 1, 3600);
		else if (!strcmp(argv[i], "--unit"))
			unit = arg_long("--unit", i + 1 < argc ? argv[++i] : NULL, 1, 4096);
		else if (!strcmp(argv[i], "--hz"))
			hz = arg_long("--hz", i + 1 < argc ? argv[++i] : NULL, 1, 1000);
		else {
			fprintf(stderr, "wl_sites: unknown argument '%s'\nusage: wl_sites [--seconds S] [--unit PAGES] [--hz N]\n",
				argv[i]);
			return 2;
		}
	}
	psz = sysconf(_SC_PAGESIZE);
	double leak_mb = (double)(HEAP_UNITS + LIB_UNITS + MMAP_UNITS) * unit * psz * hz * seconds / (1 << 20);
	if (leak_mb > MAX_LEAK_MB) {
		fprintf(stderr, "wl_sites: --seconds %ld --unit %ld --hz %ld would keep %.0f MB, more than %d MB\n", seconds,
			unit, hz, leak_mb, MAX_LEAK_MB);
		return 2;
	}
	/* one fault per page, whatever the kernel's THP policy */
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("prctl(PR_SET_THP_DISABLE)");
	/* the heap site stays on the brk heap, whatever its size */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);

	const char *exe = "wl_sites_" WL_SITES_VARIANT, *lib = "libwlsite_" WL_SITES_VARIANT ".so";
	printf("WL-SITES pid=%d variant=%s page=%ld unit=%ld hz=%ld seconds=%ld\n", (int)getpid(), WL_SITES_VARIANT,
	       psz, unit, hz, seconds);
	print_truth("grow_heap_copy", exe, HEAP_UNITS, unit, hz, "malloc+memset(libc)");
	print_truth("wlsite_lib_grow", lib, LIB_UNITS, unit, hz, "mmap+touch(shared-library)");
	print_truth("grow_mmap_region", exe, MMAP_UNITS, unit, hz, "mmap+touch");
	print_truth("churn_frame", exe, CHURN_UNITS, unit, hz, "mmap+touch+munmap");
	fflush(stdout);

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (iters = 0; iters < seconds * hz; iters++) {
		grow_heap_copy(HEAP_UNITS * unit);
		grow_in_library(LIB_UNITS * unit);
		grow_mmap_region(MMAP_UNITS * unit);
		churn_frame(CHURN_UNITS * unit);
		next.tv_nsec += 1000000000L / hz;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
	}
	snprintf(extra, sizeof(extra),
		 "iterations=%ld heap_pages=%ld lib_pages=%ld mmap_pages=%ld churn_pages=%ld", iters,
		 iters * HEAP_UNITS * unit, iters * LIB_UNITS * unit, iters * MMAP_UNITS * unit,
		 iters * CHURN_UNITS * unit);
	wl_report(extra);
	return 0;
}
