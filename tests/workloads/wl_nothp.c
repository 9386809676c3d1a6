// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wl_nothp CMD [ARG...]: runs CMD with transparent huge pages off for it
 * (PR_SET_THP_DISABLE, kept across exec).  Debian's kernels default to
 * THP "always": a heap growing a few MiB a second then faults 2 MiB at a
 * time, a 25 s run of tests/workloads/wl_pymin.py makes ~30 faults, a
 * handful of samples each weighing 2 MiB times the period, and which line
 * tops the sites is luck.  The guests' Python check is about the frame
 * walk, so its workload runs on base pages (sites.thp_weight tests huge
 * pages on the host).
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wl_nothp CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		perror("wl_nothp: prctl(PR_SET_THP_DISABLE)");
		return 1;
	}
	execvp(argv[1], argv + 1);
	perror("wl_nothp: exec");
	return 127;
}
