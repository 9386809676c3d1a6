/* What the benchmark loads share. */
#ifndef VIGIL_BENCH_LOAD_COMMON_H
#define VIGIL_BENCH_LOAD_COMMON_H
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* seconds on the monotonic clock */
static inline double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}
#endif
