// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dump writer.  Records are encoded as they arrive (dump_codec.h: ~4x
 * smaller, and deflate's cost grows with its input) into the pending chunk:
 * fields in one buffer, timestamps in another.  A full (or flushed) chunk's
 * fields are deflated, its timestamps appended as they are, and header +
 * payload, assembled in one buffer, are appended with one write loop.  The
 * file therefore only ever grows by whole chunks, and
 * whatever a crash or a full disk interrupts is a torn last chunk that the
 * reader recognises as truncation.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "dump_codec.h"
#include "dump_write.h"
#include "clock.h"

/* Level 1, zlib's fastest.  On the encoded fields of real dumps (sched pipe,
 * sched messaging, 400k mmap/s) repeats cost deflate almost nothing at any
 * fast level, and on varied streams level 1 is the cheapest; level 6 would
 * save 2-11 % of the file for 3-5 times the CPU, and Z_HUFFMAN_ONLY / Z_RLE
 * are slower (deflate's cost follows the symbols it emits, and without
 * matches every byte is one) and bigger (docs/dump-format.md). */
#define DUMP_ZLIB_LEVEL 1
/* Raw deflate (RFC 1951): no zlib header and, above all, no adler32 pass
 * over the data: the chunk's CRC-32 already protects every stored byte. */
#define DUMP_ZLIB_WBITS (-15)

struct dump_writer {
	int fd;
	char *path;
	struct dump_host host; /* as in the header */
	z_stream zs;
	int zs_ready;

	unsigned char *enc; /* pending records' fields, encoded */
	unsigned char *ts;  /* ... and their timestamps */
	size_t enc_len, ts_len, enc_cap; /* enc_len + ts_len <= enc_cap */
	size_t rec_bytes;   /* their size as records: what chunk_size limits */
	struct dump_codec_state codec;
	unsigned char *out; /* chunk header + compressed payload */
	size_t out_cap;
	size_t chunk_size;

	__u32 chunk_events;
	__u64 chunk_ts_min, chunk_ts_max, chunk_lost;

	__u64 offset; /* bytes in the file, all of them complete */
	__u64 events; /* accepted, pending included */
	/* totals of the chunks in the file, for the trailer */
	__u64 written_events;
	__u64 chunks;
	__u64 lost;
	__u64 ts_min, ts_max;

	int err;      /* sticky I/O error, -errno */
	int finished;
	int finish_rc;
	char msg[512];
};

static int set_msg(struct dump_writer *w, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_msg(struct dump_writer *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* I/O errors stick: after one, the file's tail is unknown and appending more
 * chunks behind a hole would produce a file that lies about what it holds. */
static int fail_io(struct dump_writer *w, int err)
{
	w->err = err;
	return err;
}

/* ---- host description ------------------------------------------------- */

static void copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strnlen(src, dstlen - 1);

	memset(dst, 0, dstlen);
	memcpy(dst, src, n);
}

static const char *arch_name(const char *machine)
{
	if (!strcmp(machine, "x86_64"))
		return "x86";
	if (!strcmp(machine, "aarch64") || !strcmp(machine, "arm64"))
		return "arm64";
	return machine;
}

/* Realtime read between two monotonic reads; of a few tries keep the
 * tightest bracket, so a preemption between the reads cannot skew the
 * mapping by more than the best bracket's width. */
static void sample_clocks(struct dump_host *h)
{
	__u64 best = UINT64_MAX;

	for (int i = 0; i < 5; i++) {
		__u64 m0 = clock_ns(CLOCK_MONOTONIC);
		__u64 r = clock_ns(CLOCK_REALTIME);
		__u64 m1 = clock_ns(CLOCK_MONOTONIC);

		if (m1 - m0 < best) {
			best = m1 - m0;
			h->mono_ns = m0 + (m1 - m0) / 2;
			h->real_ns = r;
		}
	}
}

int dump_host_init(struct dump_host *h)
{
	struct utsname u;
	long ncpus, page;

	memset(h, 0, sizeof(*h));
	if (uname(&u))
		return -errno;
	copy_str(h->kernel, sizeof(h->kernel), u.release);
	copy_str(h->arch, sizeof(h->arch), arch_name(u.machine));
	copy_str(h->hostname, sizeof(h->hostname), u.nodename);
	/* configured, not online: BPF numbers CPUs over the possible range */
	ncpus = sysconf(_SC_NPROCESSORS_CONF);
	page = sysconf(_SC_PAGESIZE);
	h->ncpus = ncpus > 0 ? (__u32)ncpus : 0;
	h->page_size = page > 0 ? (__u32)page : 0;
	sample_clocks(h);
	return 0;
}

/* ---- low-level output ------------------------------------------------- */

/* Writes all of buf, riding out short writes and EINTR.  *done tells how far
 * it got, so an error message can name the exact offset. */
static int write_all(int fd, const void *buf, size_t len, size_t *done)
{
	const unsigned char *p = buf;

	*done = 0;
	while (*done < len) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* a regular file never does this; do not spin */
		*done += (size_t)n;
	}
	return 0;
}

/* Appends one complete block (header, chunk or trailer) or nothing usable:
 * on failure the torn tail is cut off again (best effort) so the file ends
 * on a block boundary and its length says how much is good.  The file
 * position stays past that end, which is harmless only because the error
 * sticks and nothing is written after it. */
static int append(struct dump_writer *w, const void *buf, size_t len, const char *what)
{
	size_t done;
	int err = write_all(w->fd, buf, len, &done);

	if (!err) {
		w->offset += len;
		return 0;
	}
	if (done && ftruncate(w->fd, (off_t)w->offset) == 0)
		done = 0;
	set_msg(w, err,
		"write to %s failed at offset %llu: %s (%s lost; the file holds %llu complete "
		"chunks, %llu events, up to offset %llu)",
		w->path, (unsigned long long)(w->offset + done), strerror(-err), what,
		(unsigned long long)w->chunks, (unsigned long long)w->written_events,
		(unsigned long long)w->offset);
	return fail_io(w, err);
}

/* ---- chunks ------------------------------------------------------------ */

static void reset_chunk(struct dump_writer *w)
{
	w->enc_len = w->ts_len = 0;
	w->rec_bytes = 0;
	dump_codec_reset(&w->codec); /* every chunk decodes on its own */
	w->chunk_events = 0;
	w->chunk_ts_min = UINT64_MAX;
	w->chunk_ts_max = 0;
	w->chunk_lost = 0;
}

static int compress_chunk(struct dump_writer *w, size_t *comp_len)
{
	const size_t hdr = sizeof(struct dump_chunk_header);
	int rc;

	/* one stream reused for every chunk: deflateInit allocates ~256 KiB
	 * of state, deflateReset does not */
	deflateReset(&w->zs);
	w->zs.next_in = w->enc;
	w->zs.avail_in = (uInt)w->enc_len;
	w->zs.next_out = w->out + hdr;
	w->zs.avail_out = (uInt)(w->out_cap - hdr);
	rc = deflate(&w->zs, Z_FINISH);
	if (rc != Z_STREAM_END)
		return set_msg(w, -EIO, "compressing chunk %llu failed: zlib error %d",
			       (unsigned long long)w->chunks, rc);
	/* the timestamps follow the deflate stream, stored as they are: they
	 * would compress little and cost deflate most of its time */
	memcpy(w->out + hdr + w->zs.total_out, w->ts, w->ts_len);
	*comp_len = w->zs.total_out + w->ts_len;
	return 0;
}

static int write_chunk(struct dump_writer *w)
{
	struct dump_chunk_header ch;
	size_t comp_len = 0;
	char what[64];
	int err;

	err = compress_chunk(w, &comp_len);
	if (err)
		return fail_io(w, err);
	memset(&ch, 0, sizeof(ch));
	ch.magic = DUMP_CHUNK_MAGIC;
	ch.seq = (__u32)w->chunks;
	ch.comp_len = (__u32)comp_len;
	ch.raw_len = (__u32)w->enc_len;
	ch.nevents = w->chunk_events;
	ch.codec = DUMP_CODEC_COMPACT;
	ch.ts_min = w->chunk_ts_min;
	ch.ts_max = w->chunk_ts_max;
	ch.payload_crc = (__u32)crc32(0, w->out + sizeof(ch), (uInt)comp_len);
	ch.header_crc = (__u32)crc32(0, (const Bytef *)&ch, offsetof(struct dump_chunk_header, header_crc));
	memcpy(w->out, &ch, sizeof(ch));

	snprintf(what, sizeof(what), "chunk %llu with %u events", (unsigned long long)w->chunks,
		 w->chunk_events);
	err = append(w, w->out, sizeof(ch) + comp_len, what);
	if (err)
		return err;
	w->chunks++;
	w->written_events += w->chunk_events;
	w->lost += w->chunk_lost;
	if (w->chunk_ts_min < w->ts_min)
		w->ts_min = w->chunk_ts_min;
	if (w->chunk_ts_max > w->ts_max)
		w->ts_max = w->chunk_ts_max;
	reset_chunk(w);
	return 0;
}

int dump_writer_flush(struct dump_writer *w)
{
	if (w->err)
		return w->err;
	if (!w->chunk_events)
		return 0;
	return write_chunk(w);
}

/* Grows the buffers to fit chunks of `size` bytes of records; never
 * shrinks, so a running writer does not allocate again.  Their encoding
 * (fields and timestamps together) is at most twice that, and never more
 * than a reader accepts. */
static int reserve(struct dump_writer *w, size_t size)
{
	size_t enc = DUMP_ENC_MAX(size) < DUMP_CHUNK_RAW_MAX ? DUMP_ENC_MAX(size) : DUMP_CHUNK_RAW_MAX;
	size_t out_need = sizeof(struct dump_chunk_header) + deflateBound(&w->zs, (uLong)enc) + enc;
	unsigned char *p;

	if (enc > w->enc_cap) {
		p = realloc(w->enc, enc);
		if (!p)
			return -ENOMEM;
		w->enc = p;
		p = realloc(w->ts, enc);
		if (!p)
			return -ENOMEM;
		w->ts = p;
		w->enc_cap = enc;
	}
	if (out_need > w->out_cap) {
		p = realloc(w->out, out_need);
		if (!p)
			return -ENOMEM;
		w->out = p;
		w->out_cap = out_need;
	}
	return 0;
}

int dump_writer_set_chunk_size(struct dump_writer *w, size_t raw_bytes)
{
	int err;

	if (w->err)
		return w->err;
	if (raw_bytes < VIGIL_REC_MAX || raw_bytes > DUMP_CHUNK_RAW_MAX)
		return set_msg(w, -EINVAL, "chunk size %zu out of range (%u..%u bytes)", raw_bytes,
			       (unsigned)VIGIL_REC_MAX, DUMP_CHUNK_RAW_MAX);
	err = dump_writer_flush(w);
	if (err)
		return err;
	err = reserve(w, raw_bytes);
	if (err)
		return set_msg(w, err, "cannot allocate buffers for %zu-byte chunks", raw_bytes);
	w->chunk_size = raw_bytes;
	return 0;
}

/* ---- records ----------------------------------------------------------- */

int dump_writer_add(struct dump_writer *w, const void *rec)
{
	struct ev_hdr h;
	size_t size, ts_len;
	int err;

	if (w->err)
		return w->err;
	if (w->finished)
		return set_msg(w, -EINVAL, "record added after the dump was finished");
	/* decode.c is the one gate: every record here came through it (the
	 * ring buffer's reader, a dump's reader), so hdr.size is trusted */
	memcpy(&h, rec, sizeof(h));
	size = h.size;
	if (w->rec_bytes + size > w->chunk_size ||
	    w->enc_len + w->ts_len + DUMP_ENC_MAX(size) > w->enc_cap) {
		err = write_chunk(w);
		if (err)
			return err;
	}
	w->enc_len += dump_encode(&w->codec, rec, w->enc + w->enc_len, w->ts + w->ts_len, &ts_len);
	w->ts_len += ts_len;
	w->rec_bytes += size;
	w->chunk_events++;
	w->events++;
	if (h.ts < w->chunk_ts_min)
		w->chunk_ts_min = h.ts;
	if (h.ts > w->chunk_ts_max)
		w->chunk_ts_max = h.ts;
	if (h.type == EV_LOST) {
		__u64 count;

		memcpy(&count, (const char *)rec + offsetof(struct ev_lost, count), sizeof(count));
		w->chunk_lost += count;
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------ */

/* With force, an existing regular file is unlinked rather than truncated:
 * truncating would write through a hard link into whatever file it names,
 * and would keep the old file's owner and mode. */
static int clear_path(const char *path, int force, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(errno));
		return -errno;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link; refusing to write a dump through it", path);
		return -ELOOP;
	}
	if (!force) {
		snprintf(err, errlen, "%s already exists (use --force to replace it)", path);
		return -EEXIST;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a regular file; refusing to replace it",
			 path);
		return -EINVAL;
	}
	if (unlink(path) && errno != ENOENT) {
		snprintf(err, errlen, "cannot replace %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int create_file(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		int e = errno;

		if (e == EEXIST)
			snprintf(err, errlen, "%s appeared while it was being created; refusing to use it",
				 path);
		else
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
		return -e;
	}
	/* the umask may only remove bits; make the mode exactly 0600 */
	if (fchmod(fd, 0600)) {
		int e = errno;

		snprintf(err, errlen, "cannot set mode 0600 on %s: %s", path, strerror(e));
		close(fd);
		unlink(path);
		return -e;
	}
	return fd;
}

static void encode_header(struct dump_file_header *fh, const struct dump_host *host)
{
	memset(fh, 0, sizeof(*fh));
	memcpy(fh->magic, DUMP_MAGIC, DUMP_MAGIC_LEN);
	fh->version = DUMP_VERSION;
	fh->header_size = DUMP_HEADER_SIZE;
	fh->flags = 0;
	fh->host = *host;
	/* a caller's stray bytes after a string's NUL must not land in the file */
	copy_str(fh->host.kernel, sizeof(fh->host.kernel), host->kernel);
	copy_str(fh->host.arch, sizeof(fh->host.arch), host->arch);
	copy_str(fh->host.hostname, sizeof(fh->host.hostname), host->hostname);
	fh->crc = (__u32)crc32(0, (const Bytef *)fh, offsetof(struct dump_file_header, crc));
}

int dump_writer_set_sources(struct dump_writer *w, unsigned sources)
{
	struct dump_host h = w->host;

	h.sources = sources;
	return dump_writer_set_host(w, &h);
}

int dump_writer_set_host(struct dump_writer *w, const struct dump_host *host)
{
	struct dump_file_header fh;
	const unsigned char *p = (const unsigned char *)&fh;
	size_t done = 0;

	if (w->err)
		return w->err;
	if (w->chunks || w->offset != sizeof(fh))
		return set_msg(w, -EBUSY, "host description of %s can no longer change: chunks "
			       "were written", w->path);
	encode_header(&fh, host);
	w->host = *host;
	while (done < sizeof(fh)) {
		ssize_t n = pwrite(w->fd, p + done, sizeof(fh) - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			set_msg(w, err, "rewriting the header of %s failed at offset %zu: %s", w->path,
				done, strerror(-err));
			return fail_io(w, err); /* the header may be torn now */
		}
		done += (size_t)n;
	}
	return 0;
}

static void free_writer(struct dump_writer *w)
{
	if (w->zs_ready)
		deflateEnd(&w->zs);
	free(w->enc);
	free(w->ts);
	free(w->out);
	free(w->path);
	free(w);
}

static int init_writer(struct dump_writer *w, const char *path, const struct dump_host *host)
{
	struct dump_file_header fh;
	int err;

	w->path = strdup(path);
	if (!w->path)
		return set_msg(w, -ENOMEM, "out of memory");
	if (deflateInit2(&w->zs, DUMP_ZLIB_LEVEL, Z_DEFLATED, DUMP_ZLIB_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return set_msg(w, -ENOMEM, "cannot initialise zlib");
	w->zs_ready = 1;
	w->ts_min = UINT64_MAX;
	reset_chunk(w);
	err = dump_writer_set_chunk_size(w, DUMP_CHUNK_DEFAULT);
	if (err)
		return err;
	encode_header(&fh, host);
	w->host = *host;
	return append(w, &fh, sizeof(fh), "file header");
}

int dump_writer_open(struct dump_writer **out, const char *path, const struct dump_host *host,
		     int force, char *err, size_t errlen)
{
	struct dump_writer *w;
	int fd, rc;

	*out = NULL;
	rc = clear_path(path, force, err, errlen);
	if (rc)
		return rc;
	fd = create_file(path, err, errlen);
	if (fd < 0)
		return fd;
	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		unlink(path);
		return -ENOMEM;
	}
	w->fd = fd;
	rc = init_writer(w, path, host);
	if (rc) {
		snprintf(err, errlen, "%s", w->msg);
		close(fd);
		unlink(path); /* ours (O_EXCL) and useless without a header */
		free_writer(w);
		return rc;
	}
	*out = w;
	return 0;
}

static int write_trailer(struct dump_writer *w)
{
	struct dump_trailer t;

	memset(&t, 0, sizeof(t));
	t.magic = DUMP_TRAILER_MAGIC;
	t.size = sizeof(t);
	t.events = w->written_events;
	t.chunks = w->chunks;
	t.lost = w->lost;
	t.ts_min = w->written_events ? w->ts_min : 0;
	t.ts_max = w->written_events ? w->ts_max : 0;
	t.offset = w->offset;
	t.crc = (__u32)crc32(0, (const Bytef *)&t, offsetof(struct dump_trailer, crc));
	return append(w, &t, sizeof(t), "trailer");
}

static int do_finish(struct dump_writer *w)
{
	int err = dump_writer_flush(w);

	if (err)
		return err;
	err = write_trailer(w);
	if (err)
		return err;
	/* without this a power loss could leave the trailer on disk ahead of
	 * chunks it vouches for; a crash of vigil alone needs no fsync */
	if (fsync(w->fd)) {
		err = -errno;
		set_msg(w, err, "fsync of %s failed: %s", w->path, strerror(-err));
		return fail_io(w, err);
	}
	return 0;
}

int dump_writer_finish(struct dump_writer *w)
{
	if (!w->finished) {
		w->finish_rc = w->err ? w->err : do_finish(w);
		w->finished = 1;
	}
	return w->finish_rc;
}

int dump_writer_close(struct dump_writer *w)
{
	int rc;

	if (!w)
		return 0;
	rc = dump_writer_finish(w);
	if (close(w->fd) && !rc)
		rc = -errno; /* e.g. NFS reporting a deferred write error */
	free_writer(w);
	return rc;
}

unsigned long long dump_writer_bytes(const struct dump_writer *w)
{
	return w->offset;
}

unsigned long long dump_writer_events(const struct dump_writer *w)
{
	return w->events;
}

const char *dump_writer_error(const struct dump_writer *w)
{
	return w->msg;
}
