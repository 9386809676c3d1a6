// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The exposition of `vigil serve` (sink_metrics.c) over a model fed with
 * synthetic streams whose totals are known: values in base units, the
 * run-queue histogram's cumulative buckets, the findings, label escaping,
 * one series per pid, and the shape both formats need (a family's header
 * before its samples, OpenMetrics' names and "# EOF"). */
#include <math.h>
#include "check.h"
#include "config.h"
#include "model.h"
#include "sink_metrics.h"
#include "synth.h"

#define US 1000ULL
#define MS (1000ULL * US)
#define SEC (1000ULL * MS)
#define MB (1000ULL * 1000)
#define MiB (1024ULL * 1024)

static struct model *M;

static void to_model(const struct ev_hdr *h)
{
	model_event(M, h);
}

static char *render(bool om)
{
	static const struct metrics_self self = {.events = 12345, .lost = 0, .cpu_s = 1.5, .rss_bytes = 4096};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CHECK(f != NULL);
	CHECK(metrics_write(f, M, &self, om) == 0);
	fclose(f);
	return buf;
}

/* The value of the one sample line that starts with prefix; NAN when
 * there is none, and a failed check when there are several. */
static double sample(const char *text, const char *prefix)
{
	double v = NAN;
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, prefix, strlen(prefix)))
			continue;
		const char *eol = strchr(l, '\n'), *sp = l;
		for (const char *p = l; p < eol; p++)
			if (*p == ' ')
				sp = p;
		v = strtod(sp + 1, NULL);
		n++;
	}
	CHECK(n <= 1);
	return v;
}

static int count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		n += !strncmp(l, prefix, strlen(prefix));
	return n;
}

/* pid 100 runs three times on CPU 0 after waits of 1 us, 5 us and 2 ms;
 * 3 + 1 + 2 ms on the CPU; it blocks each time (voluntary switches). */
static void feed_cpu(void)
{
	const __u64 wait[3] = {1 * US, 5 * US, 2 * MS}, run[3] = {3 * MS, 1 * MS, 2 * MS};

	synth_proc(SEC, 100, 1, ROLE_ASR, "a\"b\\c\n", "asr", 3, 0);
	for (int i = 0; i < 3; i++) {
		__u64 t = (__u64)(i + 2) * SEC;
		synth_wakeup(t, 0, 100, 100, 0);
		SW_BLOCK(t + wait[i], 0, 0, 0, 100, 100);
		SW_BLOCK(t + wait[i] + run[i], 0, 100, 100, 0, 0);
	}
	synth_faults(5 * SEC, 100, 42);
	synth_brk(5 * SEC, 100, 0x1000000, 0x1000000, 0x1000000); /* the break first seen */
	synth_brk(5 * SEC + 1, 100, 0x1000000, 0x1100000, 0x1100000); /* + 1 MiB */
	synth_rss(5 * SEC, 100, 100, 8 * MiB, 3 * MiB, -1, 0);
}

static void fresh(void)
{
	struct vigil_config cfg;

	model_free(M);
	config_defaults(&cfg);
	M = model_new(&cfg, NULL);
	if (!M) {
		printf("FAIL model_new: out of memory\n");
		exit(1);
	}
	agg_set_ncpus(model_agg(M), 2);
	synth_sink = to_model;
}

#define P100 "{pid=\"100\",comm=\"a\\\"b\\\\c?\",role=\"asr\""

static void test_process_values(void)
{
	fresh();
	feed_cpu();
	model_finish(M);
	char *t = render(false);

	CHECK(fabs(sample(t, "vigil_process_cpu_seconds_total" P100 "}") - 0.006) < 1e-12);
	CHECK(fabs(sample(t, "vigil_process_runqueue_wait_seconds_total" P100 "}") - 0.002006) < 1e-12);
	CHECK(sample(t, "vigil_process_context_switches_total" P100 ",kind=\"voluntary\"}") == 3);
	CHECK(sample(t, "vigil_process_context_switches_total" P100 ",kind=\"involuntary\"}") == 0);
	CHECK(sample(t, "vigil_process_page_faults_total" P100 "}") == 42);
	CHECK(sample(t, "vigil_process_resident_bytes" P100 "}") == 11 * MiB);
	CHECK(sample(t, "vigil_process_heap_bytes" P100 "}") == MiB);
	CHECK(sample(t, "vigil_events_total ") == 12345);
	CHECK(sample(t, "vigil_cpu_seconds_total ") == 1.5);
	CHECK(sample(t, "vigil_resident_bytes ") == 4096);
	CHECK(sample(t, "vigil_processes ") == 1);
	free(t);
}

/* cumulative, exact at the octave edges: 1 us < 1024 ns, 5 us < 16384 ns,
 * 2 ms < 4194304 ns */
static void test_histogram(void)
{
	static const struct {
		const char *le;
		int n;
	} want[] = {{"1.023e-06", 1}, {"4.095e-06", 1}, {"1.6383e-05", 2}, {"6.5535e-05", 2}, {"0.000262143", 2},
		    {"0.001048575", 2}, {"0.004194303", 3}, {"1.073741823", 3}, {"+Inf", 3}};
	char prefix[256];

	fresh();
	feed_cpu();
	model_finish(M);
	char *t = render(false);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(prefix, sizeof(prefix), "vigil_process_runqueue_latency_seconds_bucket" P100 ",le=\"%s\"}",
			 want[i].le);
		double v = sample(t, prefix);
		if (v != want[i].n)
			printf("#   %s: %g, want %d\n", want[i].le, v, want[i].n);
		CHECK(v == want[i].n);
	}
	CHECK_EQ_U64(count_lines(t, "vigil_process_runqueue_latency_seconds_bucket" P100), 12);
	CHECK(sample(t, "vigil_process_runqueue_latency_seconds_count" P100 "}") == 3);
	CHECK(fabs(sample(t, "vigil_process_runqueue_latency_seconds_sum" P100 "}") - 0.002006) < 1e-12);
	free(t);
}

/* A pid whose exited entry is still kept when the pid is reused: one
 * series, the live process's. */
static void test_one_series_per_pid(void)
{
	fresh();
	synth_proc(SEC, 200, 1, ROLE_CAMERA, "old", "old", 3, 0);
	synth_faults(2 * SEC, 200, 7);
	synth_exit(3 * SEC, 200, 200, 0, 1);
	synth_proc(6 * SEC, 200, 1, ROLE_CAMERA, "new", "new", 3, 0);
	synth_faults(7 * SEC, 200, 9);
	model_finish(M);
	char *t = render(false);
	CHECK_EQ_U64(count_lines(t, "vigil_process_page_faults_total{pid=\"200\""), 1);
	CHECK(sample(t, "vigil_process_page_faults_total{pid=\"200\",comm=\"new\"") == 9);
	free(t);
}

/* 5 MB/s of anonymous mappings after 30 s flat: the leak detector's case,
 * exported while it is active. */
static void test_findings(void)
{
	const __u32 pid = 300;
	__u64 anon = 300 * MB, addr = 0x7f0000000000ULL, mapped = 0;

	fresh();
	synth_proc(SEC, pid, 1, ROLE_AVATAR, "render", "render", 6, 0);
	for (__u64 ts = SEC; ts < 91 * SEC; ts += 40 * MS) {
		if (ts >= 31 * SEC) {
			anon += 200000;
			while (mapped + 2 * MiB <= anon - 300 * MB) {
				synth_mmap(ts, pid, 2 * MiB, 3, 0x22, (__s64)addr);
				addr += 2 * MiB;
				mapped += 2 * MiB;
			}
		}
		synth_rss(ts, pid, pid, 8 * MiB, (__s64)anon, -1, 0);
	}
	model_advance(M, 91 * SEC);
	agg_settle(model_agg(M), 0);
	char *t = render(false);
	CHECK(count_lines(t, "vigil_findings{kind=\"leak\",severity=\"") == 1);
	CHECK(strstr(t, ",pid=\"300\",comm=\"render\",role=\"avatar\"} 1") != NULL);
	CHECK(count_lines(t, "vigil_findings{kind=\"contention\"") == 0);
	free(t);
	/* the process exits: the finding ends and leaves the exposition */
	synth_exit(92 * SEC, pid, pid, 0, 1);
	model_advance(M, 95 * SEC);
	t = render(false);
	CHECK(count_lines(t, "vigil_findings{") == 0);
	free(t);
}

/* Every sample follows its family's TYPE; OpenMetrics names a counter's
 * family without _total, declares units and ends with # EOF. */
static void test_shape(void)
{
	fresh();
	feed_cpu();
	model_finish(M);
	for (int om = 0; om <= 1; om++) {
		char *t = render(om);
		char family[128] = "";

		for (char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			if (!strncmp(l, "# TYPE ", 7)) {
				sscanf(l + 7, "%127s", family);
				continue;
			}
			if (*l == '#')
				continue;
			CHECK(family[0] && !strncmp(l, family, strlen(family)));
			if (!family[0] || strncmp(l, family, strlen(family)))
				printf("#   %.60s outside %s\n", l, family);
		}
		if (om) {
			CHECK(strstr(t, "# TYPE vigil_process_cpu_seconds counter\n# UNIT vigil_process_cpu_seconds seconds\n"));
			CHECK(strlen(t) > 6 && !strcmp(t + strlen(t) - 6, "# EOF\n"));
		} else {
			CHECK(strstr(t, "# TYPE vigil_process_cpu_seconds_total counter\n"));
			CHECK(!strstr(t, "# EOF"));
			CHECK(!strstr(t, "# UNIT"));
		}
		/* the two kinds of switches are one family: one header */
		CHECK_EQ_U64(count_lines(t, "# TYPE vigil_process_context_switches"), 1);
		free(t);
	}
}

static void test_accept(void)
{
	CHECK(metrics_wants_openmetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
					"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
	CHECK(metrics_wants_openmetrics("text/plain;q=0.5, application/openmetrics-text; version=1.0.0"));
	CHECK(!metrics_wants_openmetrics("text/plain;version=0.0.4"));
	CHECK(!metrics_wants_openmetrics("application/openmetrics-text;q=0"));
	CHECK(!metrics_wants_openmetrics("*/*"));
	CHECK(!metrics_wants_openmetrics(NULL));
}

int main(void)
{
	RUN(test_process_values);
	RUN(test_histogram);
	RUN(test_one_series_per_pid);
	RUN(test_findings);
	RUN(test_shape);
	RUN(test_accept);
	model_free(M);
	CHECK_DONE();
}
