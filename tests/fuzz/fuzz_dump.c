// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* libFuzzer target: one input is one dump file, taken the whole way a user
 * would take it: open -> read every record -> model and detectors -> the
 * report in every format -> `vigil dump` printing, text and CSV.  Any
 * crash, sanitizer report, leak or hang (libFuzzer's -timeout, 30 s) is a finding.
 *
 *   make fuzz                       long run on tests/fuzz/corpus (FUZZ_ARGS=...)
 *   bash tests/fuzz/run.sh 60       the bounded run tests/run.sh does */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agg.h"
#include "detect.h"
#include "dump_read.h"
#include "model.h"
#include "print.h"
#include "sink.h"
#include "report.h"

static int memfd = -1;
static char path[64];
static FILE *sink;

static void report_all(struct model *m, struct dump_reader *r, int complete)
{
	struct detector *d = model_detector(m);
	size_t n = detector_nfindings(d);
	const struct finding **fs = calloc(n ? n : 1, sizeof(*fs));
	struct report_meta meta = {0};
	struct report_dump ds = {.path = path, .complete = complete};
	struct report rep = {.agg = model_agg(m), .findings = fs, .nfindings = n, .meta = &meta};
	static const char *const fmts[] = {"text", "json", "json", "md"};

	if (!fs)
		return;
	for (size_t i = 0; i < n; i++)
		fs[i] = detector_finding(d, i);
	rep.findings_dropped = detector_dropped(d);
	ds.error = complete ? NULL : dump_reader_error(r);
	ds.events = dump_reader_totals(r)->events;
	report_meta_from_host(&meta, dump_reader_host(r));
	meta.title = path;
	meta.dump = &ds;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		meta.one_line = i == 2;
		report_write(sink, fmts[i], &rep);
	}
	free(fs);
}

static void report_pass(void)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	struct model *m;
	char err[512];
	int rc;

	if (dump_reader_open(&r, path, err, sizeof(err)))
		return;
	m = model_new(NULL, NULL);
	if (m) {
		agg_set_ncpus(model_agg(m), dump_reader_host(r)->ncpus);
		while ((rc = dump_reader_next(r, &h)) == 1)
			model_event(m, h);
		model_finish(m);
		report_all(m, r, rc == 0);
		model_free(m);
	}
	dump_reader_close(r);
}

static void dump_pass(void)
{
	struct dump_reader *r;
	const struct ev_hdr *h;
	struct names *names = names_new();
	char err[512];

	if (names && !dump_reader_open(&r, path, err, sizeof(err))) {
		struct sink text, csv;

		sink_open(&text, SINK_RECORDS, "text", sink, NULL, 0);
		sink_open(&csv, SINK_RECORDS, "csv", sink, NULL, 0);
		text.t0 = csv.t0 = dump_reader_host(r)->mono_ns;
		text.names = csv.names = names;
		while (dump_reader_next(r, &h) == 1) {
			names_learn(names, h);
			sink_record(&text, h);
			sink_record(&csv, h);
		}
		sink_close(&text, NULL);
		sink_close(&csv, NULL);
		dump_reader_close(r);
	}
	names_free(names);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (memfd < 0) {
		memfd = memfd_create("vigil-fuzz", MFD_CLOEXEC);
		sink = fopen("/dev/null", "w");
		if (memfd < 0 || !sink)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	}
	if (ftruncate(memfd, 0) || (size && pwrite(memfd, data, size, 0) != (ssize_t)size))
		abort();
	report_pass();
	dump_pass();
	return 0;
}
