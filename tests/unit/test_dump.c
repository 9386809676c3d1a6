// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Dump writer and reader: round trips, and every way a file can be cut,
 * damaged or forged.  Real files in a private directory under /tmp. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "rand.h"
#include "decode.h"
#include "dump_codec.h"
#include "dump_read.h"
#include "dump_write.h"
#include "testhost.h"

static char tmpdir[64];

static void tpath(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", tmpdir, name);
}

/* ---- synthetic record streams ------------------------------------------ */

/* Records stored at 8-byte aligned offsets, as the ring buffer hands them out */
struct stream {
	unsigned char *buf;
	size_t used, cap;
	size_t *off;
	size_t n, ncap;
	__u64 lost; /* sum of EV_LOST counts */
	__u64 ts_min, ts_max;
};

static __u64 rng = 88172645463325252ULL;

static __u64 rnd(void) { return xorshift64(&rng); }

static void *stream_new_rec(struct stream *s, unsigned type, size_t size, __u64 ts)
{
	struct ev_hdr *h;

	if (s->used + size + 8 > s->cap) {
		s->cap = (s->cap + size + 8) * 2;
		s->buf = realloc(s->buf, s->cap);
	}
	if (s->n == s->ncap) {
		s->ncap = s->ncap ? s->ncap * 2 : 256;
		s->off = realloc(s->off, s->ncap * sizeof(*s->off));
	}
	if (!s->buf || !s->off)
		abort();
	s->off[s->n++] = s->used;
	h = (struct ev_hdr *)(s->buf + s->used);
	memset(h, 0, size);
	s->used += (size + 7) & ~(size_t)7;
	h->type = (__u16)type;
	h->size = (__u16)size;
	h->cpu = (__u32)(rnd() % 8);
	h->ts = ts;
	h->pid = 1000 + (__u32)(rnd() % 50);
	h->tid = h->pid + (__u32)(rnd() % 4);
	if (s->n == 1 || ts < s->ts_min)
		s->ts_min = ts;
	if (ts > s->ts_max)
		s->ts_max = ts;
	return h;
}

static const struct ev_hdr *stream_rec(const struct stream *s, size_t i)
{
	return (const struct ev_hdr *)(s->buf + s->off[i]);
}

static void stream_free(struct stream *s)
{
	free(s->buf);
	free(s->off);
	memset(s, 0, sizeof(*s));
}

static void fill_text(char *p, size_t len, int with_nuls)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (char)('a' + rnd() % 26);
	if (with_nuls)
		for (size_t i = 7; i < len; i += 9)
			p[i] = '\0';
}

/* One record of each kind the format must carry, fields filled at random. */
static void add_record(struct stream *s, unsigned type, __u64 ts)
{
	switch (type) {
	case EV_FAULTS: {
		struct ev_faults *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->count = (__u32)(rnd() % 1000);
		e->first_ts = ts - rnd() % 4000000;
		break;
	}
	case EV_MMAP: {
		struct ev_mmap *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->addr = rnd();
		e->len = (rnd() % 1024) << 12;
		e->prot = 3;
		e->flags = 0x22;
		e->fd = -1;
		e->ret = (__s64)(rnd() >> 17);
		break;
	}
	case EV_MUNMAP: {
		struct ev_munmap *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->addr = rnd();
		e->len = 4096;
		break;
	}
	case EV_MREMAP: {
		struct ev_mremap *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->old_addr = rnd();
		e->old_len = 8192;
		e->new_len = 16384;
		e->ret = -12;
		break;
	}
	case EV_MADVISE: {
		struct ev_madvise *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->addr = rnd();
		e->len = 1 << 20;
		e->advice = 4;
		break;
	}
	case EV_BRK: {
		struct ev_brk *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->old_brk = 0x555500000000ULL + (rnd() % 1000) * 4096;
		e->req = e->old_brk + 4096;
		e->new_brk = e->req;
		break;
	}
	case EV_RSS: {
		struct ev_rss *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->file = (__s64)(rnd() % (1 << 30));
		e->anon = (__s64)(rnd() % (1 << 30));
		e->swap = 0;
		e->shmem = -1;
		break;
	}
	case EV_SWITCH: {
		struct ev_switch *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->next_pid = 1000 + (__u32)(rnd() % 50);
		e->next_tid = e->next_pid;
		e->prev_state = (__u32)(rnd() % 2);
		e->flags = e->prev_state ? 0 : EV_SWITCH_PREEMPT;
		break;
	}
	case EV_WAKEUP: {
		struct ev_wakeup *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->target_cpu = (__u32)(rnd() % 8);
		e->is_new = (__u32)(rnd() % 2);
		break;
	}
	case EV_MIGRATE: {
		struct ev_migrate *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->orig_cpu = 1;
		e->dest_cpu = 2;
		break;
	}
	case EV_FORK: {
		struct ev_fork *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->child_pid = (__u32)rnd();
		e->child_tid = e->child_pid;
		fill_text(e->comm, sizeof(e->comm) - 1, 0);
		break;
	}
	case EV_EXEC: {
		size_t len = rnd() % (VIGIL_CMDLINE_MAX + 1);
		struct ev_exec *e = stream_new_rec(s, type, sizeof(*e) + len, ts);
		e->old_tid = (__u32)rnd();
		e->cmdline_len = (__u16)len;
		fill_text(e->comm, sizeof(e->comm) - 1, 0);
		fill_text(e->cmdline, len, 1);
		break;
	}
	case EV_EXIT: {
		struct ev_exit *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->exit_code = (__s32)(rnd() % 256) << 8;
		e->group_dead = 1;
		break;
	}
	case EV_COMM: {
		struct ev_comm *e = stream_new_rec(s, type, sizeof(*e), ts);
		fill_text(e->comm, 12, 0);
		break;
	}
	case EV_LOST: {
		struct ev_lost *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->h.pid = e->h.tid = 0;
		e->count = 1 + rnd() % 5000;
		s->lost += e->count;
		break;
	}
	case EV_PROC: {
		size_t len = rnd() % (VIGIL_CMDLINE_MAX + 1);
		struct ev_proc *e = stream_new_rec(s, type, sizeof(*e) + len, ts);
		e->ppid = 1;
		e->role = (__u16)(rnd() % ROLE_COUNT);
		e->cmdline_len = (__u16)len;
		e->start_ns = ts / 2;
		fill_text(e->comm, 15, 0);
		fill_text(e->cmdline, len, 1);
		break;
	}
	case EV_SITE_FRAME: {
		size_t len = rnd() % (VIGIL_CMDLINE_MAX + 1);
		struct ev_site_frame *e = stream_new_rec(s, type, sizeof(*e) + len, ts);
		e->h.pid = e->h.tid = 0;
		e->id = 1 + (__u32)(rnd() % 1000);
		e->line = (__u32)(rnd() % 5000);
		e->kind = (__u16)(rnd() % 3);
		e->text_len = (__u16)len;
		e->offset = rnd();
		fill_text(e->text, len, 1);
		break;
	}
	case EV_SITE_STACK: {
		size_t n = rnd() % (VIGIL_SITE_FRAMES_MAX + 1);
		struct ev_site_stack *e = stream_new_rec(s, type, sizeof(*e) + 4 * n, ts);
		e->h.pid = e->h.tid = 0;
		e->id = 1 + (__u32)(rnd() % 1000);
		e->frames_len = (__u16)(4 * n);
		e->flags = (__u16)(rnd() % 2);
		for (size_t i = 0; i < n; i++)
			e->frames[i] = 1 + (__u32)(rnd() % 1000);
		break;
	}
	case EV_SITE_SAMPLE: {
		struct ev_site_sample *e = stream_new_rec(s, type, sizeof(*e), ts);
		e->addr = rnd();
		e->bytes = 4096 * (1 + rnd() % 512);
		e->stack = (__u32)(rnd() % 1000);
		e->flags = (__u32)(rnd() % 8);
		break;
	}
	default:
		abort();
	}
}

/* Every type, in random order; timestamps that wobble backwards now and
 * then, as records from different CPUs do. */
static void make_mixed(struct stream *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned type = i < EV_TYPE_MAX - 1 ? (unsigned)i + 1 : 1 + (unsigned)(rnd() % (EV_TYPE_MAX - 1));
		if (!ev_type_stored(type)) /* the raw site sample never reaches a dump */
			type = EV_SITE_SAMPLE;
		add_record(s, type, 5000000000ULL + i * 1000 + rnd() % 5000);
	}
}

/* Scheduler traffic as a busy 8-CPU box shows it: switches and wakeups
 * among 60 threads, a few microseconds apart. */
static void make_sched(struct stream *s, size_t n)
{
	__u64 ts = 123456789000ULL;
	__u32 running[8] = {0};

	for (size_t i = 0; i < n; i++) {
		__u32 cpu = (__u32)(rnd() % 8), who = 2000 + (__u32)(rnd() % 60);

		ts += 1000 + rnd() % 4000;
		if (rnd() % 2) {
			struct ev_switch *e = stream_new_rec(s, EV_SWITCH, sizeof(*e), ts);

			e->h.cpu = cpu;
			e->h.pid = e->h.tid = running[cpu] ? running[cpu] : who;
			e->next_pid = e->next_tid = who;
			e->prev_state = rnd() % 4 ? 1 : 0;
			e->flags = e->prev_state ? 0 : EV_SWITCH_PREEMPT;
			running[cpu] = who;
		} else {
			struct ev_wakeup *e = stream_new_rec(s, EV_WAKEUP, sizeof(*e), ts);

			e->h.cpu = (__u32)(rnd() % 8);
			e->h.pid = e->h.tid = who;
			e->target_cpu = cpu;
		}
	}
}

/* ---- writing and reading back ------------------------------------------- */

/* Where each block of a written dump ends and how many events the file holds
 * up to there: b[0] is the header, then one per chunk; the last is where
 * the trailer starts. */
struct layout {
	__u64 *end;
	size_t *events;
	size_t nb;
	__u64 trailer_at, size;
};

static void layout_push(struct layout *l, __u64 end, size_t events)
{
	l->end = realloc(l->end, (l->nb + 1) * sizeof(*l->end));
	l->events = realloc(l->events, (l->nb + 1) * sizeof(*l->events));
	if (!l->end || !l->events)
		abort();
	l->end[l->nb] = end;
	l->events[l->nb++] = events;
}

static void layout_free(struct layout *l)
{
	free(l->end);
	free(l->events);
	memset(l, 0, sizeof(*l));
}

/* Index of the block holding file offset off (the last block boundary at or
 * before it). */
static size_t layout_find(const struct layout *l, __u64 off)
{
	size_t k = 0;

	for (size_t i = 0; i < l->nb; i++)
		if (l->end[i] <= off)
			k = i;
	return k;
}

static int write_stream(const char *path, const struct stream *s, size_t chunk, struct layout *l)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	char err[512];
	struct stat st;
	int rc;

	memset(l, 0, sizeof(*l));
	rc = dump_writer_open(&w, path, &h, 0, err, sizeof(err));
	if (rc) {
		printf("# open: %s\n", err);
		return rc;
	}
	if (chunk && dump_writer_set_chunk_size(w, chunk))
		return -1;
	layout_push(l, dump_writer_bytes(w), 0);
	for (size_t i = 0; i < s->n; i++) {
		__u64 before = dump_writer_bytes(w);

		if (dump_writer_add(w, stream_rec(s, i)))
			return -1;
		if (dump_writer_bytes(w) != before)
			layout_push(l, dump_writer_bytes(w), i);
	}
	if (dump_writer_flush(w))
		return -1;
	if (dump_writer_bytes(w) != l->end[l->nb - 1])
		layout_push(l, dump_writer_bytes(w), s->n);
	l->trailer_at = dump_writer_bytes(w);
	rc = dump_writer_close(w);
	if (rc)
		return rc;
	if (stat(path, &st))
		return -1;
	l->size = (__u64)st.st_size;
	return 0;
}

struct readback {
	int open_rc;
	char open_err[512];
	size_t n;     /* records returned */
	int match;    /* each one identical to the original at its position */
	int aligned;
	int rc;       /* what ended the stream: 0 or -1 */
	__u64 err_off;
	char msg[512];
	int trailer;
	struct dump_host host;
	struct dump_totals totals;
};

static void read_back(const char *path, const struct stream *s, struct readback *rb)
{
	struct dump_reader *r;
	const struct ev_hdr *rec;
	int rc;

	memset(rb, 0, sizeof(*rb));
	rb->match = rb->aligned = 1;
	rb->open_rc = dump_reader_open(&r, path, rb->open_err, sizeof(rb->open_err));
	if (rb->open_rc)
		return;
	rb->host = *dump_reader_host(r);
	while ((rc = dump_reader_next(r, &rec)) == 1) {
		if (rb->n >= s->n || rec->size != stream_rec(s, rb->n)->size ||
		    memcmp(rec, stream_rec(s, rb->n), rec->size))
			rb->match = 0;
		if ((uintptr_t)rec % 8)
			rb->aligned = 0;
		rb->n++;
	}
	rb->rc = rc;
	/* the end is sticky */
	if (dump_reader_next(r, &rec) != rc || rec)
		rb->rc = 99;
	rb->err_off = dump_reader_error_offset(r);
	snprintf(rb->msg, sizeof(rb->msg), "%s", dump_reader_error(r));
	rb->trailer = dump_reader_has_trailer(r);
	rb->totals = *dump_reader_totals(r);
	dump_reader_close(r);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	struct stat st;
	unsigned char *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		abort();
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void spit(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* ---- tests ---------------------------------------------------------------- */

static void test_round_trip(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	struct dump_host h = test_host();
	char path[128];

	tpath(path, sizeof(path), "roundtrip.vgl");
	make_mixed(&s, 3000);
	CHECK(write_stream(path, &s, 4096, &l) == 0);
	CHECK(l.nb > 10); /* many chunks */
	CHECK_EQ_U64(l.size, l.trailer_at + sizeof(struct dump_trailer));
	read_back(path, &s, &rb);
	CHECK(rb.open_rc == 0);
	CHECK_EQ_U64(rb.n, s.n);
	CHECK(rb.match);
	CHECK(rb.aligned);
	CHECK(rb.rc == 0);
	CHECK(rb.trailer);
	CHECK_STR(rb.msg, "");
	CHECK_STR(rb.host.kernel, h.kernel);
	CHECK_STR(rb.host.arch, h.arch);
	CHECK_STR(rb.host.hostname, h.hostname);
	CHECK_EQ_U64(rb.host.ncpus, h.ncpus);
	CHECK_EQ_U64(rb.host.page_size, h.page_size);
	CHECK_EQ_U64(rb.host.mono_ns, h.mono_ns);
	CHECK_EQ_U64(rb.host.real_ns, h.real_ns);
	CHECK_EQ_U64(rb.host.pf_source, h.pf_source);
	CHECK_EQ_U64(rb.host.ringbuf_size, h.ringbuf_size);
	CHECK_EQ_U64(rb.totals.events, s.n);
	CHECK_EQ_U64(rb.totals.chunks, l.nb - 1);
	CHECK_EQ_U64(rb.totals.lost, s.lost);
	CHECK(s.lost > 0);
	CHECK_EQ_U64(rb.totals.ts_min, s.ts_min);
	CHECK_EQ_U64(rb.totals.ts_max, s.ts_max);
	layout_free(&l);
	stream_free(&s);
}

/* The layout as docs/dump-format.md describes it, parsed here by hand, so
 * that the document and the code cannot drift apart silently. */
static void test_layout_as_documented(void)
{
	struct stream s = {0};
	struct layout l;
	char path[128];
	unsigned char *f;
	size_t len, off, chunks = 0, events = 0;
	__u32 u32;
	__u16 u16;

	tpath(path, sizeof(path), "layout.vgl");
	make_mixed(&s, 200);
	CHECK(write_stream(path, &s, 2048, &l) == 0);
	f = slurp(path, &len);
	CHECK(!memcmp(f, "VIGILDMP", 8));
	memcpy(&u16, f + 8, 2);
	CHECK_EQ_U64(u16, DUMP_VERSION);
	memcpy(&u16, f + 10, 2);
	CHECK_EQ_U64(u16, 256);
	memcpy(&u32, f + 252, 4);
	CHECK_EQ_U64(u32, crc32(0, f, 252));
	CHECK_STR((const char *)f + 16, "6.1.0-test-amd64");
	CHECK_STR((const char *)f + 80, "x86");
	CHECK_STR((const char *)f + 96, "testbox");
	memcpy(&u32, f + 160, 4);
	CHECK_EQ_U64(u32, 8);
	off = 256;
	while (off + 48 <= len && !memcmp(f + off, "VCHK", 4)) {
		__u32 comp, raw, nev, crc;
		unsigned char *out;
		z_stream zs;
		unsigned char *ts;
		size_t ts_len;
		struct dump_codec_state st;
		unsigned char rec[VIGIL_REC_MAX] __attribute__((aligned(8)));

		memcpy(&u32, f + off + 4, 4);
		CHECK_EQ_U64(u32, chunks);
		memcpy(&comp, f + off + 8, 4);
		memcpy(&raw, f + off + 12, 4);
		memcpy(&nev, f + off + 16, 4);
		memcpy(&crc, f + off + 40, 4);
		CHECK_EQ_U64(crc, crc32(0, f + off + 48, comp));
		memcpy(&crc, f + off + 44, 4);
		CHECK_EQ_U64(crc, crc32(0, f + off, 44));
		memcpy(&u32, f + off + 20, 4);
		CHECK_EQ_U64(u32, 2); /* codec: encoded records, raw deflate */
		/* raw deflate (no zlib header or adler32), exactly raw bytes */
		out = calloc(1, raw + DUMP_ENC_REC_MAX);
		memset(&zs, 0, sizeof(zs));
		CHECK(out && inflateInit2(&zs, -15) == Z_OK);
		zs.next_in = f + off + 48;
		zs.avail_in = comp;
		zs.next_out = out;
		zs.avail_out = raw;
		CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.total_out == raw);
		/* after the deflate stream: one timestamp per record, to the end */
		ts = calloc(1, zs.avail_in + DUMP_ENC_TS_MAX);
		ts_len = zs.avail_in;
		CHECK(ts && ts_len >= nev);
		memcpy(ts, f + off + 48 + comp - ts_len, ts_len);
		inflateEnd(&zs);
		/* encoded records back to back; the tag's low 5 bits are the type */
		dump_codec_reset(&st);
		for (size_t p = 0, t = 0, n = 0; out && ts && p < raw && events < s.n; events++, n++) {
			const char *why;
			size_t used, ts_used;

			CHECK_EQ_U64(out[p] & 0x1f, stream_rec(&s, events)->type);
			used = dump_decode(&st, out + p, ts + t, rec, &ts_used, &why);
			CHECK(used && !memcmp(rec, stream_rec(&s, events), stream_rec(&s, events)->size));
			p += used ? used : raw;
			t += ts_used;
			if (p >= raw) {
				CHECK_EQ_U64(n + 1, nev);
				CHECK_EQ_U64(t, ts_len);
			}
		}
		free(ts);
		free(out);
		off += 48 + comp;
		chunks++;
	}
	CHECK_EQ_U64(off, l.trailer_at);
	CHECK_EQ_U64(events, s.n);
	CHECK(!memcmp(f + off, "VEND", 4));
	CHECK_EQ_U64(len, off + 64);
	memcpy(&u32, f + off + 60, 4);
	CHECK_EQ_U64(u32, crc32(0, f + off, 60));
	free(f);
	layout_free(&l);
	stream_free(&s);
}

static void test_empty_recording(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	char path[128];

	tpath(path, sizeof(path), "empty-rec.vgl");
	CHECK(write_stream(path, &s, 0, &l) == 0);
	CHECK_EQ_U64(l.size, DUMP_HEADER_SIZE + sizeof(struct dump_trailer));
	read_back(path, &s, &rb);
	CHECK(rb.open_rc == 0);
	CHECK(rb.rc == 0);
	CHECK(rb.trailer);
	CHECK_EQ_U64(rb.n, 0);
	CHECK_EQ_U64(rb.totals.ts_min, 0);
	layout_free(&l);
}

/* Small enough to cut at every byte, big enough for several chunks. */
static void write_small_dump(const char *path, struct stream *s, struct layout *l)
{
	make_mixed(s, 60);
	CHECK(write_stream(path, s, 1024, l) == 0);
	CHECK(l->nb >= 5);
	CHECK(l->size > 2000);
}

static void test_truncate_every_byte(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	char path[128], want[160];
	int bad = 0;

	tpath(path, sizeof(path), "cut.vgl");
	write_small_dump(path, &s, &l);
	/* from the full size down, so one ftruncate per cut is all it takes */
	for (long long c = (long long)l.size; c >= 0 && !bad; c--) {
		size_t k;

		if (truncate(path, c)) {
			CHECK(0);
			break;
		}
		read_back(path, &s, &rb);
		if (c < DUMP_HEADER_SIZE) {
			if (rb.open_rc != -1 || !strstr(rb.open_err, "offset")) {
				printf("# cut %lld: open_rc %d \"%s\"\n", c, rb.open_rc, rb.open_err);
				bad = 1;
			}
			continue;
		}
		if (c == (long long)l.size) {
			bad |= rb.rc != 0 || rb.n != s.n || !rb.match;
			continue;
		}
		k = layout_find(&l, (__u64)c);
		snprintf(want, sizeof(want),
			 "truncated at offset %llu (no trailer: recording was cut short)",
			 (unsigned long long)l.end[k]);
		if (rb.open_rc || rb.rc != -1 || rb.n != l.events[k] || !rb.match ||
		    rb.err_off != l.end[k] || !strstr(rb.msg, want) || rb.trailer) {
			printf("# cut %lld: rc %d n %zu (want %zu) off %llu (want %llu) \"%s\"\n", c,
			       rb.rc, rb.n, l.events[k], (unsigned long long)rb.err_off,
			       (unsigned long long)l.end[k], rb.msg);
			bad = 1;
		}
	}
	CHECK(!bad);
	layout_free(&l);
	stream_free(&s);
}

static void test_bit_flips(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	char path[128];
	unsigned char *orig;
	size_t len;
	int fd, bad = 0;

	tpath(path, sizeof(path), "flip.vgl");
	write_small_dump(path, &s, &l);
	orig = slurp(path, &len);
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	for (size_t b = 0; b < len && !bad && fd >= 0; b++) {
		for (int bit = 0; bit < 8 && !bad; bit++) {
			unsigned char v = orig[b] ^ (unsigned char)(1u << bit);
			size_t k = layout_find(&l, b);

			if (pwrite(fd, &v, 1, (off_t)b) != 1)
				abort();
			read_back(path, &s, &rb);
			if (b < DUMP_HEADER_SIZE) {
				/* every header byte is under the CRC */
				bad = rb.open_rc != -1 || !rb.open_err[0];
			} else {
				/* CRC-32 catches every single-bit error: the block is
				 * refused whole, everything before it comes out */
				bad = rb.open_rc || rb.rc != -1 || !rb.match ||
				      rb.n != l.events[k] || rb.err_off != l.end[k] ||
				      !rb.msg[0];
			}
			if (bad)
				printf("# flip byte %zu bit %d: open %d rc %d n %zu (want %zu) off "
				       "%llu (want %llu) \"%s%s\"\n", b, bit, rb.open_rc, rb.rc,
				       rb.n, l.events[k], (unsigned long long)rb.err_off,
				       (unsigned long long)l.end[k], rb.open_err, rb.msg);
			if (pwrite(fd, &orig[b], 1, (off_t)b) != 1)
				abort();
		}
	}
	if (fd >= 0)
		close(fd);
	CHECK(!bad);
	free(orig);
	layout_free(&l);
	stream_free(&s);
}

static void fix_header_crc(unsigned char *f)
{
	__u32 crc = (__u32)crc32(0, f, DUMP_HEADER_SIZE - 4);

	memcpy(f + DUMP_HEADER_SIZE - 4, &crc, 4);
}

static void test_bad_headers(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	char path[128], bad[128];
	unsigned char *f;
	size_t len;
	__u16 u16;
	__u32 u32;

	tpath(path, sizeof(path), "hdr.vgl");
	tpath(bad, sizeof(bad), "hdr-bad.vgl");
	make_mixed(&s, 50);
	CHECK(write_stream(path, &s, 0, &l) == 0);
	f = slurp(path, &len);

	spit(bad, "", 0);
	read_back(bad, &s, &rb);
	CHECK(rb.open_rc == -1);
	CHECK(strstr(rb.open_err, "empty") && strstr(rb.open_err, "offset 0"));

	memcpy(f, "NOTADUMP", 8);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(rb.open_rc == -1);
	CHECK(strstr(rb.open_err, "not a vigil dump") && strstr(rb.open_err, "magic at offset 0"));
	spit(bad, "VIGXX", 5);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "bad magic"));
	spit(bad, "VIGIL", 5);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "truncated at offset 5"));
	memcpy(f, "VIGILDMP", 8);

	/* a newer version, otherwise intact: refused by name */
	u16 = DUMP_VERSION + 1;
	memcpy(f + 8, &u16, 2);
	fix_header_crc(f);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(rb.open_rc == -1);
	CHECK(strstr(rb.open_err, "version 4 is newer") && strstr(rb.open_err, "(version 3)"));
	/* refused even when the rest of a newer header would not make sense */
	f[DUMP_HEADER_SIZE - 1] ^= 0xff;
	u16 = 4000;
	memcpy(f + 10, &u16, 2);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "version 4 is newer"));
	u16 = DUMP_HEADER_SIZE;
	memcpy(f + 10, &u16, 2);

	u16 = 0;
	memcpy(f + 8, &u16, 2);
	fix_header_crc(f);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "version 0"));

	u16 = DUMP_VERSION;
	memcpy(f + 8, &u16, 2);
	u16 = 100;
	memcpy(f + 10, &u16, 2);
	fix_header_crc(f);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "header size 100 at offset 10"));
	u16 = DUMP_HEADER_SIZE;
	memcpy(f + 10, &u16, 2);

	f[100] ^= 1; /* inside the hostname, CRC left as it was */
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(strstr(rb.open_err, "CRC mismatch at offset 252"));
	f[100] ^= 1;

	u32 = 1; /* a required feature this build lacks */
	memcpy(f + 12, &u32, 4);
	fix_header_crc(f);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(rb.open_rc == -1 && strstr(rb.open_err, "flags"));

	u32 = 1u << 16; /* an optional hint: ignored */
	memcpy(f + 12, &u32, 4);
	fix_header_crc(f);
	spit(bad, f, len);
	read_back(bad, &s, &rb);
	CHECK(rb.open_rc == 0 && rb.rc == 0 && rb.n == s.n && rb.match);

	read_back("/nonexistent/dir/x.vgl", &s, &rb);
	CHECK(rb.open_rc == -1 && strstr(rb.open_err, "/nonexistent/dir/x.vgl"));
	free(f);
	layout_free(&l);
	stream_free(&s);
}

/* ---- forged files: valid CRCs around impossible content ------------------- */

struct forge {
	unsigned char *buf;
	size_t len;
};

/* The format version the forged files have: 2 (what vigil writes) or 1 (raw
 * records in zlib streams, which vigil still reads). */
static unsigned forge_v = DUMP_VERSION;
/* good_chunk(): where each record's fields end in the payload; v2: the
 * chunk's timestamps, which deflate_chunk() appends to the deflate stream */
static size_t forge_rec_end[16];
static unsigned char forge_ts[16 * 10];
static size_t forge_ts_len;

static void forge_put(struct forge *fg, const void *p, size_t n)
{
	fg->buf = realloc(fg->buf, fg->len + n);
	if (!fg->buf)
		abort();
	memcpy(fg->buf + fg->len, p, n);
	fg->len += n;
}

static void forge_header(struct forge *fg)
{
	struct dump_file_header fh;

	memset(&fh, 0, sizeof(fh));
	memcpy(fh.magic, DUMP_MAGIC, DUMP_MAGIC_LEN);
	fh.version = (__u16)forge_v;
	fh.header_size = DUMP_HEADER_SIZE;
	fh.host = test_host();
	fh.crc = (__u32)crc32(0, (const Bytef *)&fh, DUMP_HEADER_SIZE - 4);
	fg->len = 0;
	forge_put(fg, &fh, sizeof(fh));
}

/* ch: fields as they should appear; the CRCs are computed here. */
static void forge_chunk(struct forge *fg, struct dump_chunk_header ch, const void *payload,
			size_t plen)
{
	ch.payload_crc = (__u32)crc32(0, payload, (uInt)plen);
	ch.header_crc = (__u32)crc32(0, (const Bytef *)&ch, 44);
	forge_put(fg, &ch, sizeof(ch));
	forge_put(fg, payload, plen);
}

/* A proper chunk of records [from, to) of s: what the writer would write
 * (version forge_v), uncompressed. */
static struct dump_chunk_header good_chunk(const struct stream *s, size_t from, size_t to,
					   __u32 seq, unsigned char *raw, size_t *raw_len)
{
	struct dump_chunk_header ch;
	struct dump_codec_state st;

	memset(&ch, 0, sizeof(ch));
	ch.magic = DUMP_CHUNK_MAGIC;
	ch.seq = seq;
	ch.codec = forge_v == 1 ? DUMP_CODEC_ZLIB : DUMP_CODEC_COMPACT;
	ch.ts_min = UINT64_MAX;
	*raw_len = 0;
	forge_ts_len = 0;
	dump_codec_reset(&st);
	for (size_t i = from; i < to; i++) {
		const struct ev_hdr *h = stream_rec(s, i);

		if (forge_v == 1) {
			memcpy(raw + *raw_len, h, h->size);
			*raw_len += h->size;
		} else {
			size_t ts_len;

			*raw_len += dump_encode(&st, h, raw + *raw_len, forge_ts + forge_ts_len, &ts_len);
			forge_ts_len += ts_len;
		}
		forge_rec_end[i - from] = *raw_len;
		ch.ts_min = h->ts < ch.ts_min ? h->ts : ch.ts_min;
		ch.ts_max = h->ts > ch.ts_max ? h->ts : ch.ts_max;
	}
	ch.raw_len = (__u32)*raw_len;
	ch.nevents = (__u32)(to - from);
	return ch;
}

/* v1: a zlib stream; v2: raw deflate */
static size_t deflate_buf(unsigned char *out, size_t cap, const unsigned char *in, size_t len)
{
	uLongf n = cap;
	z_stream zs;

	if (forge_v == 1) {
		if (compress2(out, &n, in, len, 1) != Z_OK)
			abort();
		return n;
	}
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	n = zs.total_out;
	deflateEnd(&zs);
	return n;
}

/* raw compressed into comp, its length in ch; returns that length */
static size_t deflate_chunk(struct dump_chunk_header *ch, unsigned char *comp, size_t cap,
			    const unsigned char *raw, size_t raw_len)
{
	size_t n = deflate_buf(comp, cap, raw, raw_len);

	if (forge_v != 1) {
		memcpy(comp + n, forge_ts, forge_ts_len);
		n += forge_ts_len;
	}
	ch->comp_len = (__u32)n;
	return n;
}

/* header + a good chunk of 3 records + whatever the case appends:
 * the 3 records must come out, then -1 at offset `at` with `msg`. */
static void expect_forged(struct forge *fg, const struct stream *s, __u64 at, const char *msg,
			  const char *label)
{
	char path[128];
	struct readback rb;

	tpath(path, sizeof(path), "forged.vgl");
	spit(path, fg->buf, fg->len);
	read_back(path, s, &rb);
	if (rb.open_rc || rb.rc != -1 || rb.n != 3 || !rb.match || rb.err_off != at ||
	    !strstr(rb.msg, msg)) {
		printf("# v%u %s: open %d rc %d n %zu off %llu (want %llu) \"%s\" (want \"%s\")\n",
		       forge_v, label, rb.open_rc, rb.rc, rb.n, (unsigned long long)rb.err_off,
		       (unsigned long long)at, rb.msg, msg);
		CHECK(0);
	}
}

static void forged_chunks(void)
{
	struct stream s = {0};
	struct forge fg = {0};
	unsigned char raw[8192] __attribute__((aligned(8))), comp[8192], big[16] = {0};
	struct dump_chunk_header ch, good;
	size_t raw_len, comp_len, base;

	make_mixed(&s, 10);
	for (size_t i = 0; i < s.n; i++)
		CHECK(stream_rec(&s, i)->size < 1000);

#define START()                                                                 \
	do {                                                                    \
		forge_header(&fg);                                              \
		good = good_chunk(&s, 0, 3, 0, raw, &raw_len);                  \
		comp_len = deflate_chunk(&good, comp, sizeof(comp), raw, raw_len); \
		forge_chunk(&fg, good, comp, comp_len);                         \
		base = fg.len;                                                  \
		ch = good_chunk(&s, 3, 6, 1, raw, &raw_len);                    \
		RECOMPRESS();                                                   \
	} while (0)
/* raw (edited) into comp, and ch says so */
#define RECOMPRESS() (comp_len = deflate_chunk(&ch, comp, sizeof(comp), raw, raw_len))
/* ch and comp after the good chunk, then the verdict on the file */
#define FORGED(msg, label)                                                      \
	do {                                                                    \
		forge_chunk(&fg, ch, comp, comp_len);                           \
		expect_forged(&fg, &s, base, msg, label);                       \
	} while (0)
/* a fresh file whose second chunk has one edit */
#define FORGE_CASE(edit, msg, label)                                            \
	do {                                                                    \
		START();                                                        \
		edit;                                                           \
		FORGED(msg, label);                                             \
	} while (0)

	/* lengths far beyond the limits: refused before any allocation */
	FORGE_CASE((ch.comp_len = 0xfffffff0u, ch.raw_len = 0xfffffff0u),
		   "compressed length 4294967280 beyond the limit", "huge");
	FORGE_CASE(ch.comp_len = DUMP_CHUNK_MAX + 1, "beyond the limit", "comp limit");
	FORGE_CASE(ch.raw_len = DUMP_CHUNK_RAW_MAX + 1, "raw length 4194305 beyond the limit", "raw limit");

	/* within the limits but the file ends: a bounded buffer, then truncation */
	FORGE_CASE(ch.comp_len = DUMP_CHUNK_MAX, "truncated at offset", "claims more than the file has");

	FORGE_CASE(ch.nevents = (__u32)(raw_len / (forge_v == 1 ? sizeof(struct ev_hdr) : DUMP_ENC_MIN) + 1),
		   "cannot fit", "too many events");
	FORGE_CASE(ch.nevents = 0, "cannot fit", "zero events");
	FORGE_CASE(ch.nevents = 2, "header says 2", "count mismatch");
	FORGE_CASE(ch.nevents = 4, "holds 3 events, header says 4", "count mismatch");
	FORGE_CASE(ch.raw_len -= 8, "decompresses to more than", "raw_len short");
	FORGE_CASE(ch.raw_len += 8, "decompressed to", "raw_len long");
	/* v2: the bytes after the deflate stream are timestamps, one per record */
	FORGE_CASE((memcpy(comp + comp_len, "junk", 4), ch.comp_len += 4, comp_len += 4),
		   forge_v == 1 ? "4 bytes after the end of its compressed data" :
		   "4 bytes after its records' timestamps", "junk after stream");
	FORGE_CASE((ch.comp_len -= 3, comp_len -= 3), forge_v == 1 ? "ends early" : "end early",
		   "stream cut inside");
	FORGE_CASE(memset(comp, 0xa5, comp_len), "bad compressed data", "not zlib");
	FORGE_CASE(ch.ts_max++, "time range", "ts range");
	FORGE_CASE(ch.ts_min = ch.ts_max + 1, "inverted", "ts inverted");
	FORGE_CASE(ch.seq = 7, "sequence number 7, expected 1", "seq");
	FORGE_CASE(ch.codec = 7, "codec 7", "codec");
	/* each version has its own codec */
	FORGE_CASE(ch.codec = forge_v == 1 ? DUMP_CODEC_COMPACT : DUMP_CODEC_ZLIB, "codec", "other codec");

	/* a record that ev_check() (v1) or the decoder (v2) refuses, in an
	 * otherwise perfect chunk */
	if (forge_v == 1)
		FORGE_CASE((((struct ev_hdr *)raw)->type = 99, RECOMPRESS()), "record 0 (byte 0 of",
			   "bad record type");
	else
		FORGE_CASE((raw[0] |= DUMP_TAG_TYPE, RECOMPRESS()), "record 0 (byte 0 of", "bad tag");
	if (forge_v != 1) {
		FORGE_CASE((raw[forge_rec_end[0]] |= DUMP_TAG_TASK, RECOMPRESS()), "record 1 (byte",
			   "task mode 3");
		/* the third record cut after its tag: it decodes from the zeros
		 * beyond the data, and is refused for running past its end */
		FORGE_CASE((raw_len = forge_rec_end[1] + 1, ch.raw_len = (__u32)raw_len, RECOMPRESS()),
			   "record 2 (byte", "encoding cut");
		FORGE_CASE((forge_ts_len = 0, RECOMPRESS()), "record 0 (byte 0 of",
			   "no timestamps");
		goto v1_records_done;
	}

	/* sizes no record can have, and a text length that disagrees */
	{
		static const struct {
			__u16 size;
			const char *msg;
		} sizes[] = {{600, "size does not fit"}, {8, "size does not fit"}, {0, "size does not fit"}};

		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
			FORGE_CASE((memcpy(raw + offsetof(struct ev_hdr, size), &sizes[i].size, sizeof(__u16)),
				    RECOMPRESS()), sizes[i].msg, "record size");
	}
	{
		struct stream ex = {0};
		size_t ex_len;
		__u16 bad_len;

		add_record(&ex, EV_EXEC, 7);
		add_record(&ex, EV_PROC, 8);
		for (int which = 0; which < 2; which++) {
			START();
			ch = good_chunk(&ex, 0, 2, 1, raw, &ex_len);
			raw_len = ex_len;
			memcpy(&bad_len, raw + (which ? stream_rec(&ex, 0)->size + 30 : 28), 2);
			bad_len = (__u16)(bad_len + 1);
			memcpy(raw + (which ? stream_rec(&ex, 0)->size + 30 : 28), &bad_len, 2);
			RECOMPRESS();
			FORGED(which ? "record 1 (byte" : "record 0 (byte", "cmdline_len");
		}
		stream_free(&ex);
	}

	/* last record's size runs past the end of the chunk's data */
	START();
	{
		size_t p = 0;
		__u16 size;

		for (int i = 0; i < 2; i++) {
			memcpy(&size, raw + p + offsetof(struct ev_hdr, size), sizeof(size));
			p += size;
		}
		raw_len = p + sizeof(struct ev_hdr);
		ch.raw_len = (__u32)raw_len;
		RECOMPRESS();
	}
	FORGED("runs past the end", "record cut");
v1_records_done:

	START();
	forge_put(&fg, "ABCD1234", 8);
	expect_forged(&fg, &s, base, "bad block magic", "garbage block");

	/* a trailer whose totals do not add up */
	START();
	{
		struct dump_trailer t;

		memset(&t, 0, sizeof(t));
		t.magic = DUMP_TRAILER_MAGIC;
		t.size = sizeof(t);
		t.events = 4;
		t.chunks = 1;
		t.ts_min = good.ts_min;
		t.ts_max = good.ts_max;
		t.offset = base;
		t.crc = (__u32)crc32(0, (const Bytef *)&t, 60);
		forge_put(&fg, &t, sizeof(t));
		expect_forged(&fg, &s, base, "events 4, the chunks have 3", "trailer totals");

		fg.len = base;
		t.events = 3;
		t.crc = (__u32)crc32(0, (const Bytef *)&t, 60);
		forge_put(&fg, &t, sizeof(t));
		forge_put(&fg, big, 1);
		expect_forged(&fg, &s, base + sizeof(t), "after the trailer", "data after trailer");
	}
#undef FORGE_CASE
#undef FORGED
#undef RECOMPRESS
#undef START
	free(fg.buf);
	stream_free(&s);
}

/* Version 2 as vigil writes it, and version 1, which it still reads */
static void test_forged_chunks(void)
{
	forge_v = DUMP_VERSION;
	forged_chunks();
	forge_v = 1;
	forged_chunks();
	forge_v = DUMP_VERSION;
}

/* ---- file creation rules ------------------------------------------------- */

static int try_open(const char *path, int force)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	char err[512] = "";
	int rc = dump_writer_open(&w, path, &h, force, err, sizeof(err));

	if (rc == 0)
		rc = dump_writer_close(w);
	else if (w != NULL || !err[0])
		rc = 12345; /* failures must say why and leave nothing behind */
	return rc;
}

static int file_is(const char *path, const char *content)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n >= 0 && !strcmp(buf, content);
}

static void test_file_safety(void)
{
	char path[128], target[128], slink[128], hard[128];
	struct stream s = {0};
	struct readback rb;
	struct stat st;
	mode_t old;

	tpath(path, sizeof(path), "mode.vgl");
	old = umask(0); /* a permissive umask must not widen the mode */
	CHECK(try_open(path, 0) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);
	unlink(path);
	umask(0277); /* nor a strict one make it unwritable */
	CHECK(try_open(path, 0) == 0);
	umask(old);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600);

	/* existing file: refused and left alone */
	tpath(target, sizeof(target), "precious");
	spit(target, "precious", 8);
	CHECK(try_open(target, 0) == -EEXIST);
	CHECK(file_is(target, "precious"));

	/* symlinks: refused with or without force, target untouched */
	tpath(slink, sizeof(slink), "link.vgl");
	CHECK(symlink(target, slink) == 0);
	CHECK(try_open(slink, 0) == -ELOOP);
	CHECK(try_open(slink, 1) == -ELOOP);
	CHECK(file_is(target, "precious"));
	unlink(slink);
	tpath(hard, sizeof(hard), "nowhere");
	CHECK(symlink(hard, slink) == 0); /* dangling */
	CHECK(try_open(slink, 1) == -ELOOP);
	CHECK(access(hard, F_OK) != 0);

	/* a hard link is replaced, never written through */
	tpath(hard, sizeof(hard), "hard.vgl");
	CHECK(link(target, hard) == 0);
	CHECK(try_open(hard, 1) == 0);
	CHECK(file_is(target, "precious"));

	/* force replaces a regular file: new content, mode 0600 */
	CHECK(chmod(target, 0644) == 0);
	CHECK(try_open(target, 1) == 0);
	CHECK(stat(target, &st) == 0 && (st.st_mode & 07777) == 0600);
	read_back(target, &s, &rb);
	CHECK(rb.open_rc == 0 && rb.rc == 0 && rb.trailer);

	/* not a regular file */
	tpath(path, sizeof(path), "adir");
	CHECK(mkdir(path, 0700) == 0);
	CHECK(try_open(path, 1) == -EINVAL);
	CHECK(try_open(path, 0) == -EEXIST);
	rmdir(path);

	tpath(path, sizeof(path), "no/such/dir.vgl");
	CHECK(try_open(path, 0) == -ENOENT);
}

/* Chunk sizes out of range are refused and the writer goes on with the
 * one it has.  (Bad records never reach the writer: decode.c's ev_check is
 * the gate before it; the reader's refusals are the damaged-dump cases.) */
static void test_bad_chunk_size_refused(void)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	struct stream s = {0};
	struct readback rb;
	char path[128], err[256];

	tpath(path, sizeof(path), "refuse.vgl");
	make_mixed(&s, 40);
	CHECK(dump_writer_open(&w, path, &h, 0, err, sizeof(err)) == 0);
	CHECK(dump_writer_set_chunk_size(w, 100) == -EINVAL);
	CHECK(dump_writer_set_chunk_size(w, DUMP_CHUNK_RAW_MAX + 1) == -EINVAL);
	CHECK(dump_writer_set_chunk_size(w, 1024) == 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(dump_writer_add(w, stream_rec(&s, i)) == 0);
	CHECK_EQ_U64(dump_writer_events(w), s.n);
	CHECK(dump_writer_close(w) == 0);
	read_back(path, &s, &rb);
	CHECK(rb.rc == 0 && rb.n == s.n && rb.match);
	stream_free(&s);
}

/* What tracing learns after the file exists still reaches the header. */
static void test_set_host(void)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	struct stream s = {0};
	struct readback rb;
	char path[128], err[256];

	tpath(path, sizeof(path), "sethost.vgl");
	make_mixed(&s, 20);
	h.pf_source = PF_SRC_NONE;
	h.ringbuf_size = 0;
	CHECK(dump_writer_open(&w, path, &h, 0, err, sizeof(err)) == 0);
	h.pf_source = PF_SRC_TRACEPOINT;
	h.ringbuf_size = 1u << 22;
	CHECK(dump_writer_set_host(w, &h) == 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(dump_writer_add(w, stream_rec(&s, i)) == 0);
	CHECK(dump_writer_set_host(w, &h) == 0); /* nothing written yet */
	CHECK(dump_writer_flush(w) == 0);
	CHECK(dump_writer_set_host(w, &h) == -EBUSY);
	CHECK(dump_writer_close(w) == 0);
	read_back(path, &s, &rb);
	CHECK(rb.rc == 0 && rb.n == s.n && rb.match);
	CHECK_EQ_U64(rb.host.pf_source, PF_SRC_TRACEPOINT);
	CHECK_EQ_U64(rb.host.ringbuf_size, 1u << 22);
	CHECK_STR(rb.host.hostname, "testbox");
	stream_free(&s);
}

/* ---- write failures ---------------------------------------------------- */

struct fsize_guard {
	struct rlimit old;
	struct sigaction old_sa;
};

/* No CHECK() between limit and unlimit: the test's own output may go to a
 * file that the limit would cut off too. */
static void limit_file_size(struct fsize_guard *g, rlim_t bytes)
{
	struct sigaction sa;
	struct rlimit rl;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN; /* EFBIG from write() instead of a signal */
	sigaction(SIGXFSZ, &sa, &g->old_sa);
	getrlimit(RLIMIT_FSIZE, &g->old);
	rl = g->old;
	rl.rlim_cur = bytes;
	fflush(stdout);
	if (setrlimit(RLIMIT_FSIZE, &rl))
		abort();
}

static void unlimit_file_size(struct fsize_guard *g)
{
	setrlimit(RLIMIT_FSIZE, &g->old);
	sigaction(SIGXFSZ, &g->old_sa, NULL);
}

static void test_disk_full(void)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	struct stream s = {0};
	struct readback rb;
	struct fsize_guard g;
	struct stat st;
	char path[128], err[256], msg[512], want[128];
	size_t in_file = 0, i;
	int rc = 0, rc2, rc3, rc4;
	__u64 bytes;

	tpath(path, sizeof(path), "full.vgl");
	make_mixed(&s, 2000);
	CHECK(dump_writer_open(&w, path, &h, 0, err, sizeof(err)) == 0);
	CHECK(dump_writer_set_chunk_size(w, 1024) == 0);

	limit_file_size(&g, 8000);
	for (i = 0; i < s.n; i++) {
		__u64 before = dump_writer_bytes(w);

		rc = dump_writer_add(w, stream_rec(&s, i));
		if (rc)
			break;
		if (dump_writer_bytes(w) != before)
			in_file = i;
	}
	unlimit_file_size(&g);
	/* the error sticks even once the disk has room again: going on would
	 * leave a silent hole where the lost chunk was */
	rc2 = dump_writer_add(w, stream_rec(&s, 0));
	rc3 = dump_writer_flush(w);
	rc4 = dump_writer_finish(w);

	snprintf(msg, sizeof(msg), "%s", dump_writer_error(w));
	bytes = dump_writer_bytes(w);
	CHECK(rc == -EFBIG);
	CHECK(rc2 == -EFBIG && rc3 == -EFBIG && rc4 == -EFBIG);
	CHECK(strstr(msg, "write to ") && strstr(msg, "failed at offset") &&
	      strstr(msg, strerror(EFBIG)));
	CHECK(in_file > 100 && i < s.n);
	CHECK(dump_writer_close(w) == -EFBIG);
	/* the torn chunk was cut off again: the file ends on a chunk boundary */
	CHECK(stat(path, &st) == 0 && (__u64)st.st_size == bytes && bytes <= 8000);
	read_back(path, &s, &rb);
	snprintf(want, sizeof(want), "truncated at offset %llu (no trailer", (unsigned long long)bytes);
	CHECK(rb.open_rc == 0 && rb.rc == -1 && !rb.trailer);
	CHECK_EQ_U64(rb.n, in_file);
	CHECK(rb.match);
	CHECK(strstr(rb.msg, want));
	CHECK_EQ_U64(rb.err_off, bytes);
	stream_free(&s);
}

/* The disk fills up exactly when the trailer is due: every chunk stays. */
static void test_disk_full_at_trailer(void)
{
	struct dump_host h = test_host();
	struct dump_writer *w;
	struct stream s = {0};
	struct readback rb;
	struct fsize_guard g;
	char path[128], err[256];
	__u64 bytes;
	int rc;

	tpath(path, sizeof(path), "full-trailer.vgl");
	make_mixed(&s, 300);
	CHECK(dump_writer_open(&w, path, &h, 0, err, sizeof(err)) == 0);
	for (size_t i = 0; i < s.n; i++)
		CHECK(dump_writer_add(w, stream_rec(&s, i)) == 0);
	CHECK(dump_writer_flush(w) == 0);
	bytes = dump_writer_bytes(w);
	limit_file_size(&g, bytes + 10);
	rc = dump_writer_finish(w);
	unlimit_file_size(&g);
	CHECK(rc == -EFBIG);
	CHECK(strstr(dump_writer_error(w), "trailer lost"));
	CHECK(dump_writer_close(w) == -EFBIG);
	read_back(path, &s, &rb);
	CHECK(rb.rc == -1 && rb.n == s.n && rb.match && rb.err_off == bytes);
	stream_free(&s);
}

/* ---- size and speed ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Scheduler traffic through the default settings: several full chunks, and
 * a ratio that proves the payload is compressed (40-byte records). */
static void test_sched_stream_size(void)
{
	struct stream s = {0};
	struct layout l;
	struct readback rb;
	char path[128];
	double t0, t1, bpe;

	tpath(path, sizeof(path), "sched.vgl");
	make_sched(&s, 200000);
	t0 = now_s();
	CHECK(write_stream(path, &s, 0, &l) == 0);
	t1 = now_s();
	CHECK(l.nb >= 4);
	read_back(path, &s, &rb);
	CHECK(rb.rc == 0 && rb.n == s.n && rb.match);
	bpe = (double)l.size / (double)s.n;
	printf("# sched stream: %zu events, %llu bytes, %.2f bytes/event, writer %.0f events/s "
	       "(this build)\n", s.n, (unsigned long long)l.size, bpe, (double)s.n / (t1 - t0));
	CHECK(bpe < 20.0);
	layout_free(&l);
	stream_free(&s);
}

static void test_host_init(void)
{
	struct dump_host h;

	memset(&h, 0xff, sizeof(h));
	CHECK(dump_host_init(&h) == 0);
	CHECK(h.kernel[0] && memchr(h.kernel, 0, sizeof(h.kernel)));
	CHECK(h.arch[0] && memchr(h.arch, 0, sizeof(h.arch)));
	CHECK(memchr(h.hostname, 0, sizeof(h.hostname)));
	CHECK(h.ncpus > 0 && h.page_size >= 4096);
	CHECK(h.mono_ns > 0 && h.real_ns > 1500000000ULL * 1000000000ULL);
	CHECK(h.pf_source == 0 && h.ringbuf_size == 0);
#if defined(__x86_64__)
	CHECK_STR(h.arch, "x86");
#elif defined(__aarch64__)
	CHECK_STR(h.arch, "arm64");
#endif
}

static int rm_entry(const char *dir, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return unlink(p);
}

static void cleanup(void)
{
	static const char *const names[] = {
		"roundtrip.vgl", "layout.vgl", "empty-rec.vgl", "cut.vgl", "flip.vgl", "hdr.vgl",
		"hdr-bad.vgl", "forged.vgl", "mode.vgl", "precious", "link.vgl", "hard.vgl",
		"refuse.vgl", "sethost.vgl", "full.vgl", "full-trailer.vgl", "sched.vgl",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		rm_entry(tmpdir, names[i]);
	if (rmdir(tmpdir))
		printf("# could not remove %s: %s\n", tmpdir, strerror(errno));
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-test-dump.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		printf("FAIL setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(test_round_trip);
	RUN(test_layout_as_documented);
	RUN(test_empty_recording);
	RUN(test_truncate_every_byte);
	RUN(test_bit_flips);
	RUN(test_bad_headers);
	RUN(test_forged_chunks);
	RUN(test_file_safety);
	RUN(test_bad_chunk_size_refused);
	RUN(test_set_host);
	RUN(test_disk_full);
	RUN(test_disk_full_at_trailer);
	RUN(test_sched_stream_size);
	RUN(test_host_init);
	cleanup();
	CHECK_DONE();
}
