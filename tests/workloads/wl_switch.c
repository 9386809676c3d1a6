/* Voluntary and involuntary context switches: the main thread sleeps often
 * (voluntary) and shares CPU 0 with a spinning thread (involuntary, as the
 * scheduler preempts one for the other).  Usage: wl_switch [ITERATIONS] */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "wl_common.h"

static atomic_int stop;

static void pin_cpu0(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spinner(void *arg)
{
	(void)arg;
	pin_cpu0();
	while (!atomic_load(&stop))
		;
	return NULL;
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 300;
	pthread_t t;

	pin_cpu0();
	pthread_create(&t, NULL, spinner, NULL);
	for (int i = 0; i < iters; i++) {
		double until = now_s() + 0.003;
		while (now_s() < until) /* compete with the spinner */
			;
		struct timespec nap = {0, 200000};
		nanosleep(&nap, NULL);
	}
	atomic_store(&stop, 1);
	pthread_join(t, NULL);
	wl_report(NULL);
	return 0;
}
