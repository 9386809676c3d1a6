/* The shared-library allocation site of wl_sites (tests/workloads/wl_sites.c):
 * the pages it maps are first touched here, inside this .so, so a site
 * profiler must name a function of a module other than the executable.
 * Built twice, like the workload: libwlsite_fp.so and libwlsite_nofp.so. */
#include <stddef.h>
#include <sys/mman.h>

/* maps PAGES anonymous pages of PSZ bytes, touches each one (one fault per
 * page: the caller disabled THP) and keeps them; returns the mapping or NULL.
 * noipa: no clone or inlining may rename or hide the site. */
__attribute__((noipa, visibility("default"))) void *wlsite_lib_grow(long pages, long psz)
{
	char *p = mmap(NULL, pages * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	for (long i = 0; i < pages; i++)
		((volatile char *)p)[i * psz] = (char)(i | 1);
	return p;
}
