// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Rotated dumps of `vigil serve` (record_dir.h). */
#include "record_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "cli.h"
#include "dump_write.h"
#include "trace_run.h"

#define PREFIX "vigil-"
#define SUFFIX ".vgl"

/* vigil-20261207T070114Z-000.vgl: names sort as they were written */
static bool ours(const char *name)
{
	size_t n = strlen(name);

	return n == strlen(PREFIX "20261207T070114Z-000" SUFFIX) && !strncmp(name, PREFIX, strlen(PREFIX)) &&
	       !strcmp(name + n - strlen(SUFFIX), SUFFIX);
}

static int filter(const struct dirent *d)
{
	return ours(d->d_name);
}

/* Deletes the oldest of ours beyond keep (the dump being written is the newest). */
static void prune(const struct record_dir *r)
{
	struct dirent **list;
	int n = scandir(r->dir, &list, filter, alphasort);

	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		if ((unsigned)(n - i) > r->keep) {
			char p[PATH_MAX];
			snprintf(p, sizeof(p), "%s/%s", r->dir, list[i]->d_name);
			if (unlink(p) && errno != ENOENT)
				cli_err("--record-dir: cannot delete %s: %s", p, strerror(errno));
		}
		free(list[i]);
	}
	free(list);
}

/* The next file: the time now, and a count within that second. */
static int start(struct record_dir *r, struct cli *c, struct session *s)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	int rc = EXIT_RUNTIME;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned n = 0; n < 1000; n++) {
		snprintf(r->path, sizeof(r->path), "%s/" PREFIX "%s-%03u" SUFFIX, r->dir, stamp, n);
		if (access(r->path, F_OK) == 0)
			continue;
		rc = trace_open_dump(c, r->path, &r->w);
		if (rc == EXIT_OK && s && (rc = trace_note_sources(r->w, s)) != EXIT_OK) {
			dump_writer_close(r->w);
			r->w = NULL;
		}
		break;
	}
	if (rc == EXIT_OK) {
		r->files++;
		prune(r);
	}
	return rc;
}

int record_dir_open(struct record_dir *r, struct cli *c)
{
	unsigned long long files = r->files; /* a SIGHUP restart goes on counting */
	struct stat st;

	memset(r, 0, sizeof(*r));
	r->files = files;
	if (!c->record_dir)
		return EXIT_OK;
	r->dir = c->record_dir;
	r->rotate_bytes = (unsigned long long)((c->rotate_mb > 0 ? c->rotate_mb : 64) * 1048576);
	r->keep = c->keep ? c->keep : 24;
	if (mkdir(r->dir, 0750) && errno != EEXIST) {
		cli_err("--record-dir %s: %s", r->dir, strerror(errno));
		return EXIT_USAGE;
	}
	if (stat(r->dir, &st) || !S_ISDIR(st.st_mode)) {
		cli_err("--record-dir %s: not a directory", r->dir);
		r->dir = NULL;
		return EXIT_USAGE;
	}
	return start(r, c, NULL);
}

int record_dir_sources(struct record_dir *r, struct session *s)
{
	int rc = r->w ? trace_note_sources(r->w, s) : EXIT_OK;

	if (rc) {
		dump_writer_close(r->w);
		r->w = NULL;
	}
	return rc;
}

void record_dir_add(struct record_dir *r, const struct ev_hdr *rec)
{
	if (r->w && !r->write_err)
		r->write_err = dump_writer_add(r->w, rec);
}

static void stop_on_error(struct record_dir *r)
{
	cli_err("%s; recording stopped, serving goes on", dump_writer_error(r->w));
	dump_writer_close(r->w);
	r->w = NULL;
	r->write_err = 0;
}

/* A dump after the first starts mid-stream: it opens with an EV_PROC
 * (EV_PROC_LATE: its earlier life is in older dumps) of every running
 * process, so that report and replay name them. */
static void describe(struct record_dir *r, const struct agg *a)
{
	const struct agg_host *h = agg_host(a);
	__u64 ts = h->accounted_ts > h->last_ts ? h->accounted_ts : h->last_ts;

	for (size_t i = 0; i < agg_nprocs(a) && !r->write_err; i++) {
		const struct agg_proc *p = agg_proc_at(a, i);
		union {
			struct ev_proc e;
			char buf[sizeof(struct ev_proc) + VIGIL_CMDLINE_MAX];
		} u;
		size_t len = strnlen(p->cmdline, VIGIL_CMDLINE_MAX); /* one argument: the args joined */

		if (p->exited)
			continue;
		memset(&u, 0, sizeof(u));
		u.e.h.type = EV_PROC;
		u.e.h.size = (__u16)(sizeof(u.e) + len);
		u.e.h.ts = ts;
		u.e.h.pid = u.e.h.tid = p->pid;
		u.e.h.cpu = EV_PROC_LATE;
		u.e.ppid = p->ppid;
		u.e.role = p->role;
		u.e.cmdline_len = (__u16)len;
		u.e.start_ns = p->start_ns;
		memcpy(u.e.comm, p->comm, sizeof(u.e.comm));
		memcpy(u.e.cmdline, p->cmdline, len);
		r->write_err = dump_writer_add(r->w, &u.e.h);
	}
}

void record_dir_tick(struct record_dir *r, struct cli *c, struct session *s, const struct agg *a)
{
	if (!r->w)
		return;
	if (r->write_err || (r->write_err = dump_writer_flush(r->w))) {
		stop_on_error(r);
		return;
	}
	if (dump_writer_bytes(r->w) < r->rotate_bytes)
		return;
	if (dump_writer_finish(r->w)) {
		stop_on_error(r);
		return;
	}
	dump_writer_close(r->w);
	r->w = NULL;
	if (start(r, c, s) != EXIT_OK)
		cli_err("--record-dir: recording stopped, serving goes on");
	else
		describe(r, a);
}

int record_dir_close(struct record_dir *r)
{
	int rc = EXIT_OK;

	if (!r->w)
		return rc;
	if (r->write_err || dump_writer_finish(r->w)) {
		cli_err("%s: %s", r->path, dump_writer_error(r->w));
		rc = EXIT_RUNTIME;
	}
	dump_writer_close(r->w);
	r->w = NULL;
	return rc;
}
