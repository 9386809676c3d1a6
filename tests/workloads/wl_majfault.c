/* Major page faults with a count the kernel reports: writes a file, drops
 * it from the page cache, maps it and reads one byte per page with
 * readahead turned off (MADV_RANDOM), so each page is read from disk in
 * its own fault.  Usage: wl_majfault FILE [PAGES]
 * Prints the WL line (ru_majflt is the ground truth) with majors=N, the
 * major faults of the reading phase alone, and at_main=N, those taken
 * before main (ru_majflt counts from the fork: the shell child's faults
 * before exec are in it, and a tracer started at exec cannot see them). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
	long pages = argc > 2 ? atol(argv[2]) : 256;
	long psz = sysconf(_SC_PAGESIZE);
	struct rusage rm, r0, r1;
	char extra[96];
	char *buf, *p;
	volatile char sum = 0;
	int fd;

	getrusage(RUSAGE_SELF, &rm);
	if (argc < 2 || pages <= 0) {
		fprintf(stderr, "usage: wl_majfault FILE [PAGES]\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	buf = malloc(psz);
	if (fd < 0 || !buf)
		return 1;
	memset(buf, 0x5a, psz);
	for (long i = 0; i < pages; i++)
		if (write(fd, buf, psz) != psz)
			return 1;
	/* written back first: dirty pages cannot be dropped */
	if (fsync(fd) || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED))
		return 1;
	p = mmap(NULL, pages * psz, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || madvise(p, pages * psz, MADV_RANDOM))
		return 1;
	getrusage(RUSAGE_SELF, &r0);
	for (long i = 0; i < pages; i++)
		sum += p[i * psz];
	getrusage(RUSAGE_SELF, &r1);
	munmap(p, pages * psz);
	close(fd);
	unlink(argv[1]);
	/* the sum is printed so the reads cannot be optimised away */
	snprintf(extra, sizeof(extra), "majors=%ld at_main=%ld sum=%d", r1.ru_majflt - r0.ru_majflt, rm.ru_majflt, sum);
	wl_report(extra);
	return 0;
}
