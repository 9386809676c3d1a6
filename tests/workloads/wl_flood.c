/* As many memory-syscall events as the machine can make: THREADS threads
 * mapping and unmapping a page in a loop for SECONDS.  Usage: wl_flood [THREADS] [SECONDS] */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "wl_common.h"

static double seconds = 1.0;

static void *flood(void *arg)
{
	struct timespec t0, t;
	long n = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 256; i++, n++) {
			void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			munmap(p, 4096);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 < seconds);
	return (void *)n;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t tid[64];
	long total = 0;
	char extra[64];

	if (argc > 2)
		seconds = atof(argv[2]);
	if (threads > 64)
		threads = 64;
	for (int i = 0; i < threads; i++)
		pthread_create(&tid[i], NULL, flood, NULL);
	for (int i = 0; i < threads; i++) {
		void *n;
		pthread_join(tid[i], &n);
		total += (long)n;
	}
	snprintf(extra, sizeof(extra), "pairs=%ld", total);
	wl_report(extra);
	return 0;
}
