/* The host description of the unit tests' dumps (fixed values, so layout
 * tests can check the bytes). */
#ifndef VIGIL_TESTHOST_H
#define VIGIL_TESTHOST_H
#include <string.h>
#include "dump_format.h"

static inline struct dump_host test_host(void)
{
	struct dump_host h;

	memset(&h, 0, sizeof(h));
	strcpy(h.kernel, "6.1.0-test-amd64");
	strcpy(h.arch, "x86");
	strcpy(h.hostname, "testbox");
	h.ncpus = 8;
	h.page_size = 4096;
	h.mono_ns = 4999999999ULL;
	h.real_ns = 1700000000123456789ULL;
	h.pf_source = PF_SRC_PERF;
	h.ringbuf_size = 16u << 20;
	return h;
}
#endif
