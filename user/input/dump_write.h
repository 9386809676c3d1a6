/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Dump writer: raw records in, crash-safe compressed file out
 * (layout: dump_format.h, docs/dump-format.md). */
#ifndef VIGIL_DUMP_WRITE_H
#define VIGIL_DUMP_WRITE_H

#include <stddef.h>
#include "dump_format.h"

struct dump_writer;

/* Fills *host from the running system (uname, CPUs, page size, a
 * CLOCK_MONOTONIC/CLOCK_REALTIME pair).  pf_source and ringbuf_size are left
 * 0 for the caller.  Returns 0 or -errno. */
int dump_host_init(struct dump_host *host);

/* Creates path with mode 0600 (O_CREAT|O_EXCL|O_NOFOLLOW) and writes the
 * header.  An existing path is refused with -EEXIST unless force, and even
 * then only a regular file is replaced (it is unlinked and created anew, so
 * nothing is ever written through a symlink or a hard link); a symlink is
 * always refused with -ELOOP, anything else that is not a regular file with
 * -EINVAL.  Returns 0 or -errno, with a message in err. */
int dump_writer_open(struct dump_writer **out, const char *path, const struct dump_host *host,
		     int force, char *err, size_t errlen);

/* Rewrites the host description in the header, for what is only known once
 * tracing is set up (pf_source, ringbuf_size).  Only before the first chunk
 * is written (-EBUSY after): later the file is strictly append-only. */
int dump_writer_set_host(struct dump_writer *w, const struct dump_host *host);

/* The same, for the sources field alone (KSRC_* bits), which only the
 * BPF side knows once it is loaded. */
int dump_writer_set_sources(struct dump_writer *w, unsigned sources);

/* Raw bytes per chunk, VIGIL_REC_MAX .. DUMP_CHUNK_RAW_MAX (default
 * DUMP_CHUNK_DEFAULT).  Smaller chunks lose less on a crash and compress
 * worse.  Writes the pending chunk first.  Returns 0 or -errno. */
int dump_writer_set_chunk_size(struct dump_writer *w, size_t raw_bytes);

/* Appends one record (hdr.size bytes are copied).  rec must have passed
 * ev_check() (decode.h, the single validation gate: source.c and
 * dump_read.c call it before handing a record on), so one bad record can
 * never make a whole chunk unreadable.  When the pending chunk is full it
 * is compressed and written.  After a write error every call returns that
 * same error at once. */
int dump_writer_add(struct dump_writer *w, const void *rec);

/* Writes the pending chunk now; the caller does this at least once a second
 * so that a crash loses at most that much. */
int dump_writer_flush(struct dump_writer *w);

/* Flush, trailer, fsync.  Leaves the writer allocated so that the message of
 * a failure can still be read; then call dump_writer_close().  Calling it
 * again returns the same result. */
int dump_writer_finish(struct dump_writer *w);

/* dump_writer_finish() if not done yet, then close the file and free.
 * Returns the first error seen (0 if none).  NULL is a no-op. */
int dump_writer_close(struct dump_writer *w);

/* Bytes in the file so far: header and complete chunks. */
unsigned long long dump_writer_bytes(const struct dump_writer *w);
/* Records accepted so far, pending ones included. */
unsigned long long dump_writer_events(const struct dump_writer *w);
/* The last error, e.g. "write to out.vgl failed at offset 12345: No space
 * left on device ..."; "" when there was none. */
const char *dump_writer_error(const struct dump_writer *w);

#endif
