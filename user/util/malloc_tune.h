/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Huge pages for a batch command's heap.  `vigil report` builds the model of
 * a whole dump in one burst, touching ~10 MB of fresh heap: one page fault
 * per 4 KB page.  Under a hypervisor a fault costs ~4 us, 40 % of a report's
 * time on the reference VM.  With the heap backed by transparent huge pages
 * the same memory takes one fault per 2 MB.  Debian's THP mode is
 * "madvise", so the heap must ask; glibc's own switch for that is a tunable
 * read at startup (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), which a command
 * chosen after parsing argv cannot set.
 *
 * Only for batch work: huge pages round RSS up to 2 MB steps, which the
 * long-running live and record commands (24 MB budget) do not want.
 */
#ifndef VIGIL_MALLOC_TUNE_H
#define VIGIL_MALLOC_TUNE_H

#include <stddef.h>

/* Grows glibc's heap by `reserve` bytes now (address space; pages are only
 * faulted when used) and asks for huge pages on it; stops free() from
 * trimming it.  Blocks are then carved from the reserve whatever their
 * size, and calloc() must clear them, where a mapping of their own would
 * be zero already and faulted only where touched: allocate big sparse
 * tables before.  Returns 0 when the advice was given; -1 when it could
 * not be (no THP in this kernel, a malloc that is not glibc's brk heap,
 * such as a sanitizer's): nothing is wrong then, only slower. */
int heap_prefer_huge_pages(size_t reserve);

#endif
