/* A periodic task like a 30 fps camera loop: wakes every PERIOD_MS on CPU
 * CPU, works WORK_MS, sleeps again.  It measures its own wake-up lateness
 * (actual wake time minus the deadline it slept until) and prints the
 * median and p99, the ground truth for run-queue latency.
 * Usage: wl_periodic CPU PERIOD_MS WORK_MS SECONDS */
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <time.h>

#include "wl_common.h"

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int cpu = argc > 1 ? atoi(argv[1]) : 0;
	double period_ms = argc > 2 ? atof(argv[2]) : 10, work_ms = argc > 3 ? atof(argv[3]) : 1;
	double secs = argc > 4 ? atof(argv[4]) : 3;
	int n = (int)(secs * 1000 / period_ms), count = 0;
	long long *late = calloc(n + 1, sizeof(*late));
	struct timespec next, now;
	cpu_set_t set;
	char extra[128];

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (int i = 0; i < n; i++) {
		long long deadline = ns(&next) + (long long)(period_ms * 1e6);
		next.tv_sec = deadline / 1000000000LL;
		next.tv_nsec = deadline % 1000000000LL;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		late[count++] = ns(&now) - deadline;
		long long until = ns(&now) + (long long)(work_ms * 1e6);
		do
			clock_gettime(CLOCK_MONOTONIC, &now);
		while (ns(&now) < until);
	}
	qsort(late, count, sizeof(*late), cmp);
	snprintf(extra, sizeof(extra), "wakeups=%d late_p50_us=%lld late_p99_us=%lld late_max_us=%lld", count,
		 late[count / 2] / 1000, late[(int)(count * 0.99)] / 1000, late[count - 1] / 1000);
	wl_report(extra);
	free(late);
	return 0;
}
