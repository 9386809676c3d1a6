/* Page-fault-heavy load for the overhead benchmark: maps MB of anonymous
 * memory (4 KiB pages: transparent huge pages are declined), writes one byte
 * to every page, unmaps it, ROUNDS times.  Nearly all of its time is spent
 * in the kernel's anonymous-fault path, so a tracer's cost per fault shows
 * up undiluted.  Usage: pf_heavy [MB] [ROUNDS]  (default 256 MB, 4 rounds)
 * Prints: pf_heavy faults=N seconds=S faults_per_s=R */
#include "load_common.h"
#include <sys/resource.h>


int main(int argc, char **argv)
{
	long mb = argc > 1 ? atol(argv[1]) : 256;
	int rounds = argc > 2 ? atoi(argv[2]) : 4;
	long psz = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)mb << 20;
	struct rusage r0, r1;
	double t0, t1;

	if (mb <= 0 || rounds <= 0) {
		fprintf(stderr, "usage: pf_heavy [MB] [ROUNDS]\n");
		return 2;
	}
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	for (int r = 0; r < rounds; r++) {
		volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		madvise((void *)p, len, MADV_NOHUGEPAGE);
		for (size_t off = 0; off < len; off += psz)
			p[off] = (char)off;
		munmap((void *)p, len);
	}
	t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	long faults = (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt);
	printf("pf_heavy faults=%ld seconds=%.6f faults_per_s=%.0f\n", faults, t1 - t0, faults / (t1 - t0));
	return 0;
}
