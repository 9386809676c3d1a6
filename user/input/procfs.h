/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What /proc says about a process: name, command line, parent, start time,
 * resident memory.  Used at startup (processes already running) and when a
 * new process matches; tests use the RSS figures as ground truth.
 *
 * All functions return 0 or a negative errno; -ENOENT means the process is
 * gone (or never existed).  Text read here is raw and may be hostile: render
 * it with procfs_printable() before it reaches a terminal or a report.
 */
#ifndef VIGIL_PROCFS_H
#define VIGIL_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include "events.h"

struct proc_info {
	unsigned pid;
	unsigned ppid;
	char state;                /* R, S, D, Z, ... from stat */
	char comm[VIGIL_COMM_LEN]; /* raw, NUL-terminated, trailing newline removed */
	/* /proc/PID/cmdline as is: arguments separated (and ended) by NUL,
	 * at most VIGIL_CMDLINE_MAX bytes; empty for kernel threads/zombies */
	char cmdline[VIGIL_CMDLINE_MAX];
	size_t cmdline_len;
	int cmdline_truncated;             /* the process's command line was longer */
	char cmdline_str[VIGIL_CMDLINE_MAX + 1]; /* procfs_printable(cmdline) */
	uint64_t start_ticks;              /* stat field 22: clock ticks after boot */
	uint64_t start_ns;                 /* the same in CLOCK_MONOTONIC ns, 0 = unknown */
};

/* Resident set, bytes (from /proc/PID/status, which reports kB). */
struct proc_rss {
	uint64_t rss;   /* VmRSS = anon + file + shmem */
	uint64_t anon;  /* RssAnon */
	uint64_t file;  /* RssFile */
	uint64_t shmem; /* RssShmem */
};

/* Where /proc is: "/proc" unless tests point it at a fake tree.  NULL
 * restores "/proc".  Returns -ENAMETOOLONG for an over-long path. */
int procfs_set_root(const char *path);
const char *procfs_root(void);

/* 1 if /proc/PID exists, else 0. */
int procfs_exists(unsigned pid);

/* comm, cmdline, ppid, state and start time of pid.  A pid whose stat
 * changes start time while it is read (died and reused) gives -ENOENT. */
int procfs_read(unsigned pid, struct proc_info *out);

/* -ENODATA for a process without a memory map (kernel thread, zombie). */
int procfs_read_rss(unsigned pid, struct proc_rss *out);

/* Iteration over the numeric entries of /proc (processes, not threads):
 *   struct procfs_iter it;  unsigned pid;
 *   if (procfs_iter_open(&it) == 0) {
 *           while (procfs_iter_next(&it, &pid) > 0) ...;
 *           procfs_iter_close(&it);
 *   }
 * Processes come and go while iterating: expect -ENOENT from procfs_read. */
struct procfs_iter {
	void *dir; /* DIR * */
};
int procfs_iter_open(struct procfs_iter *it);
int procfs_iter_next(struct procfs_iter *it, unsigned *pid); /* 1 = *pid set, 0 = end */
void procfs_iter_close(struct procfs_iter *it);

/* Renders len bytes of process-controlled text for display: NUL -> space
 * (trailing NULs dropped), and '?' for every character textsafe.h calls
 * unsafe: C0 controls, DEL, C1 controls (raw 0x80-0x9f or UTF-8 encoded),
 * each invalid UTF-8 sequence (one '?' per maximal subpart), the bidi
 * controls that could reorder the rest of a line and the line separators.
 * Valid UTF-8 text (e.g. Chinese paths) is kept.  out always ends
 * with NUL; output never exceeds the input length, so outsize = len + 1
 * never truncates; when it must truncate it cuts between characters.
 * Returns the length written. */
size_t procfs_printable(char *out, size_t outsize, const char *in, size_t len);

/* Clock ticks after boot (CLOCK_BOOTTIME) -> CLOCK_MONOTONIC ns.  The two
 * clocks differ by the time spent suspended, measured now: a process that
 * started before a suspend appears to have started that much earlier.
 * 0 when the result would fall before the monotonic clock's origin. */
uint64_t procfs_ticks_to_mono_ns(uint64_t ticks);

#endif
