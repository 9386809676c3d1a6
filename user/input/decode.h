/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Validation of raw records, the single gate every record passes, whether it
 * comes from the ring buffer or from a dump file. */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stddef.h>
#include "events.h"

enum ev_check {
	EV_OK = 0,
	EV_ERR_SHORT,     /* fewer bytes than a header, or than hdr.size */
	EV_ERR_SIZE,      /* hdr.size impossible for the type */
	EV_ERR_TYPE,      /* type 0 or beyond what this build knows */
	EV_ERR_TEXT_LEN,  /* variable-size text longer than allowed */
};

/* Checks the record at buf (len bytes available).  On EV_OK, *rec_size is
 * the record's size (hdr.size) and the record may be read as its type. */
enum ev_check ev_check(const void *buf, size_t len, size_t *rec_size);
const char *ev_check_str(enum ev_check c);
/* The gate of EV_SITE_RAW, which only the ring buffer carries (ev_check
 * refuses it: it is larger than VIGIL_REC_MAX).  len: bytes available. */
enum ev_check ev_check_site_raw(const void *buf, size_t len);

/* The three texts of a frame record (module, function, file; "" when
 * missing), copied into buf, whose NULs end them. */
struct site_frame_text {
	char buf[VIGIL_CMDLINE_MAX + 1];
	const char *module, *function, *file;
};
void ev_site_frame_text(const struct ev_site_frame *f, struct site_frame_text *out);

/* "faults", "mmap", ... ; "unknown" for anything else */
const char *ev_type_name(unsigned type);
/* Can a record of this type be in a dump?  Every known type but
 * EV_SITE_RAW, which user space resolves first. */
static inline int ev_type_stored(unsigned type)
{
	return type > 0 && type < EV_TYPE_MAX && type != EV_SITE_RAW;
}
/* Fixed part of a type's layout, 0 for unknown types */
size_t ev_fixed_size(unsigned type);

#endif
