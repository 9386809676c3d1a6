// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Dump reader.  The file is read front to back with read(): it may be many
 * GB, or a pipe.  Every length in it is checked against a fixed limit before
 * anything is allocated, every chunk is verified whole (header CRC, payload
 * CRC, exact decompressed length, every record decoded and through
 * ev_check(), event count and time range) before its first record is handed
 * out, and the first block that fails ends the stream with a message naming
 * its offset.  Reads format versions 1 (raw records in zlib streams) and 2
 * (records encoded by dump_codec.h: fields in a raw deflate stream, then
 * timestamps).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "decode.h"
#include "dump_codec.h"
#include "dump_read.h"

/* The fuzz target (tests/fuzz) builds with libFuzzer's conventional macro:
 * there a CRC mismatch is not fatal, so that mutated inputs reach the
 * decoder, the model and the report instead of stopping at the checksum.
 * Never defined in vigil itself. */
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
#define CRC_IGNORED 1
#else
#define CRC_IGNORED 0
#endif

enum rd_state { RD_READING, RD_END, RD_FAILED };

struct dump_reader {
	int fd;
	struct dump_host host;
	unsigned version;
	unsigned flags;
	__u64 offset; /* start of the next block */

	z_stream zs;
	int zs_ready;
	unsigned char *comp; /* payload of the current chunk */
	size_t comp_cap;
	size_t ts_off, ts_len; /* v2: its timestamps, after the deflate stream */
	unsigned char *raw; /* decompressed: v1 records, v2 their encoding */
	size_t raw_cap, raw_len, raw_pos;
	unsigned char *dec; /* v2: the records decoded, each 8-byte aligned */
	size_t dec_cap, dec_pos;
	__u32 left; /* records of the current chunk not yet returned */

	/* v1 records are packed back to back, so most sit misaligned in raw;
	 * each is copied here before it is looked at as a struct */
	union {
		struct ev_hdr h;
		__u64 align;
		unsigned char b[VIGIL_REC_MAX];
	} rec;

	struct dump_totals totals;
	enum rd_state state;
	int has_trailer;
	__u64 err_off;
	char msg[512];
};

static int fail(struct dump_reader *r, __u64 off, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct dump_reader *r, __u64 off, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err_off = off;
	r->state = RD_FAILED;
	return -1;
}

/* Reads up to len bytes, stopping early only at end of file.  Returns the
 * count or -errno. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, p + done, len - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* 1: all len bytes read; 0: the file ended first, *got says after how many;
 * -1: read error (reader failed).  at = file offset of buf[0]; the error
 * offset is still the block's start, like every other error's. */
static int read_exact(struct dump_reader *r, void *buf, size_t len, __u64 at, size_t *got)
{
	ssize_t n = read_full(r->fd, buf, len);

	*got = 0;
	if (n < 0)
		return fail(r, r->offset, "read failed at offset %llu: %s", (unsigned long long)at,
			    strerror((int)-n));
	*got = (size_t)n;
	return *got == len;
}

static int truncated(struct dump_reader *r, size_t partial)
{
	if (!partial)
		return fail(r, r->offset,
			    "truncated at offset %llu (no trailer: recording was cut short)",
			    (unsigned long long)r->offset);
	return fail(r, r->offset,
		    "truncated at offset %llu (no trailer: recording was cut short); "
		    "%zu bytes of an incomplete block follow",
		    (unsigned long long)r->offset, partial);
}

/* ---- file header ------------------------------------------------------- */

static int open_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int open_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void terminate(char *s, size_t len)
{
	s[len - 1] = '\0';
}

/* Checked in the order that lets each message be right: magic first (is it
 * a dump at all), then version (a newer version may lay out the rest
 * differently, so its size and CRC mean nothing to us), then the rest. */
static int read_header(struct dump_reader *r, const char *path, char *err, size_t errlen)
{
	unsigned char buf[DUMP_HEADER_MAX];
	const size_t fixed = offsetof(struct dump_file_header, host);
	struct dump_file_header fh;
	__u16 version, hsize;
	__u32 stored, crc;
	ssize_t n;

	n = read_full(r->fd, buf, fixed);
	if (n < 0)
		return open_fail(err, errlen, "cannot read %s: %s", path, strerror((int)-n));
	if (n == 0)
		return open_fail(err, errlen, "%s is empty: no dump header at offset 0", path);
	if (memcmp(buf, DUMP_MAGIC, (size_t)n < DUMP_MAGIC_LEN ? (size_t)n : DUMP_MAGIC_LEN))
		return open_fail(err, errlen, "%s is not a vigil dump (bad magic at offset 0)", path);
	if ((size_t)n < fixed)
		return open_fail(err, errlen, "%s: header truncated at offset %zd (file too short)",
				 path, n);
	memcpy(&version, buf + offsetof(struct dump_file_header, version), sizeof(version));
	memcpy(&hsize, buf + offsetof(struct dump_file_header, header_size), sizeof(hsize));
	if (version > DUMP_VERSION)
		return open_fail(err, errlen,
				 "%s: dump format version %u is newer than this vigil supports "
				 "(version %u); read it with a newer vigil",
				 path, version, DUMP_VERSION);
	if (version == 0)
		return open_fail(err, errlen, "%s: invalid dump format version 0 at offset %zu", path,
				 offsetof(struct dump_file_header, version));
	if (hsize < DUMP_HEADER_SIZE || hsize > DUMP_HEADER_MAX)
		return open_fail(err, errlen,
				 "%s: invalid header size %u at offset %zu (must be %u..%u)", path,
				 hsize, offsetof(struct dump_file_header, header_size),
				 DUMP_HEADER_SIZE, DUMP_HEADER_MAX);
	n = read_full(r->fd, buf + fixed, hsize - fixed);
	if (n < 0)
		return open_fail(err, errlen, "cannot read %s: %s", path, strerror((int)-n));
	if ((size_t)n < hsize - fixed)
		return open_fail(err, errlen,
				 "%s: header truncated at offset %zu (file too short for its %u-byte "
				 "header)", path, fixed + (size_t)n, hsize);
	memcpy(&stored, buf + hsize - 4, sizeof(stored));
	crc = (__u32)crc32(0, buf, hsize - 4u);
	if (stored != crc && !CRC_IGNORED)
		return open_fail(err, errlen,
				 "%s: header damaged: CRC mismatch at offset %u (stored 0x%08x, "
				 "computed 0x%08x)", path, hsize - 4u, stored, crc);
	memcpy(&fh, buf, sizeof(fh));
	if (fh.flags & DUMP_FLAGS_REQUIRED_MASK & ~DUMP_FLAGS_KNOWN)
		return open_fail(err, errlen,
				 "%s: header flags 0x%08x at offset %zu need features this vigil "
				 "does not have", path, fh.flags,
				 offsetof(struct dump_file_header, flags));
	if (fh.host.mono_ns >= DUMP_TS_LIMIT)
		return open_fail(err, errlen,
				 "%s: header start time %llu ns at offset %zu is beyond any monotonic "
				 "clock (limit 2^62 ns)", path, (unsigned long long)fh.host.mono_ns,
				 offsetof(struct dump_file_header, host) + offsetof(struct dump_host, mono_ns));
	r->host = fh.host;
	terminate(r->host.kernel, sizeof(r->host.kernel));
	terminate(r->host.arch, sizeof(r->host.arch));
	terminate(r->host.hostname, sizeof(r->host.hostname));
	r->version = version;
	r->flags = fh.flags;
	r->offset = hsize;
	return 0;
}

/* ---- chunks ------------------------------------------------------------ */

static int grow(unsigned char **buf, size_t *cap, size_t need)
{
	unsigned char *p;

	if (need <= *cap)
		return 0;
	p = realloc(*buf, need);
	if (!p)
		return -1;
	*buf = p;
	*cap = need;
	return 0;
}

/* Limits come before any allocation; a header can only pass them by
 * describing a chunk that this reader could also have written. */
static int check_chunk_header(struct dump_reader *r, const struct dump_chunk_header *ch)
{
	unsigned long long off = r->offset;
	__u64 seq = r->totals.chunks;
	unsigned codec = r->version == 1 ? DUMP_CODEC_ZLIB : DUMP_CODEC_COMPACT;
	/* the smallest record: raw (v1) or encoded (v2) */
	size_t min_rec = r->version == 1 ? sizeof(struct ev_hdr) : DUMP_ENC_MIN;

	if (ch->seq != seq)
		return fail(r, off,
			    "chunk at offset %llu has sequence number %u, expected %llu: chunks "
			    "missing or out of order", off, ch->seq, (unsigned long long)seq);
	if (ch->codec != codec)
		return fail(r, off, "chunk %llu at offset %llu uses codec %u; a version %u dump has "
			    "only codec %u", (unsigned long long)seq, off, ch->codec, r->version, codec);
	if (ch->comp_len == 0 || ch->comp_len > DUMP_CHUNK_MAX)
		return fail(r, off, "chunk %llu at offset %llu: compressed length %u beyond the "
			    "limit (1..%u)", (unsigned long long)seq, off, ch->comp_len, DUMP_CHUNK_MAX);
	if (ch->raw_len < min_rec || ch->raw_len > DUMP_CHUNK_RAW_MAX)
		return fail(r, off, "chunk %llu at offset %llu: raw length %u beyond the limit "
			    "(%zu..%u)", (unsigned long long)seq, off, ch->raw_len,
			    min_rec, DUMP_CHUNK_RAW_MAX);
	if (ch->nevents == 0 || ch->nevents > ch->raw_len / min_rec)
		return fail(r, off, "chunk %llu at offset %llu: %u events cannot fit in %u bytes",
			    (unsigned long long)seq, off, ch->nevents, ch->raw_len);
	if (ch->ts_min > ch->ts_max)
		return fail(r, off, "chunk %llu at offset %llu: time range inverted",
			    (unsigned long long)seq, off);
	/* the records' timestamps are checked against this range (tally_check) */
	if (ch->ts_max >= DUMP_TS_LIMIT)
		return fail(r, off, "chunk %llu at offset %llu: timestamp %llu ns is beyond any "
			    "monotonic clock (limit 2^62 ns, 146 years)", (unsigned long long)seq, off,
			    (unsigned long long)ch->ts_max);
	/* v2: zeros after the encoded records, so that the decoder can read a
	 * whole record's worth without checking every byte (dump_decode()) */
	if (grow(&r->comp, &r->comp_cap, ch->comp_len + DUMP_ENC_TS_MAX) ||
	    grow(&r->raw, &r->raw_cap, ch->raw_len + DUMP_ENC_REC_MAX))
		return fail(r, off, "out of memory for chunk %llu at offset %llu",
			    (unsigned long long)seq, off);
	return 0;
}

static int inflate_chunk(struct dump_reader *r, const struct dump_chunk_header *ch)
{
	unsigned long long off = r->offset, seq = r->totals.chunks;
	/* v1: a zlib stream is a 2-byte header, raw deflate data and an adler32
	 * of the output.  The chunk's CRC32 already vouched for every
	 * compressed byte, so the data is inflated raw and the adler32 (a tenth
	 * of the reading time) is skipped; the header is still checked.
	 * v2 payloads are raw deflate to begin with, followed by the records'
	 * timestamps (dump_codec.h), whatever their length. */
	unsigned skip = r->version == 1 ? 2 : 0, tail = r->version == 1 ? 4 : 0;
	int rc;

	if (r->version == 1 &&
	    (ch->comp_len < 6 || (r->comp[0] & 0x0f) != 8 || (r->comp[1] & 0x20) ||
	     ((r->comp[0] << 8) | r->comp[1]) % 31))
		return fail(r, off, "damaged chunk %llu at offset %llu: bad compressed data (not a zlib "
			    "stream)", seq, off);
	inflateReset(&r->zs);
	r->zs.next_in = r->comp + skip;
	r->zs.avail_in = ch->comp_len - skip;
	r->zs.next_out = r->raw;
	r->zs.avail_out = ch->raw_len;
	rc = inflate(&r->zs, Z_FINISH);
	if (rc == Z_STREAM_END) {
		if (r->zs.total_out != ch->raw_len)
			return fail(r, off, "damaged chunk %llu at offset %llu: decompressed to %lu "
				    "bytes, header says %u", seq, off, r->zs.total_out, ch->raw_len);
		if (r->zs.avail_in < tail) /* the adler32 trailer was cut */
			return fail(r, off, "damaged chunk %llu at offset %llu: compressed data ends early",
				    seq, off);
		if (r->version > 1) {
			r->ts_len = r->zs.avail_in;
			r->ts_off = ch->comp_len - r->ts_len;
		} else if (r->zs.avail_in > tail) { /* exactly the adler32 trailer is left */
			return fail(r, off, "damaged chunk %llu at offset %llu: %d bytes after the "
				    "end of its compressed data", seq, off, (int)(r->zs.avail_in - tail));
		}
		r->raw_len = ch->raw_len;
		return 0;
	}
	/* out of room with input left: the data is longer than declared; out
	 * of input: the stream was cut (its adler32 may be all that is missing) */
	if (rc == Z_BUF_ERROR && r->zs.avail_out == 0 && r->zs.avail_in)
		return fail(r, off, "damaged chunk %llu at offset %llu: decompresses to more than "
			    "the %u bytes its header says", seq, off, ch->raw_len);
	if (rc == Z_BUF_ERROR)
		return fail(r, off, "damaged chunk %llu at offset %llu: compressed data ends early",
			    seq, off);
	if (rc == Z_MEM_ERROR)
		return fail(r, off, "out of memory decompressing chunk %llu at offset %llu", seq, off);
	return fail(r, off, "damaged chunk %llu at offset %llu: bad compressed data (zlib: %s)",
		    seq, off, r->zs.msg ? r->zs.msg : "unknown error");
}

/* What a chunk's records add up to, compared with what its header says. */
struct tally {
	__u64 ts_min, ts_max, lost;
	__u32 n;
};

static void tally_init(struct tally *t)
{
	t->ts_min = UINT64_MAX;
	t->ts_max = t->lost = 0;
	t->n = 0;
}

static void tally_add(struct tally *t, const struct ev_hdr *h)
{
	if (h->ts < t->ts_min)
		t->ts_min = h->ts;
	if (h->ts > t->ts_max)
		t->ts_max = h->ts;
	if (h->type == EV_LOST)
		t->lost += ((const struct ev_lost *)h)->count;
	t->n++;
}

static int tally_check(struct dump_reader *r, const struct dump_chunk_header *ch,
		       const struct tally *t)
{
	unsigned long long off = r->offset, seq = r->totals.chunks;

	if (t->n != ch->nevents)
		return fail(r, off, "damaged chunk %llu at offset %llu: holds %u events, header says "
			    "%u", seq, off, t->n, ch->nevents);
	if (t->ts_min != ch->ts_min || t->ts_max != ch->ts_max)
		return fail(r, off, "damaged chunk %llu at offset %llu: time range of its events "
			    "differs from its header", seq, off);
	return 0;
}

/* Walks the records once before any is returned: a chunk is used whole or
 * not at all, so a consumer never sees half of a damaged chunk. */
static int check_records(struct dump_reader *r, const struct dump_chunk_header *ch,
			 struct tally *t)
{
	unsigned long long off = r->offset, seq = r->totals.chunks;
	size_t pos = 0, size;

	tally_init(t);
	while (pos < r->raw_len) {
		size_t avail = r->raw_len - pos, take;
		enum ev_check c;
		__u16 claimed = 0;

		/* copy what the record claims (at least a header, at most the
		 * largest record), not always the maximum: most are 40 bytes */
		if (avail >= offsetof(struct ev_hdr, cpu))
			memcpy(&claimed, r->raw + pos + offsetof(struct ev_hdr, size), sizeof(claimed));
		take = claimed > sizeof(struct ev_hdr) ? claimed : sizeof(struct ev_hdr);
		if (take > sizeof(r->rec.b))
			take = sizeof(r->rec.b);
		if (take > avail)
			take = avail;
		memcpy(r->rec.b, r->raw + pos, take);
		c = ev_check(r->rec.b, take, &size);
		if (c != EV_OK)
			return fail(r, off, "damaged chunk %llu at offset %llu: record %u (byte %zu of "
				    "%zu): %s", seq, off, t->n, pos, r->raw_len, ev_check_str(c));
		tally_add(t, &r->rec.h);
		pos += size;
	}
	return tally_check(r, ch, t);
}

/* Bytes of decoded records one chunk may need in dec: DUMP_CHUNK_RAW_MAX of
 * records, each padded to 8 bytes (the smallest record is 32), plus room
 * for one more being decoded. */
#define DEC_MAX (DUMP_CHUNK_RAW_MAX + DUMP_CHUNK_RAW_MAX / 32 * 7 + VIGIL_REC_MAX)

/* Room for need bytes of decoded records, need <= DEC_MAX (the limit on a
 * chunk's records sees to that).  Doubles, so that small chunks cost little
 * memory and big ones few reallocations. */
static int grow_dec(struct dump_reader *r, size_t need)
{
	size_t cap = r->dec_cap * 2 > need ? r->dec_cap * 2 : need;

	if (cap < (64u << 10))
		cap = 64u << 10;
	if (cap > DEC_MAX)
		cap = DEC_MAX;
	return need > cap ? -1 : grow(&r->dec, &r->dec_cap, cap);
}

/* Version 2: decodes every record of the chunk into dec, checking each
 * (decoder, then ev_check()), before any is returned, like check_records(). */
static int decode_records(struct dump_reader *r, const struct dump_chunk_header *ch,
			  struct tally *t)
{
	unsigned long long off = r->offset, seq = r->totals.chunks;
	struct dump_codec_state st;
	const unsigned char *ts = r->comp + r->ts_off;
	size_t pos = 0, dpos = 0, rec_bytes = 0, ts_pos = 0;

	tally_init(t);
	dump_codec_reset(&st);
	/* see dump_decode() */
	memset(r->raw + r->raw_len, 0, DUMP_ENC_REC_MAX);
	memset(r->comp + ch->comp_len, 0, DUMP_ENC_TS_MAX);
	while (pos < r->raw_len) {
		const char *why = "";
		struct ev_hdr *h;
		size_t used, ts_used = 0, size;
		enum ev_check c;

		if (t->n == ch->nevents)
			return fail(r, off, "damaged chunk %llu at offset %llu: holds more events, "
				    "header says %u", seq, off, ch->nevents);
		if (dpos + VIGIL_REC_MAX > r->dec_cap && grow_dec(r, dpos + VIGIL_REC_MAX))
			return fail(r, off, "out of memory for chunk %llu at offset %llu", seq, off);
		h = (struct ev_hdr *)(r->dec + dpos);
		used = dump_decode(&st, r->raw + pos, ts + ts_pos, h, &ts_used, &why);
		if (!used)
			return fail(r, off, "damaged chunk %llu at offset %llu: record %u (byte %zu of "
				    "%zu): %s", seq, off, t->n, pos, r->raw_len, why);
		if (used > r->raw_len - pos)
			return fail(r, off, "damaged chunk %llu at offset %llu: record %u (byte %zu of "
				    "%zu) runs past the end of the chunk's data", seq, off, t->n, pos,
				    r->raw_len);
		if (ts_used > r->ts_len - ts_pos)
			return fail(r, off, "damaged chunk %llu at offset %llu: record %u (byte %zu of "
				    "%zu) has no timestamp: the chunk's timestamps end early", seq, off,
				    t->n, pos, r->raw_len);
		c = ev_check(h, h->size, &size);
		if (c != EV_OK)
			return fail(r, off, "damaged chunk %llu at offset %llu: record %u (byte %zu of "
				    "%zu): %s", seq, off, t->n, pos, r->raw_len, ev_check_str(c));
		rec_bytes += size;
		if (rec_bytes > DUMP_CHUNK_RAW_MAX)
			return fail(r, off, "damaged chunk %llu at offset %llu: its records decode to "
				    "more than %u bytes", seq, off, DUMP_CHUNK_RAW_MAX);
		tally_add(t, h);
		pos += used;
		ts_pos += ts_used;
		dpos += (size + 7) & ~(size_t)7;
	}
	if (ts_pos != r->ts_len)
		return fail(r, off, "damaged chunk %llu at offset %llu: %zu bytes after its records' "
			    "timestamps", seq, off, r->ts_len - ts_pos);
	return tally_check(r, ch, t);
}

/* Reads the rest of a framed block (chunk header, trailer) whose 4 magic
 * bytes are already in buf, and checks the CRC32 of its first crc_off bytes
 * against the one stored there.  1 when whole and intact, else the error. */
static int read_block(struct dump_reader *r, unsigned char *buf, size_t len, size_t crc_off,
		      const char *what)
{
	__u32 crc, stored;
	size_t got;
	int rc = read_exact(r, buf + 4, len - 4, r->offset + 4, &got);

	if (rc <= 0)
		return rc < 0 ? rc : truncated(r, 4 + got);
	crc = (__u32)crc32(0, buf, crc_off);
	memcpy(&stored, buf + crc_off, sizeof(stored));
	if (crc != stored && !CRC_IGNORED)
		return fail(r, r->offset, "damaged %s at offset %llu: CRC mismatch (stored 0x%08x, "
			    "computed 0x%08x)", what, (unsigned long long)r->offset, stored, crc);
	return 1;
}

/* buf holds the 4 magic bytes already read. */
static int read_chunk(struct dump_reader *r, unsigned char *buf)
{
	const size_t hlen = sizeof(struct dump_chunk_header);
	struct dump_chunk_header ch;
	__u32 crc;
	struct tally t;
	size_t got;
	int rc;

	rc = read_block(r, buf, hlen, offsetof(struct dump_chunk_header, header_crc), "chunk header");
	if (rc <= 0)
		return rc;
	memcpy(&ch, buf, hlen);
	if (check_chunk_header(r, &ch))
		return -1;
	rc = read_exact(r, r->comp, ch.comp_len, r->offset + hlen, &got);
	if (rc <= 0)
		return rc < 0 ? rc : truncated(r, hlen + got);
	crc = (__u32)crc32(0, r->comp, ch.comp_len);
	if (crc != ch.payload_crc && !CRC_IGNORED)
		return fail(r, r->offset, "damaged chunk %llu at offset %llu: payload CRC mismatch "
			    "(stored 0x%08x, computed 0x%08x)", (unsigned long long)r->totals.chunks,
			    (unsigned long long)r->offset, ch.payload_crc, crc);
	if (inflate_chunk(r, &ch) ||
	    (r->version == 1 ? check_records(r, &ch, &t) : decode_records(r, &ch, &t)))
		return -1;

	r->offset += hlen + ch.comp_len;
	r->raw_pos = 0;
	r->dec_pos = 0;
	r->left = ch.nevents;
	if (!r->totals.events || ch.ts_min < r->totals.ts_min)
		r->totals.ts_min = ch.ts_min;
	if (ch.ts_max > r->totals.ts_max)
		r->totals.ts_max = ch.ts_max;
	r->totals.events += ch.nevents;
	r->totals.chunks++;
	r->totals.lost += t.lost;
	return 1;
}

/* ---- trailer ----------------------------------------------------------- */

/* The trailer repeats what the chunks add up to; a disagreement means a
 * chunk went missing in a way the sequence numbers could not show (the tail
 * chunks cut and a trailer appended by hand, say). */
static int check_totals(struct dump_reader *r, const struct dump_trailer *t)
{
	const struct dump_totals *c = &r->totals;
	unsigned long long off = r->offset;
	const char *what = NULL;
	__u64 want = 0, have = 0;

	if (t->offset != r->offset)
		what = "offset", want = t->offset, have = r->offset;
	else if (t->chunks != c->chunks)
		what = "chunks", want = t->chunks, have = c->chunks;
	else if (t->events != c->events)
		what = "events", want = t->events, have = c->events;
	else if (t->lost != c->lost)
		what = "lost events", want = t->lost, have = c->lost;
	else if (t->ts_min != c->ts_min || t->ts_max != c->ts_max)
		what = "time range", want = t->ts_max, have = c->ts_max;
	if (!what)
		return 0;
	return fail(r, off, "trailer at offset %llu disagrees with the file: %s %llu, the chunks "
		    "have %llu", off, what, (unsigned long long)want, (unsigned long long)have);
}

static int read_trailer(struct dump_reader *r, unsigned char *buf)
{
	const size_t tlen = sizeof(struct dump_trailer);
	struct dump_trailer t;
	unsigned char extra;
	size_t got;
	int rc;

	rc = read_block(r, buf, tlen, offsetof(struct dump_trailer, crc), "trailer");
	if (rc <= 0)
		return rc;
	memcpy(&t, buf, tlen);
	if (t.size != tlen)
		return fail(r, r->offset, "trailer at offset %llu has size %u, expected %zu",
			    (unsigned long long)r->offset, t.size, tlen);
	if (check_totals(r, &t))
		return -1;
	r->has_trailer = 1;
	rc = read_exact(r, &extra, 1, r->offset + tlen, &got);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return fail(r, r->offset + tlen, "unexpected data after the trailer at offset %llu",
			    (unsigned long long)(r->offset + tlen));
	r->offset += tlen;
	r->state = RD_END;
	return 0;
}

/* ---- records out ------------------------------------------------------- */

/* 1: a chunk is ready; 0: clean end; -1: failed. */
static int next_block(struct dump_reader *r)
{
	unsigned char buf[sizeof(struct dump_trailer)];
	__u32 magic;
	size_t got;
	int rc;

	_Static_assert(sizeof(buf) >= sizeof(struct dump_chunk_header), "block buffer");
	rc = read_exact(r, buf, sizeof(magic), r->offset, &got);
	if (rc <= 0)
		return rc < 0 ? rc : truncated(r, got);
	memcpy(&magic, buf, sizeof(magic));
	if (magic == DUMP_CHUNK_MAGIC)
		return read_chunk(r, buf);
	if (magic == DUMP_TRAILER_MAGIC)
		return read_trailer(r, buf);
	return fail(r, r->offset, "damaged file: bad block magic 0x%08x at offset %llu (neither a "
		    "chunk nor the trailer)", magic, (unsigned long long)r->offset);
}

int dump_reader_next(struct dump_reader *r, const struct ev_hdr **rec)
{
	struct ev_hdr h;
	int rc;

	*rec = NULL;
	if (r->state == RD_FAILED)
		return -1;
	if (r->state == RD_END)
		return 0;
	if (!r->left) {
		rc = next_block(r);
		if (rc <= 0)
			return rc;
	}
	r->left--;
	if (r->version > 1) { /* decoded and verified by decode_records() */
		*rec = (const struct ev_hdr *)(r->dec + r->dec_pos);
		r->dec_pos += ((*rec)->size + 7u) & ~7u;
		return 1;
	}
	/* verified by check_records(): the size is sane and in bounds */
	memcpy(&h, r->raw + r->raw_pos, sizeof(h));
	memcpy(r->rec.b, r->raw + r->raw_pos, h.size);
	r->raw_pos += h.size;
	*rec = &r->rec.h;
	return 1;
}

/* ---- open / close / accessors ------------------------------------------ */

int dump_reader_open(struct dump_reader **out, const char *path, char *err, size_t errlen)
{
	struct dump_reader *r;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return open_fail(err, errlen, "out of memory");
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		open_fail(err, errlen, "cannot open %s: %s", path, strerror(errno));
		free(r);
		return -1;
	}
	if (read_header(r, path, err, errlen))
		goto fail;
	if (inflateInit2(&r->zs, -15) != Z_OK) { /* raw: see inflate_chunk() */
		open_fail(err, errlen, "cannot initialise zlib");
		goto fail;
	}
	r->zs_ready = 1;
	*out = r;
	return 0;
fail:
	dump_reader_close(r);
	return -1;
}

void dump_reader_close(struct dump_reader *r)
{
	if (!r)
		return;
	if (r->zs_ready)
		inflateEnd(&r->zs);
	close(r->fd);
	free(r->comp);
	free(r->raw);
	free(r->dec);
	free(r);
}

const struct dump_host *dump_reader_host(const struct dump_reader *r)
{
	return &r->host;
}

unsigned dump_reader_flags(const struct dump_reader *r)
{
	return r->flags;
}

const char *dump_reader_error(const struct dump_reader *r)
{
	return r->msg;
}

unsigned long long dump_reader_error_offset(const struct dump_reader *r)
{
	return r->err_off;
}

int dump_reader_has_trailer(const struct dump_reader *r)
{
	return r->has_trailer;
}

const struct dump_totals *dump_reader_totals(const struct dump_reader *r)
{
	return &r->totals;
}
