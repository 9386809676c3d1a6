// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The dump writer's and reader's own cost, without BPF or a live load: the
 * records of a real dump are loaded into memory once, then
 *
 *   dumpbench write FILE [N [OUT]]  written again through dump_writer_add()
 *                               N times (best wall time and bytes/event),
 *                               into OUT (kept) or a scratch file in /tmp;
 *   dumpbench read FILE [N]     FILE read with dump_reader_next() N times.
 *
 * Deterministic enough for `valgrind --tool=callgrind
 * --toggle-collect=rewrite_once` (the writer alone) or
 * `--toggle-collect=read_once`.  Linked against whichever dump_write.o /
 * dump_read.o it is given, so an old and a new writer can be compared on the
 * same records (docs/performance.md, "Where vigil's cost goes").
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dump_read.h"
#include "dump_write.h"

struct recs {
	unsigned char *buf; /* records at 8-byte aligned offsets */
	size_t used, cap, n;
	struct dump_host host;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct recs *rs)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	char err[512];
	int rc;

	if (dump_reader_open(&r, path, err, sizeof(err))) {
		fprintf(stderr, "dumpbench: %s\n", err);
		return -1;
	}
	rs->host = *dump_reader_host(r);
	while ((rc = dump_reader_next(r, &h)) == 1) {
		size_t need = (h->size + 7u) & ~7u;

		if (rs->used + need > rs->cap) {
			rs->cap = (rs->cap + need) * 2;
			rs->buf = realloc(rs->buf, rs->cap);
			if (!rs->buf)
				return -1;
		}
		memcpy(rs->buf + rs->used, h, h->size);
		rs->used += need;
		rs->n++;
	}
	if (rc < 0)
		fprintf(stderr, "dumpbench: %s (using the %zu records before it)\n",
			dump_reader_error(r), rs->n);
	dump_reader_close(r);
	return 0;
}

/* noinline: the function callgrind's --toggle-collect names */
__attribute__((noinline)) int rewrite_once(const struct recs *rs, const char *out,
					   unsigned long long *bytes)
{
	struct dump_writer *w;
	char err[512];
	size_t pos = 0;
	int rc;

	unlink(out);
	if (dump_writer_open(&w, out, &rs->host, 0, err, sizeof(err))) {
		fprintf(stderr, "dumpbench: %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct ev_hdr *h = (const struct ev_hdr *)(rs->buf + pos);

		if (dump_writer_add(w, h))
			break;
		pos += (h->size + 7u) & ~7u;
	}
	rc = dump_writer_finish(w);
	*bytes = dump_writer_bytes(w);
	if (rc)
		fprintf(stderr, "dumpbench: %s\n", dump_writer_error(w));
	dump_writer_close(w);
	return rc;
}

__attribute__((noinline)) size_t read_once(const char *path)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	char err[512];
	size_t n = 0;
	__u64 sum = 0;

	if (dump_reader_open(&r, path, err, sizeof(err)))
		return 0;
	while (dump_reader_next(r, &h) == 1) {
		sum += h->ts; /* touch the record, as any consumer does */
		n++;
	}
	dump_reader_close(r);
	return sum ? n : n + 0;
}

static int cmd_write(const struct recs *rs, int reps, const char *keep)
{
	const char *out = keep ? keep : "/tmp/dumpbench-out.vgl";
	unsigned long long bytes = 0;
	double best = 1e9;

	for (int i = 0; i < reps; i++) {
		double t0 = now();

		if (rewrite_once(rs, out, &bytes))
			return 1;
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("write: %zu events, %llu bytes, %.2f bytes/event, best of %d: %.1f ns/event\n",
	       rs->n, bytes, (double)bytes / (double)rs->n, reps, best * 1e9 / (double)rs->n);
	if (!keep)
		unlink(out);
	return 0;
}

static int cmd_read(const char *path, size_t n, int reps)
{
	double best = 1e9;

	for (int i = 0; i < reps; i++) {
		double t0 = now();

		if (read_once(path) != n)
			return 1;
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("read: %zu events, best of %d: %.1f ns/event (%.2f M events/s)\n", n, reps,
	       best * 1e9 / (double)n, (double)n / best / 1e6);
	return 0;
}

int main(int argc, char **argv)
{
	struct recs rs = {0};
	int reps = argc > 3 ? atoi(argv[3]) : 5;

	if (argc < 3 || (strcmp(argv[1], "write") && strcmp(argv[1], "read"))) {
		fprintf(stderr, "usage: dumpbench write FILE [N [OUT]] | read FILE [N]\n");
		return 2;
	}
	if (load(argv[2], &rs) || !rs.n)
		return 1;
	if (!strcmp(argv[1], "write"))
		return cmd_write(&rs, reps < 1 ? 1 : reps, argc > 4 ? argv[4] : NULL);
	return cmd_read(argv[2], rs.n, reps < 1 ? 1 : reps);
}
