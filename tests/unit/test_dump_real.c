/* A dump recorded by vigil on a real kernel (tests/data/real-x86.vgl: two
 * workloads, 130 events of 13 kinds, several chunks; format version 1, which
 * vigil no longer writes but still reads), cut at every byte offset and read
 * back: never a crash, the events returned are always a prefix of the full
 * file's, more bytes never give fewer events, and every cut is reported with
 * an offset no later than the cut.  Its records, written again by this
 * build (version 2), read back identical. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "dump_read.h"
#include "dump_write.h"

#define FIXTURE "tests/data/real-x86.vgl"
#define MAX_EVENTS 4096

static unsigned char *file;
static size_t file_len;
static unsigned char *events[MAX_EVENTS];
static size_t nevents;

static int load_fixture(void)
{
	int fd = open(FIXTURE, O_RDONLY);
	struct stat st;

	if (fd < 0 || fstat(fd, &st))
		return -1;
	file = malloc(st.st_size);
	file_len = st.st_size;
	if (!file || read(fd, file, file_len) != (ssize_t)file_len)
		return -1;
	close(fd);
	return 0;
}

static void test_full_file(void)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	char err[256];
	int rc;

	CHECK(dump_reader_open(&r, FIXTURE, err, sizeof(err)) == 0);
	if (!r)
		return;
	while ((rc = dump_reader_next(r, &h)) == 1 && nevents < MAX_EVENTS) {
		events[nevents] = malloc(h->size);
		memcpy(events[nevents++], h, h->size);
	}
	CHECK(rc == 0);
	CHECK(dump_reader_has_trailer(r));
	CHECK(nevents > 100);
	CHECK_STR(dump_reader_host(r)->arch, "x86");
	dump_reader_close(r);
}

static void test_every_truncation(void)
{
	char path[] = "/tmp/vigil-trunc-XXXXXX", err[256];
	size_t prev = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	for (size_t cut = 0; cut < file_len && fd >= 0; cut++) {
		struct dump_reader *r;
		const struct ev_hdr *h;
		size_t n = 0;
		int rc;

		CHECK(ftruncate(fd, 0) == 0);
		CHECK(pwrite(fd, file, cut, 0) == (ssize_t)cut);
		if (dump_reader_open(&r, path, err, sizeof(err))) {
			CHECK(err[0] != '\0'); /* a cut inside the header: refused with a reason */
			CHECK(prev == 0);
			continue;
		}
		while ((rc = dump_reader_next(r, &h)) == 1) {
			CHECK(n < nevents && h->size == ((struct ev_hdr *)events[n])->size &&
			      !memcmp(h, events[n], h->size));
			n++;
		}
		CHECK(rc == -1); /* a cut file is never "complete" */
		CHECK(dump_reader_error_offset(r) <= cut);
		CHECK(strlen(dump_reader_error(r)) > 0);
		CHECK(n >= prev);
		prev = n;
		dump_reader_close(r);
		if (check_failed_in_test) {
			printf("  (first failure at cut %zu of %zu)\n", cut, file_len);
			break;
		}
	}
	/* a cut inside the trailer keeps every event (and is still reported) */
	CHECK_EQ_U64(prev, nevents);
	close(fd);
	unlink(path);
}

static void test_rewritten_as_current_version(void)
{
	char path[] = "/tmp/vigil-rewrite-XXXXXX", err[256];
	struct dump_writer *w;
	struct dump_reader *r;
	const struct ev_hdr *h;
	size_t n = 0;
	int rc, fd = mkstemp(path);

	CHECK(fd >= 0);
	close(fd);
	CHECK(dump_reader_open(&r, FIXTURE, err, sizeof(err)) == 0);
	CHECK(dump_writer_open(&w, path, dump_reader_host(r), 1, err, sizeof(err)) == 0);
	dump_reader_close(r);
	CHECK(dump_writer_set_chunk_size(w, 1024) == 0); /* several chunks */
	for (size_t i = 0; i < nevents; i++)
		CHECK(dump_writer_add(w, events[i]) == 0);
	CHECK(dump_writer_close(w) == 0);
	CHECK(dump_reader_open(&r, path, err, sizeof(err)) == 0);
	while ((rc = dump_reader_next(r, &h)) == 1) {
		CHECK(n < nevents && h->size == ((struct ev_hdr *)events[n])->size &&
		      !memcmp(h, events[n], h->size));
		n++;
	}
	CHECK(rc == 0);
	CHECK_EQ_U64(n, nevents);
	CHECK(dump_reader_totals(r)->chunks > 3);
	dump_reader_close(r);
	unlink(path);
}

int main(void)
{
	if (load_fixture()) {
		printf("FAIL load_fixture: cannot read %s (run from the repository root)\n", FIXTURE);
		return 1;
	}
	RUN(test_full_file);
	RUN(test_every_truncation);
	RUN(test_rewritten_as_current_version);
	for (size_t i = 0; i < nevents; i++)
		free(events[i]);
	free(file);
	CHECK_DONE();
}
