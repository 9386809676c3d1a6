/* selfstat against the process's own known behaviour: it burns CPU for a
 * while and touches a known amount of memory. */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "selfstat.h"

static void test_cpu_and_rss(void)
{
	struct selfstat a, b;
	volatile unsigned long x = 0;
	size_t big = 64 << 20;
	char *p;

	CHECK(selfstat_read(&a) == 0);
	/* spin ~200 ms of CPU */
	for (struct timespec t0, t = {0}; clock_gettime(CLOCK_MONOTONIC, &t0), 1;) {
		for (int i = 0; i < 1000000; i++)
			x += i;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec * 1e9 + t.tv_nsec - (a.wall_ns) > 2e8)
			break;
	}
	p = malloc(big);
	CHECK(p != NULL);
	for (size_t i = 0; p && i < big; i += 4096)
		p[i] = 1;
	CHECK(selfstat_read(&b) == 0);
	double pct = selfstat_cpu_pct(&a, &b);
	CHECK(pct > 20 && pct <= 105); /* busy, one thread: at most one core */
	CHECK(b.rss >= a.rss + big / 2); /* the touched pages are resident */
	CHECK(b.peak_rss >= b.rss);
	CHECK(selfstat_cpu_pct(&b, &a) == 0); /* time going backwards: no nonsense */
	free(p);
}

int main(void)
{
	RUN(test_cpu_and_rss);
	CHECK_DONE();
}
