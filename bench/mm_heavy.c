/* Memory-syscall-heavy load for the overhead benchmark: ITERS times, one
 * mmap + munmap of a page and one brk grow + shrink of 64 KiB, never touching
 * the memory (no page faults: only syscalls).  4 traced syscalls per
 * iteration.  Usage: mm_heavy [ITERS]  (default 200000)
 * Prints: mm_heavy calls=N seconds=S calls_per_s=R */
#include "load_common.h"


int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 200000;
	double t0, t1;

	if (iters <= 0) {
		fprintf(stderr, "usage: mm_heavy [ITERS]\n");
		return 2;
	}
	t0 = now();
	for (long i = 0; i < iters; i++) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		munmap(p, 4096);
		if (sbrk(65536) == (void *)-1) {
			perror("sbrk");
			return 1;
		}
		sbrk(-65536);
	}
	t1 = now();
	printf("mm_heavy calls=%ld seconds=%.6f calls_per_s=%.0f\n", iters * 4, t1 - t0, iters * 4 / (t1 - t0));
	return 0;
}
