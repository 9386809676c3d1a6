// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "decode.h"

static const struct {
	const char *name;
	size_t size;
} ev_types[EV_TYPE_MAX] = {
	[EV_FAULTS] = {"faults", sizeof(struct ev_faults)},
	[EV_MMAP] = {"mmap", sizeof(struct ev_mmap)},
	[EV_MUNMAP] = {"munmap", sizeof(struct ev_munmap)},
	[EV_MREMAP] = {"mremap", sizeof(struct ev_mremap)},
	[EV_MADVISE] = {"madvise", sizeof(struct ev_madvise)},
	[EV_BRK] = {"brk", sizeof(struct ev_brk)},
	[EV_RSS] = {"rss", sizeof(struct ev_rss)},
	[EV_SWITCH] = {"switch", sizeof(struct ev_switch)},
	[EV_WAKEUP] = {"wakeup", sizeof(struct ev_wakeup)},
	[EV_MIGRATE] = {"migrate", sizeof(struct ev_migrate)},
	[EV_FORK] = {"fork", sizeof(struct ev_fork)},
	[EV_EXEC] = {"exec", sizeof(struct ev_exec)},
	[EV_EXIT] = {"exit", sizeof(struct ev_exit)},
	[EV_COMM] = {"comm", sizeof(struct ev_comm)},
	[EV_LOST] = {"lost", sizeof(struct ev_lost)},
	[EV_PROC] = {"proc", sizeof(struct ev_proc)},
};

const char *ev_type_name(unsigned type)
{
	if (type == 0 || type >= EV_TYPE_MAX)
		return "unknown";
	return ev_types[type].name;
}

size_t ev_fixed_size(unsigned type)
{
	if (type == 0 || type >= EV_TYPE_MAX)
		return 0;
	return ev_types[type].size;
}

const char *ev_check_str(enum ev_check c)
{
	switch (c) {
	case EV_OK: return "ok";
	case EV_ERR_SHORT: return "record runs past the end of its buffer";
	case EV_ERR_SIZE: return "record size does not fit its type";
	case EV_ERR_TYPE: return "unknown record type";
	case EV_ERR_TEXT_LEN: return "record text length out of range";
	}
	return "?";
}

/* Variable-size records carry their text length; it must agree with hdr.size
 * exactly so that a damaged length can never make a consumer read past the
 * record. */
static enum ev_check check_text(size_t size, size_t fixed, unsigned text_len)
{
	if (text_len > VIGIL_CMDLINE_MAX)
		return EV_ERR_TEXT_LEN;
	return size == fixed + text_len ? EV_OK : EV_ERR_SIZE;
}

enum ev_check ev_check(const void *buf, size_t len, size_t *rec_size)
{
	const struct ev_hdr *h = buf;
	size_t fixed;

	if (len < sizeof(*h))
		return EV_ERR_SHORT;
	if (h->size < sizeof(*h) || h->size > VIGIL_REC_MAX)
		return EV_ERR_SIZE;
	if (h->size > len)
		return EV_ERR_SHORT;
	fixed = ev_fixed_size(h->type);
	if (!fixed)
		return EV_ERR_TYPE;
	if (h->type == EV_EXEC) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_exec *)buf)->cmdline_len);
		if (c != EV_OK)
			return c;
	} else if (h->type == EV_PROC) {
		if (h->size < fixed)
			return EV_ERR_SIZE;
		enum ev_check c = check_text(h->size, fixed, ((const struct ev_proc *)buf)->cmdline_len);
		if (c != EV_OK)
			return c;
	} else if (h->size != fixed) {
		return EV_ERR_SIZE;
	}
	*rec_size = h->size;
	return EV_OK;
}
