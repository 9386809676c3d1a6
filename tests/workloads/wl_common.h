/* What every workload prints at exit: its own view of itself, the ground
 * truth the BPF tests compare vigil's numbers with. */
#ifndef WL_COMMON_H
#define WL_COMMON_H
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

static void wl_report(const char *extra)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("WL pid=%d minflt=%ld majflt=%ld nvcsw=%ld nivcsw=%ld %s\n", (int)getpid(), ru.ru_minflt,
	       ru.ru_majflt, ru.ru_nvcsw, ru.ru_nivcsw, extra ? extra : "");
	fflush(stdout);
}
#endif
