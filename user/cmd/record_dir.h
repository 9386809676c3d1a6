/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `vigil serve --record-dir DIR`: the daemon's dumps, one file after
 * another.  A dump is closed (finished, readable by report and replay) and
 * the next one started when it reaches --rotate-mb; only the newest --keep
 * files named vigil-<UTC time>-<n>.vgl stay, older ones of that name are
 * deleted and no other file in DIR is touched.  A write error stops the
 * recording, said on stderr; the daemon goes on serving. */
#ifndef VIGIL_RECORD_DIR_H
#define VIGIL_RECORD_DIR_H

#include <limits.h>
#include <stdbool.h>

struct cli;
struct session;
struct dump_writer;
struct ev_hdr;
struct agg;

struct record_dir {
	const char *dir; /* NULL: not recording */
	unsigned long long rotate_bytes;
	unsigned keep;
	struct dump_writer *w;
	int write_err;
	unsigned long long files; /* dumps started */
	char path[PATH_MAX];
};

/* Creates DIR (0750) when missing and starts a dump (r zeroed the first
 * time; again after record_dir_close() on a restart).  Before the session
 * opens: its first records (the processes already running) go in too.
 * An exit code. */
int record_dir_open(struct record_dir *r, struct cli *c);
/* Once the session is open: the dump's header names its kernel sources. */
int record_dir_sources(struct record_dir *r, struct session *s);
/* One record, from the session's callback. */
void record_dir_add(struct record_dir *r, const struct ev_hdr *rec);
/* Once per tick: flushes, and rotates at the size limit (the next dump
 * opens with the running processes of a, settled). */
void record_dir_tick(struct record_dir *r, struct cli *c, struct session *s, const struct agg *a);
/* Finishes the dump being written.  An exit code. */
int record_dir_close(struct record_dir *r);

#endif
