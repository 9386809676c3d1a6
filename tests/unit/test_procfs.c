// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc readers (user/procfs.c) on a fake tree with hostile content, and on
 * the real /proc/self. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "procfs.h"

static char fake_root[] = "/tmp/vigil-fakeproc-XXXXXX";
static char **main_argv;

static void put(unsigned pid, const char *name, const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%u", fake_root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%u/%s", fake_root, pid, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len)
		printf("  cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
}

#define PUT(pid, name, lit) put(pid, name, lit, sizeof(lit) - 1)

static void mkdir_in_root(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_root, name);
	mkdir(path, 0755);
}

/* The hostile process: comm with ')' and spaces, escape sequences in its
 * arguments.  Fields after comm: state 3, ppid 4, ..., starttime 22. */
static const char stat_100[] =
	"100 (evil) (x) S 42 100 100 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 1 0 12345 1000000 200 "
	"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0\n";
static const char cmdline_100[] = "python3\0-c\0\x1b]0;pwned\x07\0\x9b" "2J\0\xc2\x9b\0"
				  "\xe4\xb8\xad\xe6\x96\x87\0\xe2\x80\xae" "gnp.exe\0\xc0\x9b\0";
static const char printable_100[] = "python3 -c ?]0;pwned? ?2J ? \xe4\xb8\xad\xe6\x96\x87 ?gnp.exe ??";

static void build_fake_tree(void)
{
	char long_cmdline[300];

	PUT(100, "stat", stat_100);
	PUT(100, "comm", "evil) (x\n");
	put(100, "cmdline", cmdline_100, sizeof(cmdline_100) - 1);
	PUT(100, "status",
	    "Name:\tevil) (x\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t  999 kB\n"
	    "VmRSS:\t    1536 kB\nRssAnon:\t    1024 kB\nRssFile:\t     256 kB\n"
	    "RssShmem:\t     256 kB\nThreads:\t1\n");

	/* a kernel thread: no command line, no memory map */
	PUT(101, "stat", "101 (kworker/0:1-events) I 2 0 0 0 -1 69238880 0 0 0 0 0 5 0 0 20 0 1 0 7 0 0 "
			 "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0\n");
	PUT(101, "comm", "kworker/0:1-events\n");
	PUT(101, "cmdline", "");
	PUT(101, "status", "Name:\tkworker/0:1-events\nState:\tI (idle)\nThreads:\t1\n");

	/* garbage stat files */
	PUT(102, "stat", "102 (no closing paren S 1 1 1\n");
	PUT(102, "comm", "x\n");
	PUT(102, "cmdline", "");
	PUT(103, "stat", "103 (short) S 1 1 1 0\n");
	PUT(103, "comm", "short\n");
	PUT(103, "cmdline", "");
	PUT(106, "stat", "106 (nul) S 1\0 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 9 0 0\n");
	PUT(106, "comm", "nul\n");
	PUT(106, "cmdline", "");

	/* a long command line is cut at VIGIL_CMDLINE_MAX */
	memset(long_cmdline, 'a', sizeof(long_cmdline));
	long_cmdline[7] = '\0';
	PUT(104, "stat", "104 (long) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 99 0 0\n");
	PUT(104, "comm", "long\n");
	put(104, "cmdline", long_cmdline, sizeof(long_cmdline));

	/* a directory without files: the process exited while we looked */
	mkdir_in_root("105");
	/* not processes */
	mkdir_in_root("self");
	mkdir_in_root("0123");
	mkdir_in_root("abc");
	mkdir_in_root("4294967296");
	mkdir_in_root("12a");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void test_fake_hostile(void)
{
	struct proc_info pi;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK_STR(procfs_root(), fake_root);
	CHECK(procfs_read(100, &pi) == 0);
	CHECK(pi.pid == 100);
	CHECK(pi.ppid == 42);
	CHECK(pi.state == 'S');
	CHECK_STR(pi.comm, "evil) (x");
	CHECK_EQ_U64(pi.start_ticks, 12345);
	CHECK_EQ_U64(pi.cmdline_len, sizeof(cmdline_100) - 1);
	CHECK(!memcmp(pi.cmdline, cmdline_100, pi.cmdline_len));
	CHECK(!pi.cmdline_truncated);
	CHECK_STR(pi.cmdline_str, printable_100);
	for (const char *c = pi.cmdline_str; *c; c++)
		CHECK((unsigned char)*c >= 0x20 && *c != 0x7f && (unsigned char)*c != 0x9b);
}

static void test_fake_kernel_thread(void)
{
	struct proc_info pi;
	struct proc_rss rss;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_read(101, &pi) == 0);
	CHECK(pi.ppid == 2 && pi.state == 'I');
	CHECK_STR(pi.comm, "kworker/0:1-eve"); /* cut to VIGIL_COMM_LEN - 1 */
	CHECK(pi.cmdline_len == 0);
	CHECK_STR(pi.cmdline_str, "");
	CHECK_EQ_U64(pi.start_ticks, 7);
	CHECK(procfs_read_rss(101, &rss) == -ENODATA);
}

static void test_fake_errors(void)
{
	struct proc_info pi;
	struct proc_rss rss;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_read(999, &pi) == -ENOENT);
	CHECK(procfs_read_rss(999, &rss) == -ENOENT);
	CHECK(procfs_read(105, &pi) == -ENOENT);
	CHECK(procfs_read(102, &pi) == -EINVAL);
	CHECK(procfs_read(103, &pi) == -EINVAL);
	CHECK(procfs_read(106, &pi) == -EINVAL);
	CHECK(procfs_exists(100));
	CHECK(procfs_exists(105));
	CHECK(!procfs_exists(999));
	CHECK(!procfs_exists(0));
}

static void test_fake_long_cmdline(void)
{
	struct proc_info pi;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_read(104, &pi) == 0);
	CHECK(pi.cmdline_truncated);
	CHECK_EQ_U64(pi.cmdline_len, VIGIL_CMDLINE_MAX);
	CHECK_EQ_U64(strlen(pi.cmdline_str), VIGIL_CMDLINE_MAX);
	CHECK(!strncmp(pi.cmdline_str, "aaaaaaa aaa", 11));
	CHECK(pi.state == 'R' && pi.start_ticks == 99);
}

static void test_fake_rss(void)
{
	struct proc_rss rss;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_read_rss(100, &rss) == 0);
	CHECK_EQ_U64(rss.rss, 1536 * 1024);
	CHECK_EQ_U64(rss.anon, 1024 * 1024);
	CHECK_EQ_U64(rss.file, 256 * 1024);
	CHECK_EQ_U64(rss.shmem, 256 * 1024);
}

static void test_fake_iter(void)
{
	struct procfs_iter it;
	unsigned pid, seen = 0, n = 0;

	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_iter_open(&it) == 0);
	while (procfs_iter_next(&it, &pid) > 0) {
		n++;
		if (pid >= 100 && pid <= 106)
			seen |= 1u << (pid - 100);
		else
			printf("  unexpected pid %u\n", pid);
	}
	procfs_iter_close(&it);
	procfs_iter_close(&it); /* twice is harmless */
	CHECK(seen == 0x7f && n == 7);

	CHECK(procfs_set_root("/nonexistent-proc") == 0);
	CHECK(procfs_iter_open(&it) == -ENOENT);
	CHECK(procfs_iter_next(&it, &pid) == 0);
	procfs_iter_close(&it);
}

static void test_set_root(void)
{
	char longpath[PATH_MAX + 10];

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK(procfs_set_root(fake_root) == 0);
	CHECK(procfs_set_root(longpath) == -ENAMETOOLONG);
	CHECK_STR(procfs_root(), fake_root);
	CHECK(procfs_set_root(NULL) == 0);
	CHECK_STR(procfs_root(), "/proc");
}

static void test_printable(void)
{
	char out[64];

	CHECK(procfs_printable(out, sizeof(out), "a\0\0b\0\0", 6) == 4);
	CHECK_STR(out, "a  b");
	CHECK(procfs_printable(out, sizeof(out), "\0\0", 2) == 0);
	CHECK_STR(out, "");
	procfs_printable(out, sizeof(out), "tab\there\nnl\rcr\x7f", 16);
	CHECK_STR(out, "tab?here?nl?cr?");
	/* truncation never splits a character: "ab" + 3-byte char + NUL > 4 */
	CHECK(procfs_printable(out, 4, "ab\xe4\xb8\xad", 5) == 2);
	CHECK_STR(out, "ab");
	CHECK(procfs_printable(out, 6, "ab\xe4\xb8\xad", 5) == 5);
	CHECK(procfs_printable(out, 1, "abc", 3) == 0 && out[0] == '\0');
	out[0] = 'z';
	CHECK(procfs_printable(out, 0, "abc", 3) == 0 && out[0] == 'z');
	/* a sequence cut short by the end of the buffer is invalid: one '?'
	 * for its maximal subpart, as every output says it (textsafe.h) */
	procfs_printable(out, sizeof(out), "x\xe4\xb8", 3);
	CHECK_STR(out, "x?");
	/* surrogates, beyond U+10FFFF, 4-byte overlong, stray continuation */
	procfs_printable(out, sizeof(out), "\xed\xa0\x80|\xf4\x90\x80\x80|\xf0\x80\x80\xaf|\x80", 15);
	CHECK_STR(out, "???|????|????|?");
	/* 4-byte emoji is text */
	procfs_printable(out, sizeof(out), "\xf0\x9f\x98\x80", 4);
	CHECK_STR(out, "\xf0\x9f\x98\x80");
}

static uint64_t now_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void test_self(void)
{
	struct proc_info pi;
	char want_comm[VIGIL_COMM_LEN], shown[VIGIL_COMM_LEN];
	const char *base = strrchr(main_argv[0], '/');
	uint64_t now = now_mono_ns();

	base = base ? base + 1 : main_argv[0];
	snprintf(want_comm, sizeof(want_comm), "%s", base);
	CHECK(procfs_set_root(NULL) == 0);
	CHECK(procfs_exists((unsigned)getpid()));
	CHECK(procfs_read((unsigned)getpid(), &pi) == 0);
	CHECK_STR(pi.comm, want_comm);
	CHECK(pi.ppid == (unsigned)getppid());
	CHECK(pi.state == 'R');
	CHECK(pi.cmdline_len >= strlen(main_argv[0]) + 1);
	CHECK(!strcmp(pi.cmdline, main_argv[0])); /* first argument, NUL-ended */
	CHECK(!strncmp(pi.cmdline_str, main_argv[0], strlen(main_argv[0])));
	/* started before now, and not long ago (ticks are 10 ms; allow a lot) */
	CHECK(pi.start_ns > 0 && pi.start_ns <= now);
	CHECK(now - pi.start_ns < 600ULL * 1000000000ULL);

	/* a real hostile name, set the way any process can */
	CHECK(prctl(PR_SET_NAME, "t\x1b[31mred", 0, 0, 0) == 0);
	CHECK(procfs_read((unsigned)getpid(), &pi) == 0);
	CHECK_STR(pi.comm, "t\x1b[31mred");
	procfs_printable(shown, sizeof(shown), pi.comm, strlen(pi.comm));
	CHECK_STR(shown, "t?[31mred");
	prctl(PR_SET_NAME, want_comm, 0, 0, 0);
}

static void test_self_rss(void)
{
	struct proc_rss a, b;
	size_t size = 32 << 20;
	char *p;

	CHECK(procfs_set_root(NULL) == 0);
	CHECK(procfs_read_rss((unsigned)getpid(), &a) == 0);
	CHECK(a.rss > 0 && a.anon > 0);
	CHECK_EQ_U64(a.rss, a.anon + a.file + a.shmem);
	/* mmap, not malloc: a compiler may drop a malloc'd buffer nobody reads */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	memset(p, 1, size);
	CHECK(procfs_read_rss((unsigned)getpid(), &b) == 0);
	/* the kernel batches RSS counters per CPU: allow a little slack */
	CHECK(b.anon >= a.anon + size - (2 << 20));
	CHECK_EQ_U64(b.rss, b.anon + b.file + b.shmem);
	munmap(p, size);
}

static void test_self_iter(void)
{
	struct procfs_iter it;
	unsigned pid, found = 0, n = 0;

	CHECK(procfs_set_root(NULL) == 0);
	CHECK(procfs_iter_open(&it) == 0);
	while (procfs_iter_next(&it, &pid) > 0) {
		n++;
		found += pid == (unsigned)getpid();
	}
	procfs_iter_close(&it);
	CHECK(found == 1 && n >= 1);
}

static void test_ticks_to_mono(void)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t a, b;

	CHECK(procfs_ticks_to_mono_ns(0) == 0);
	/* one second of ticks is one second of monotonic time */
	a = procfs_ticks_to_mono_ns((uint64_t)hz * 1000000);
	b = procfs_ticks_to_mono_ns((uint64_t)hz * 1000001);
	CHECK(a > 0 && b - a == 1000000000ULL);
}

int main(int argc, char **argv)
{
	(void)argc;
	main_argv = argv;
	if (!mkdtemp(fake_root)) {
		printf("FAIL setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	build_fake_tree();
	RUN(test_fake_hostile);
	RUN(test_fake_kernel_thread);
	RUN(test_fake_errors);
	RUN(test_fake_long_cmdline);
	RUN(test_fake_rss);
	RUN(test_fake_iter);
	RUN(test_set_root);
	RUN(test_printable);
	RUN(test_self);
	RUN(test_self_rss);
	RUN(test_self_iter);
	RUN(test_ticks_to_mono);
	nftw(fake_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	CHECK_DONE();
}
