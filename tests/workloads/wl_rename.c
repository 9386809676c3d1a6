// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A service that names itself after exec, as gunicorn/celery workers and
 * launcher-started servers do (issue 11, item 4).
 *   wl_rename prctl NAME [SECS]  prctl(PR_SET_NAME, NAME) (what
 *                                pthread_setname_np does for the calling
 *                                thread)
 *   wl_rename argv TEXT [SECS]   rewrites its command line in place, as
 *                                setproctitle does: no kernel event
 * 0.5 s after start it renames itself, prints "RENAMED", then for SECS
 * (default 4) touches fresh pages every 50 ms and sleeps.  At exit: the WL
 * line with its whole-life counts, and "after=" the page faults and
 * switches counted from the rename on. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>

#include "wl_common.h"

static void rewrite_argv(int argc, char **argv, const char *text)
{
	char *start = argv[0], *end = argv[argc - 1] + strlen(argv[argc - 1]);
	size_t room = (size_t)(end - start), n = strlen(text);

	if (n > room)
		n = room;
	memset(start, 0, room);
	memcpy(start, text, n);
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 50 * 1000 * 1000}, half = {0, 500 * 1000 * 1000};
	struct rusage r0, r1;
	double secs;
	char extra[160];

	if (argc < 3 || (strcmp(argv[1], "prctl") && strcmp(argv[1], "argv"))) {
		fprintf(stderr, "usage: wl_rename prctl|argv NAME [SECS]\n");
		return 2;
	}
	secs = argc > 3 ? atof(argv[3]) : 4;
	nanosleep(&half, NULL);
	getrusage(RUSAGE_SELF, &r0);
	if (!strcmp(argv[1], "prctl")) {
		if (prctl(PR_SET_NAME, argv[2], 0, 0, 0))
			return 1;
	} else {
		char text[256];
		snprintf(text, sizeof(text), "%s", argv[2]);
		rewrite_argv(argc, argv, text);
	}
	printf("RENAMED pid=%d\n", (int)getpid());
	fflush(stdout);
	for (int i = 0; i < (int)(secs * 20); i++) {
		size_t len = 64 * 4096;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 1;
		munmap(p, len);
		nanosleep(&tick, NULL);
	}
	getrusage(RUSAGE_SELF, &r1);
	snprintf(extra, sizeof(extra), "after_minflt=%ld after_nvcsw=%ld", r1.ru_minflt - r0.ru_minflt,
		 r1.ru_nvcsw - r0.ru_nvcsw);
	wl_report(extra);
	return 0;
}
