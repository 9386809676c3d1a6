// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Hostile and odd input, as an attacker or a new user would give it
 * (issue 11): timestamps near 2^64, names with quotes and commas in CSV,
 * records stamped before the recording's start.
 *
 *   test_hostile                       the tests
 *   test_hostile --make-dump KIND PATH writes a dump for tests/cli and the
 *                                      fuzz corpus: "wrap" (a switch at
 *                                      2^64-1), "big" (slow to report) */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "check.h"
#include "dump_read.h"
#include "dump_write.h"
#include "model.h"
#include "print.h"
#include "sink.h"
#include "report.h"
#include "synth.h"
#include "testhost.h"

static char tmpdir[64];

static struct dump_host host_at(__u64 mono_ns)
{
	struct dump_host h = test_host();

	h.mono_ns = mono_ns;
	return h;
}

static struct model *M;
static struct dump_writer *W;

static void to_model(const struct ev_hdr *h) { model_event(M, h); }
static void to_writer(const struct ev_hdr *h)
{
	if (dump_writer_add(W, h))
		abort();
}

/* the three records: a process, a switch, a switch at `last` */
static void wrap_stream(__u64 last)
{
	synth_proc(1000000000ull, 100, 1, ROLE_CAMERA, "camera_srv", "camera_srv\0", 11, 0);
	SW_BLOCK(1500000000ull, 0, 100, 100, 0, 0);
	SW_BLOCK(last, 0, 100, 100, 0, 0);
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "FAIL hang: a test did not finish within 20 s\n";
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* ---- 1: time near 2^64 ------------------------------------------------------ */

/* The model's tick grid must end instead of wrapping: every one of these
 * used to loop forever in run_ticks(). */
static void test_model_tick_wrap(void)
{
	static const __u64 lasts[] = {UINT64_MAX, UINT64_MAX - 1, 18446744073000000000ull,
				      18446744073709000000ull, UINT64_MAX - MODEL_TICK_NS,
				      (1ull << 63) + 12345};

	for (size_t i = 0; i < sizeof(lasts) / sizeof(lasts[0]); i++) {
		M = model_new(NULL, NULL);
		CHECK(M != NULL);
		if (!M)
			return;
		synth_sink = to_model;
		wrap_stream(lasts[i]);
		/* and the stream goes on after it */
		SW_BLOCK(lasts[i], 1, 100, 100, 0, 0);
		model_advance(M, UINT64_MAX);
		model_finish(M);
		CHECK_EQ_U64(agg_host(model_agg(M))->tot.events, 4);
		model_free(M);
	}
	/* the first record itself at the end of time */
	M = model_new(NULL, NULL);
	synth_sink = to_model;
	SW_BLOCK(UINT64_MAX - 5, 0, 100, 100, 0, 0);
	SW_BLOCK(UINT64_MAX, 0, 100, 100, 0, 0);
	model_advance(M, UINT64_MAX);
	model_finish(M);
	model_free(M);
}

static int make_dump(const char *path, void (*fill)(void), __u64 mono)
{
	struct dump_host h = host_at(mono);
	char err[512];

	unlink(path);
	if (dump_writer_open(&W, path, &h, 0, err, sizeof(err))) {
		printf("# %s\n", err);
		return -1;
	}
	synth_sink = to_writer;
	fill();
	return dump_writer_close(W);
}

static void fill_wrap(void) { wrap_stream(UINT64_MAX); }

/* The reader refuses a timestamp no monotonic clock can reach, naming the
 * chunk and its offset; the records before that chunk still come out. */
static void test_reader_refuses_end_of_time(void)
{
	char path[128], err[512];
	struct dump_reader *r;
	const struct ev_hdr *h;
	int rc, n = 0;

	snprintf(path, sizeof(path), "%s/wrap.vgl", tmpdir);
	CHECK(make_dump(path, fill_wrap, 1000000000ull) == 0);
	CHECK(dump_reader_open(&r, path, err, sizeof(err)) == 0);
	while ((rc = dump_reader_next(r, &h)) == 1)
		n++;
	CHECK(rc == -1);
	CHECK(n == 0);
	CHECK(strstr(dump_reader_error(r), "chunk 0 at offset 256") != NULL);
	CHECK(strstr(dump_reader_error(r), "beyond any monotonic clock") != NULL);
	CHECK_EQ_U64(dump_reader_error_offset(r), 256);
	dump_reader_close(r);

	/* a header whose start time is the end of time */
	snprintf(path, sizeof(path), "%s/wrap-header.vgl", tmpdir);
	CHECK(make_dump(path, fill_wrap, UINT64_MAX - 7) == 0);
	CHECK(dump_reader_open(&r, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, "start time") != NULL);
	CHECK(strstr(err, "offset 168") != NULL);
}

/* ---- 2: CSV, RFC 4180 ---------------------------------------------------------- */

/* Names a process can give itself (comm: 15 bytes; cmdline: anything but
 * NUL, which separates the arguments). */
static const char *const hostile_comm[] = {
	"a\"b,c\"d", "\"", ",,,", "x\"\"y", "new\nline", "cr\r", "'", "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"",
	"camera_srv", "\\\"", "\xff\xfe\"", ",\"", "tab\tx",
};
static const char hostile_cmd[] = "gunicorn: worker [app,\"x\"]\0--name=\"a,b\"\0'q'\0\"\0,\0line\nbreak\0\r\n";

static void fill_hostile(void)
{
	__u64 ts = 1000000000ull;
	__u32 n = sizeof(hostile_comm) / sizeof(hostile_comm[0]);

	for (__u32 i = 0; i < n; i++, ts += 1000) {
		__u32 pid = 200 + i;

		synth_proc(ts, pid, 1, ROLE_OTHER, hostile_comm[i], hostile_cmd, sizeof(hostile_cmd) - 1, 0);
		synth_exec(ts + 1, pid, pid, hostile_comm[i], hostile_cmd, sizeof(hostile_cmd) - 1);
		synth_comm_rec(ts + 2, pid, pid, hostile_comm[i]);
		SW_BLOCK(ts + 3, 0, pid, pid, 200 + (i + 1) % n, 200 + (i + 1) % n);
	}
}

/* A strict RFC 4180 reader: records end with CRLF; a field is either
 * unquoted (no '"', CR or LF in it) or quoted with every '"' inside
 * doubled and a ',' or CRLF right after its closing quote.  Returns the
 * number of records, all of `want` fields, or -1 at the first violation
 * (its offset in *bad). */
static long csv_strict(const char *s, size_t len, int want, size_t *bad)
{
	size_t i = 0;
	long recs = 0;
	int fields = 0;

	while (i < len) {
		if (s[i] == '"') {
			for (i++;; i++) {
				if (i >= len)
					goto fail;
				if (s[i] == '"') {
					if (i + 1 < len && s[i + 1] == '"')
						i++;
					else
						break;
				}
			}
			i++;
		} else {
			while (i < len && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
				if (s[i] == '"')
					goto fail;
				i++;
			}
		}
		fields++;
		if (i < len && s[i] == ',') {
			i++;
			continue;
		}
		if (i + 1 >= len || s[i] != '\r' || s[i + 1] != '\n' || fields != want)
			goto fail;
		i += 2;
		recs++;
		fields = 0;
	}
	return recs;
fail:
	*bad = i;
	return -1;
}

static const struct ev_hdr *recs[256];
static unsigned char recbuf[256][VIGIL_REC_MAX];
static size_t nrecs;

static void to_array(const struct ev_hdr *h)
{
	if (nrecs < 256) {
		memcpy(recbuf[nrecs], h, h->size);
		recs[nrecs] = (const void *)recbuf[nrecs];
		nrecs++;
	}
}

static void test_csv_rfc4180(void)
{
	struct names *names = names_new();
	char *out = NULL;
	size_t len = 0, bad = 0;
	FILE *f = open_memstream(&out, &len);
	long n;

	nrecs = 0;
	synth_sink = to_array;
	fill_hostile();
	struct sink csv;

	CHECK(sink_open(&csv, SINK_RECORDS, "csv", f, NULL, 0) == 0);
	csv.names = names;
	for (size_t i = 0; i < nrecs; i++) {
		names_learn(names, recs[i]);
		CHECK(sink_record(&csv, recs[i]) == 0);
	}
	sink_close(&csv, NULL);
	fclose(f);
	n = csv_strict(out, len, 7, &bad);
	if (n < 0)
		printf("# not RFC 4180 at byte %zu: ...%.60s\n", bad, out + (bad > 40 ? bad - 40 : 0));
	CHECK_EQ_U64(n, nrecs + 1);
	/* a quote in a name is kept, doubled */
	CHECK(strstr(out, ",\"a\"\"b,c\"\"d\",") != NULL);
	names_free(names);
	free(out);
}

/* ---- 6: a record before the header's start -------------------------------------- */

static void test_dump_time_before_start(void)
{
	struct names *names = names_new();
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	nrecs = 0;
	synth_sink = to_array;
	SW_BLOCK(5000000000ull - 1000, 0, 100, 100, 0, 0);   /* 1 us before */
	SW_BLOCK(5000000000ull - 2500000000ull, 0, 100, 100, 0, 0); /* 2.5 s before */
	SW_BLOCK(5000000000ull + 1500000000ull, 0, 100, 100, 0, 0);
	struct sink text;

	CHECK(sink_open(&text, SINK_RECORDS, "text", f, NULL, 0) == 0);
	text.names = names;
	text.t0 = 5000000000ull;
	for (size_t i = 0; i < nrecs; i++)
		CHECK(sink_record(&text, recs[i]) == 0);
	sink_close(&text, NULL);
	fclose(f);
	CHECK(strstr(out, "    -0.000001 cpu=0") == out);
	CHECK(strstr(out, "\n    -2.500000 cpu=0") != NULL);
	CHECK(strstr(out, "\n     1.500000 cpu=0") != NULL);
	names_free(names);
	free(out);
}

/* ---- 4: a target from mid-life on --------------------------------------------- */

/* EV_PROC_LATE (hdr.cpu of a proc record) reaches the report: JSON
 * target_since_s, a note in text. */
static void test_late_target_reported(void)
{
	struct report_meta meta = {.origin_ns = 1000000000ull};
	struct report rep = {.meta = &meta};
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	M = model_new(NULL, NULL);
	nrecs = 0;
	synth_sink = to_array;
	synth_proc(3500000000ull, 300, 1, ROLE_CAMERA, "camera_srv", "launcher\0", 9, 900000000ull);
	synth_proc(1000000000ull, 301, 1, ROLE_ASR, "asr_server", "asr_server\0", 11, 900000000ull);
	((struct ev_hdr *)recbuf[0])->cpu = EV_PROC_LATE;
	SW_BLOCK(3600000000ull, 0, 300, 300, 301, 301);
	for (size_t i = 0; i < nrecs; i++)
		model_event(M, recs[i]);
	model_finish(M);
	rep.agg = model_agg(M);
	f = open_memstream(&out, &len);
	report_write(f, "json", &rep);
	report_write(f, "text", &rep);
	fclose(f);
	CHECK(strstr(out, "\"target_since_s\": 2.5") != NULL);
	CHECK(strstr(out, "note: pid 300 camera_srv (camera) became a target at +2.500 s") != NULL);
	/* only the late one */
	CHECK(strstr(strstr(out, "target_since_s") + 1, "target_since_s") == NULL);
	free(out);
	model_free(M);
}

/* ---- dumps for the shell tests and the fuzz corpus -------------------------- */

/* slow to report, not big: ten processes, a minute of event time between
 * records, so each record has the model evaluate ~60 ticks */
static void fill_big(void)
{
	for (__u32 p = 0; p < 10; p++)
		synth_proc(1000000000ull, 100 + p, 1, ROLE_ASR, "asr_worker", "asr_worker\0", 11, 0);
	for (__u32 i = 0; i < 3000000; i++)
		SW_BLOCK(2000000000ull + (__u64)i * 60 * MODEL_TICK_NS, i % 2, 100 + i % 10, 100 + i % 10, 0, 0);
}

static int make_named(const char *kind, const char *path)
{
	if (!strcmp(kind, "wrap"))
		return make_dump(path, fill_wrap, 1000000000ull);
	if (!strcmp(kind, "hostile"))
		return make_dump(path, fill_hostile, 1000000000ull);
	if (!strcmp(kind, "big"))
		return make_dump(path, fill_big, 1000000000ull);
	fprintf(stderr, "unknown dump kind %s\n", kind);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "--make-dump"))
		return make_named(argv[2], argv[3]) ? 1 : 0;
	signal(SIGALRM, on_alarm);
	alarm(20);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vigil-hostile.XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	RUN(test_model_tick_wrap);
	RUN(test_reader_refuses_end_of_time);
	RUN(test_csv_rfc4180);
	RUN(test_dump_time_before_start);
	RUN(test_late_target_reported);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd))
		return 1;
	CHECK_DONE();
}
