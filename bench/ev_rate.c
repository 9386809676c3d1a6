/* Paced memory-syscall load for the loss benchmark: RATE traced syscalls per
 * second (mmap + munmap of one untouched page, i.e. one vigil event per call)
 * for SECONDS, in 1 ms steps (catch up, then sleep to the next step), from
 * PROCS processes sharing the rate (processes, not threads: threads would
 * contend on one mmap lock).  RATE 0 = as fast as possible.
 * Usage: ev_rate RATE SECONDS [PROCS]
 * Prints: ev_rate target=R procs=P calls=N seconds=S calls_per_s=C */
#include "load_common.h"
#include <sys/wait.h>

static long run(double rate, double seconds)
{
	double t0 = now(), t;
	long calls = 0;

	while ((t = now() - t0) < seconds) {
		long due = rate > 0 ? (long)(rate * t) + 2 : calls + 256;
		while (calls < due) {
			void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p != MAP_FAILED)
				munmap(p, 4096);
			calls += 2;
		}
		if (rate > 0) {
			/* sleep to the next millisecond step */
			long ns = 1000000 - (long)((t * 1000 - (long)(t * 1000)) * 1e6);
			struct timespec ts = {0, ns};
			if (ns > 0 && ns <= 1000000)
				nanosleep(&ts, NULL);
		}
	}
	return calls;
}

int main(int argc, char **argv)
{
	double rate, seconds, t0;
	int procs = 1;
	long total = 0, *counts;

	if (argc < 3) {
		fprintf(stderr, "usage: ev_rate RATE SECONDS [PROCS]\n");
		return 2;
	}
	rate = atof(argv[1]);
	seconds = atof(argv[2]);
	if (argc > 3)
		procs = atoi(argv[3]);
	if (procs < 1 || procs > 64 || seconds <= 0 || seconds > 3600 || rate < 0) {
		fprintf(stderr, "usage: ev_rate RATE SECONDS [PROCS(1-64)]\n");
		return 2;
	}
	counts = mmap(NULL, sizeof(long) * 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 1;
	t0 = now();
	for (int i = 0; i < procs; i++) {
		pid_t pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			counts[i] = run(rate / procs, seconds);
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	t0 = now() - t0;
	for (int i = 0; i < procs; i++)
		total += counts[i];
	printf("ev_rate target=%.0f procs=%d calls=%ld seconds=%.3f calls_per_s=%.0f\n", rate, procs, total, t0,
	       total / t0);
	return 0;
}
