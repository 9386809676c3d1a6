// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* ksources: the names of what a trace had and lacked, and the dump header
 * field that carries them from the recording host to the report. */
#include <unistd.h>
#include "check.h"
#include "dump_read.h"
#include "dump_write.h"
#include "ksources.h"

static void test_full_kernel(void)
{
	char buf[256];
	unsigned all = KSRC_RECORDED | KSRC_KERNEL_BTF | KSRC_HZ_CONFIG | KSRC_SCHED_BTF | KSRC_WAKEUP |
		       KSRC_MIGRATE | KSRC_RSS_BTF | KSRC_FORK_BTF | KSRC_EXEC_BTF | KSRC_EXIT | KSRC_SYSCALLS;

	CHECK_STR(ksources_str(all, buf, sizeof(buf)),
		  "btf:kernel hz:config sched:btf wakeup migrate rss:btf fork:btf exec:btf exit syscalls");
}

static void test_fallbacks_and_missing(void)
{
	char buf[256];
	/* no kernel BTF, no config, plain tracepoints, no rss and no wakeup at all */
	unsigned bits = KSRC_RECORDED | KSRC_SCHED_PLAIN | KSRC_MIGRATE | KSRC_FORK_NEWTASK | KSRC_EXEC_PLAIN |
			KSRC_EXIT | KSRC_SYSCALLS | KSRC_SC_ENTRIES;

	CHECK_STR(ksources_str(bits, buf, sizeof(buf)),
		  "btf:file hz:measured sched:plain migrate fork:task_newtask exec:plain exit syscalls "
		  "syscalls:entries; missing: wakeup rss");
}

static void test_not_recorded(void)
{
	char buf[64] = "x";

	CHECK_STR(ksources_str(0, buf, sizeof(buf)), "");
	/* a buffer too small truncates, never overruns */
	char tiny[12];
	ksources_str(KSRC_RECORDED | KSRC_KERNEL_BTF | KSRC_SCHED_BTF, tiny, sizeof(tiny));
	CHECK(strlen(tiny) < sizeof(tiny));
}

static void test_dump_header_round_trip(void)
{
	char path[] = "/tmp/vigil-ksrc.XXXXXX", err[256];
	struct dump_writer *w = NULL;
	struct dump_reader *r = NULL;
	struct dump_host h;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	dump_host_init(&h);
	CHECK_EQ_U64(dump_writer_open(&w, path, &h, 1, err, sizeof(err)), 0);
	/* set after open, as vigil does once the BPF side is loaded */
	CHECK_EQ_U64(dump_writer_set_sources(w, KSRC_RECORDED | KSRC_RSS_PLAIN), 0);
	CHECK_EQ_U64(dump_writer_close(w), 0);
	CHECK_EQ_U64(dump_reader_open(&r, path, err, sizeof(err)), 0);
	if (r) {
		CHECK_EQ_U64(dump_reader_host(r)->sources, KSRC_RECORDED | KSRC_RSS_PLAIN);
		/* the rest of the host is what the writer was opened with */
		CHECK_EQ_U64(dump_reader_host(r)->mono_ns, h.mono_ns);
		dump_reader_close(r);
	}
	unlink(path);
}

int main(void)
{
	RUN(test_full_kernel);
	RUN(test_fallbacks_and_missing);
	RUN(test_not_recorded);
	RUN(test_dump_header_round_trip);
	CHECK_DONE();
}
