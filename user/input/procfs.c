// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* /proc readers (see procfs.h).  Everything read here is controlled by the
 * process it describes, so every parser assumes hostile input. */
#define _GNU_SOURCE
#include "procfs.h"
#include "textsafe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char proc_root[PATH_MAX] = "/proc";

int procfs_set_root(const char *path)
{
	if (!path)
		path = "/proc";
	if (strlen(path) >= sizeof(proc_root))
		return -ENAMETOOLONG;
	strcpy(proc_root, path);
	return 0;
}

const char *procfs_root(void)
{
	return proc_root;
}

static int pid_path(char *buf, size_t size, unsigned pid, const char *name)
{
	int n = snprintf(buf, size, "%s/%u%s%s", proc_root, pid, name ? "/" : "", name ? name : "");

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int procfs_exists(unsigned pid)
{
	char path[PATH_MAX];
	struct stat st;

	return !pid_path(path, sizeof(path), pid, NULL) && !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* Reads at most size bytes of /proc/PID/name into buf; *len = bytes read.
 * A process that has exited reads as ENOENT or ESRCH depending on timing:
 * both become -ENOENT. */
static int read_pid_file(unsigned pid, const char *name, char *buf, size_t size, size_t *len)
{
	char path[PATH_MAX];
	int fd, rc = pid_path(path, sizeof(path), pid, name);
	ssize_t n;

	*len = 0;
	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ESRCH ? -ENOENT : -errno;
	while (*len < size) {
		n = read(fd, buf + *len, size - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = errno == ESRCH ? -ENOENT : -errno;
			break;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	close(fd);
	return rc;
}

/* ---- stat ---- */

/* The fields after "(comm)" start with field 3.  comm may hold spaces and
 * ')' itself, so the last ')' in the line is the one that closes it. */
static const char *stat_field(const char *after_comm, int field)
{
	const char *p = after_comm;

	for (int f = 3; f <= field; f++) {
		if (*p != ' ')
			return NULL;
		p++;
		if (f == field)
			return *p && *p != ' ' ? p : NULL;
		p = strchr(p, ' ');
		if (!p)
			return NULL;
	}
	return NULL;
}

static int stat_u64(const char *after_comm, int field, uint64_t *out)
{
	const char *p = stat_field(after_comm, field);
	char *end;

	if (!p || *p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoull(p, &end, 10);
	if (errno || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EINVAL;
	return 0;
}

struct stat_fields {
	char state;
	unsigned ppid;
	uint64_t start_ticks;
};

static int read_stat(unsigned pid, struct stat_fields *sf)
{
	char buf[4096];
	const char *rp, *state;
	uint64_t ppid;
	size_t len;
	int rc = read_pid_file(pid, "stat", buf, sizeof(buf) - 1, &len);

	if (rc)
		return rc;
	buf[len] = '\0';
	rp = memrchr(buf, ')', len);
	if (!rp || strlen(buf) < len) /* no comm, or a NUL where text belongs */
		return -EINVAL;
	state = stat_field(rp + 1, 3);
	if (!state || stat_u64(rp + 1, 4, &ppid) || ppid > UINT_MAX ||
	    stat_u64(rp + 1, 22, &sf->start_ticks))
		return -EINVAL;
	sf->state = *state;
	sf->ppid = (unsigned)ppid;
	return 0;
}

/* ---- start time ---- */

static uint64_t timespec_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + (uint64_t)ts->tv_nsec;
}

uint64_t procfs_ticks_to_mono_ns(uint64_t ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct timespec boot, mono;
	uint64_t boot_ns, suspended;

	if (hz <= 0)
		hz = 100; /* USER_HZ on every Linux architecture vigil builds for */
	boot_ns = ticks / (uint64_t)hz * 1000000000ULL +
		  ticks % (uint64_t)hz * 1000000000ULL / (uint64_t)hz;
	if (clock_gettime(CLOCK_BOOTTIME, &boot) || clock_gettime(CLOCK_MONOTONIC, &mono))
		return 0;
	suspended = timespec_ns(&boot) > timespec_ns(&mono) ? timespec_ns(&boot) - timespec_ns(&mono) : 0;
	return boot_ns > suspended ? boot_ns - suspended : 0;
}

/* ---- comm and cmdline ---- */

static int read_comm(unsigned pid, char comm[VIGIL_COMM_LEN])
{
	char buf[128]; /* kernel threads' names may exceed TASK_COMM_LEN here */
	size_t len;
	int rc = read_pid_file(pid, "comm", buf, sizeof(buf), &len);

	if (rc)
		return rc;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len > VIGIL_COMM_LEN - 1)
		len = VIGIL_COMM_LEN - 1;
	memcpy(comm, buf, len);
	comm[len] = '\0';
	return 0;
}

static int read_cmdline(unsigned pid, struct proc_info *out)
{
	char buf[VIGIL_CMDLINE_MAX + 1]; /* one more byte tells "longer" apart */
	size_t len;
	int rc = read_pid_file(pid, "cmdline", buf, sizeof(buf), &len);

	if (rc)
		return rc;
	out->cmdline_truncated = len > VIGIL_CMDLINE_MAX;
	if (out->cmdline_truncated)
		len = VIGIL_CMDLINE_MAX;
	memcpy(out->cmdline, buf, len);
	out->cmdline_len = len;
	procfs_printable(out->cmdline_str, sizeof(out->cmdline_str), out->cmdline, len);
	return 0;
}

int procfs_read(unsigned pid, struct proc_info *out)
{
	struct stat_fields first, again;
	int rc;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	rc = read_stat(pid, &first);
	if (!rc)
		rc = read_comm(pid, out->comm);
	if (!rc)
		rc = read_cmdline(pid, out);
	/* the pid may have died and been reused between the reads: the start
	 * time tells one process from the next */
	if (!rc)
		rc = read_stat(pid, &again);
	if (!rc && again.start_ticks != first.start_ticks)
		rc = -ENOENT;
	if (rc)
		return rc;
	out->state = first.state;
	out->ppid = first.ppid;
	out->start_ticks = first.start_ticks;
	out->start_ns = procfs_ticks_to_mono_ns(first.start_ticks);
	return 0;
}

/* ---- status: resident memory ---- */

/* "Name:\t   1234 kB" -> bytes */
static int status_kb(const char *line, const char *name, uint64_t *out)
{
	size_t n = strlen(name);
	const char *p;
	char *end;
	unsigned long long kb;

	if (strncmp(line, name, n) || line[n] != ':')
		return 0;
	p = line + n + 1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return 0;
	errno = 0;
	kb = strtoull(p, &end, 10);
	if (errno || strncmp(end, " kB", 3) || kb > UINT64_MAX / 1024)
		return 0;
	*out = kb * 1024;
	return 1;
}

int procfs_read_rss(unsigned pid, struct proc_rss *out)
{
	char buf[8192];
	size_t len;
	int have_rss = 0, rc = read_pid_file(pid, "status", buf, sizeof(buf) - 1, &len);

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	buf[len] = '\0';
	for (char *line = buf; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		have_rss |= status_kb(line, "VmRSS", &out->rss);
		status_kb(line, "RssAnon", &out->anon);
		status_kb(line, "RssFile", &out->file);
		status_kb(line, "RssShmem", &out->shmem);
		line = nl ? nl + 1 : NULL;
	}
	return have_rss ? 0 : -ENODATA;
}

/* ---- iteration ---- */

int procfs_iter_open(struct procfs_iter *it)
{
	it->dir = opendir(proc_root);
	return it->dir ? 0 : -errno;
}

static int parse_pid(const char *s, unsigned *pid)
{
	unsigned long v = 0;

	if (*s < '1' || *s > '9') /* no "", no leading zeros, no "self" */
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > UINT_MAX)
			return -1;
	}
	*pid = (unsigned)v;
	return 0;
}

int procfs_iter_next(struct procfs_iter *it, unsigned *pid)
{
	struct dirent *de;

	if (!it->dir)
		return 0;
	for (;;) {
		errno = 0;
		de = readdir(it->dir);
		if (!de)
			return errno ? -errno : 0;
		if (!parse_pid(de->d_name, pid))
			return 1;
	}
}

void procfs_iter_close(struct procfs_iter *it)
{
	if (it->dir)
		closedir(it->dir);
	it->dir = NULL;
}

/* ---- display ---- */

size_t procfs_printable(char *out, size_t outsize, const char *in, size_t len)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, n = 0;

	if (!outsize)
		return 0;
	while (len && !s[len - 1]) /* cmdline ends with a NUL: no trailing space */
		len--;
	while (i < len) {
		uint32_t cp = 0;
		size_t k = s[i] ? text_utf8_next(s + i, len - i, &cp) : 1;

		if (!s[i] || text_cp_unsafe(cp)) {
			if (n + 1 >= outsize)
				break;
			out[n++] = s[i] ? '?' : ' ';
			i += k;
			continue;
		}
		if (n + k >= outsize)
			break;
		memcpy(out + n, s + i, k);
		n += k;
		i += k;
	}
	out[n] = '\0';
	return n;
}
