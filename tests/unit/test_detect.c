// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Detectors, through the model: synthetic streams built with the structs of
 * events.h, one per memory or CPU pattern, fed to model_event() in time
 * order.  Each pattern prints its detection delay in event seconds as a
 * '#' line (information, not an assertion on wall time).
 * `test_detect --bench [N]` also prints records/s through agg and the model.
 * Alone: gcc -O1 -g -fsanitize=address,undefined -Wall -Wextra -Werror -Iuser
 *   -Itests/unit tests/unit/test_detect.c user/detect*.c user/model.c user/agg.c
 *   user/hist.c user/config.c user/targets.c user/format.c user/decode.c -lm */
#include <math.h>
#include "check.h"
#include "config.h"
#include "model.h"
#include "detect_core.h"
#include "synth.h"

#define MS (1000ULL * 1000)
#define SEC (1000ULL * MS)
#define MB (1000ULL * 1000)
#define MiB (1024ULL * 1024)

static struct model *M;
static struct vigil_config CFG;

static void fresh_cfg(const struct vigil_config *cfg, unsigned ncpus)
{
	model_free(M);
	M = model_new(cfg, NULL);
	if (!M) {
		printf("FAIL model_new: out of memory\n");
		exit(1);
	}
	agg_set_ncpus(model_agg(M), ncpus);
}

static void fresh(void)
{
	config_defaults(&CFG);
	fresh_cfg(&CFG, 4);
}

static void to_model(const struct ev_hdr *h)
{
	model_event(M, h);
}

/* ---- record builders: synth.h, in the short forms of this file ------------------------ */

static void ev_proc(__u64 ts, __u32 pid, enum vigil_role role, const char *comm)
{
	synth_proc(ts, pid, 1, role, comm, comm, strlen(comm), 0);
}

/* anon RSS (file fixed at 8 MiB, first record sets it) */
static void ev_rss(__u64 ts, __u32 pid, __u64 anon)
{
	synth_rss(ts, pid, 0, 8 * MiB, (__s64)anon, -1, 0);
}

static void ev_brk(__u64 ts, __u32 pid, __u64 old, __u64 newb)
{
	synth_brk(ts, pid, old, newb, newb);
}

/* MAP_PRIVATE | MAP_ANONYMOUS, read-write */
static void ev_mmap(__u64 ts, __u32 pid, __u64 addr, __u64 len)
{
	synth_mmap(ts, pid, len, 3, 0x22, (__s64)addr);
}

static void ev_munmap(__u64 ts, __u32 pid, __u64 addr, __u64 len)
{
	synth_munmap(ts, pid, addr, len, 0);
}

static void ev_wake(__u64 ts, __u32 pid, __u32 tid, __u32 target)
{
	synth_wakeup(ts, target, pid, tid, target);
}

static void ev_comm(__u64 ts, __u32 pid, const char *comm)
{
	synth_comm_rec(ts, pid, pid, comm);
}

static void ev_exit(__u64 ts, __u32 pid)
{
	synth_exit(ts, pid, pid, 0, 1);
}

/* A record far from every process: moves event time on. */
static void tick_to(__u64 ts)
{
	synth_lost(ts, 0, 0);
}

/* ---- reading findings ------------------------------------------------------------- */

static const struct finding *finding_of(__u32 pid, enum finding_kind k)
{
	const struct detector *d = model_detector(M);

	for (size_t i = 0; i < detector_nfindings(d); i++) {
		const struct finding *f = detector_finding(d, i);

		if (f->pid == pid && f->kind == k)
			return f;
	}
	return NULL;
}

static size_t findings_count(void)
{
	return detector_nfindings(model_detector(M));
}

static void show_all(const char *why)
{
	const struct detector *d = model_detector(M);

	for (size_t i = 0; i < detector_nfindings(d); i++) {
		const struct finding *f = detector_finding(d, i);

		printf("  (%s) %s pid %u %s %s since %.1f raised %.1f: %s\n", why, finding_kind_name(f->kind),
		       f->pid, finding_severity_name(f->severity), f->active ? "active" : "inactive",
		       (double)f->since_ts / SEC, (double)f->raised_ts / SEC, f->summary);
	}
}

static void delay_line(const char *pattern, const struct finding *f, __u64 truth_ts)
{
	if (f)
		printf("# %-22s %-10s raised %5.1f s after it began (event time)\n", pattern,
		       finding_kind_name(f->kind), ((double)f->raised_ts - (double)truth_ts) / SEC);
	else
		printf("# %-22s silent\n", pattern);
}

static bool near(double got, double want, double tol)
{
	return fabs(got - want) <= tol * fabs(want);
}

/* small deterministic noise */
static __u64 rng = 0x9e3779b97f4a7c15ULL;
static __u64 rnd(__u64 n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return n ? rng % n : 0;
}

/* ---- leak ----------------------------------------------------------------------------- */

/* 5 MB/s after 30 s flat: a record every 40 ms, with 1 MiB of jitter, the
 * growth in anonymous mappings that are never unmapped. */
static void test_leak_linear(void)
{
	const __u32 pid = 100;
	const __u64 t0 = 31 * SEC, end = 91 * SEC;
	__u64 anon = 300 * MB, addr = 0x7f0000000000ULL, mapped = 0;
	const struct finding *f;

	fresh();
	ev_proc(SEC, pid, ROLE_AVATAR, "render");
	for (__u64 ts = SEC; ts < end; ts += 40 * MS) {
		if (ts >= t0) {
			anon += 200000; /* 5 MB/s */
			while (mapped + 2 * MiB <= anon - 300 * MB) {
				ev_mmap(ts, pid, addr, 2 * MiB);
				addr += 2 * MiB;
				mapped += 2 * MiB;
			}
		}
		ev_rss(ts, pid, anon + rnd(MiB));
	}
	model_finish(M);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL);
	if (!f) {
		show_all("leak_linear");
		return;
	}
	delay_line("leak linear 5 MB/s", f, t0);
	CHECK(f->raised_ts - t0 <= 30 * SEC);
	CHECK(f->since_ts >= t0 - 3 * SEC && f->since_ts <= t0 + 3 * SEC);
	CHECK(near(f->ev.leak.rate_bytes_per_s, 5e6, 0.10));
	CHECK(f->ev.leak.shape == LEAK_LINEAR);
	CHECK(f->active);
	CHECK(near((double)f->ev.leak.anon_map_growth, (double)f->ev.leak.anon_growth, 0.15));
	CHECK(f->ev.leak.rss_from >= 300 * MB && f->ev.leak.rss_from < 310 * MB);
	CHECK(findings_count() == 1);
	printf("#   rate %.2f MB/s (truth 5.00), since %+.1f s, confidence %.2f, %s\n",
	       f->ev.leak.rate_bytes_per_s / 1e6, ((double)f->since_ts - (double)t0) / SEC, f->confidence,
	       f->summary);
}

/* A renderer that keeps a 640x480x3 frame per 40 ms tick from its start
 * (report 001): 23 MB/s. */
static void test_leak_frame_per_tick(void)
{
	const __u32 pid = 107;
	const __u64 t0 = SEC, end = 50 * SEC;
	__u64 anon = 12 * MB;
	const struct finding *f;

	fresh();
	ev_proc(t0, pid, ROLE_AVATAR, "python3");
	for (__u64 ts = t0; ts < end; ts += 40 * MS) {
		ev_mmap(ts, pid, 0x7f0000000000ULL + anon * 2, 921600);
		anon += 921600;
		ev_rss(ts + MS, pid, anon);
	}
	model_finish(M);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL);
	if (!f)
		return;
	delay_line("leak frame per tick", f, t0);
	CHECK(f->raised_ts - t0 <= 30 * SEC);
	CHECK(near(f->ev.leak.rate_bytes_per_s, 921600 / 0.040, 0.10));
	CHECK(f->severity == SEV_CRIT); /* doubles in far less than an hour */
}

/* Tasks that free most of what they take but keep a part (wl_mempattern
 * steps: 96 MB freed, 24 MB kept per 0.8 s task). */
static void test_leak_small_tasks(void)
{
	const __u32 pid = 108;
	const __u64 t0 = SEC, end = 50 * SEC;
	__u64 kept = 20 * MB;
	const struct finding *f;

	fresh();
	ev_proc(t0, pid, ROLE_ASR, "asr_worker");
	for (__u64 ts = t0; ts < end; ts += 800 * MS) {
		kept += 24 * MB;
		ev_rss(ts + 10 * MS, pid, kept + 96 * MB);
		ev_rss(ts + 310 * MS, pid, kept);
	}
	model_finish(M);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL);
	if (!f)
		return;
	delay_line("leak small tasks", f, t0);
	CHECK(f->raised_ts - t0 <= 30 * SEC);
	CHECK(f->ev.leak.shape == LEAK_STEPWISE);
	CHECK(near(f->ev.leak.rate_bytes_per_s, 24e6 / 0.8, 0.15));
	CHECK(finding_of(pid, FIND_RETENTION) == NULL);
}

/* One 15 s task after another, each leaving 300 MB of its 800 MB behind on
 * the brk heap: the floor climbs 600 MB -> 4.5 GB (report 002). */
static void test_leak_stepwise(void)
{
	const __u32 pid = 101;
	const __u64 t0 = 30 * SEC, brk0 = 0x5555000000ULL;
	__u64 floor = 600 * MB, ts = SEC, heap = 0;
	const struct finding *f;

	fresh();
	ev_proc(ts, pid, ROLE_ASR, "rq");
	for (; ts < t0; ts += 100 * MS)
		ev_rss(ts, pid, floor + rnd(MiB));
	for (int task = 0; task < 13; task++) {
		__u64 start = ts;

		ev_brk(ts, pid, brk0 + heap, brk0 + heap + 800 * MB);
		for (; ts < start + 5 * SEC; ts += 100 * MS) /* ramp +800 MB */
			ev_rss(ts, pid, floor + (ts - start) * 800 / 5000 * MB / MS);
		for (; ts < start + 8 * SEC; ts += 100 * MS) /* hold */
			ev_rss(ts, pid, floor + 800 * MB);
		ev_brk(ts, pid, brk0 + heap + 800 * MB, brk0 + heap + 300 * MB);
		heap += 300 * MB;
		for (; ts < start + 10 * SEC; ts += 100 * MS) /* free 500 MB */
			ev_rss(ts, pid, floor + 800 * MB - (ts - start - 8 * SEC) * 500 / 2000 * MB / MS);
		floor += 300 * MB;
		for (; ts < start + 15 * SEC; ts += 100 * MS) /* rest */
			ev_rss(ts, pid, floor + rnd(MiB));
	}
	model_finish(M);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL);
	if (!f) {
		show_all("leak_stepwise");
		return;
	}
	delay_line("leak stepwise", f, t0);
	CHECK(f->ev.leak.shape == LEAK_STEPWISE);
	CHECK(f->ev.leak.steps >= 2);
	CHECK(f->raised_ts - t0 <= 60 * SEC);
	CHECK(f->since_ts >= t0 - 2 * SEC && f->since_ts <= t0 + 5 * SEC);
	CHECK(f->ev.leak.rss_from >= 600 * MB && f->ev.leak.rss_from < 610 * MB);
	CHECK(near(f->ev.leak.rate_bytes_per_s, 300e6 / 15, 0.20));
	CHECK(f->ev.leak.brk_growth >= (__s64)(3000 * MB)); /* the heap is what grows */
	CHECK(f->active);
	CHECK(finding_of(pid, FIND_RETENTION) == NULL || !finding_of(pid, FIND_RETENTION)->active);
	printf("#   %u steps, rate %.1f MB/s (truth 20.0), confidence %.2f, %s\n", f->ev.leak.steps,
	       f->ev.leak.rate_bytes_per_s / 1e6, f->confidence, f->summary);
}

/* ---- healthy memory ---------------------------------------------------------------------- */

/* A model load: +1.5 GB in 10 s (live anonymous mappings), then flat and idle. */
static void test_plateau_silent(void)
{
	const __u32 pid = 102;
	__u64 anon = 50 * MB, addr = 0x7f0000000000ULL;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "python3");
	for (__u64 ts = SEC; ts < 6 * SEC; ts += 100 * MS)
		ev_rss(ts, pid, anon);
	for (__u64 ts = 6 * SEC; ts < 16 * SEC; ts += 100 * MS) {
		ev_mmap(ts, pid, addr, 15 * MB);
		addr += 16 * MB;
		anon += 15 * MB;
		ev_rss(ts + MS, pid, anon);
	}
	for (__u64 ts = 16 * SEC; ts < 180 * SEC; ts += 500 * MS)
		ev_rss(ts, pid, anon + rnd(2 * MiB));
	model_finish(M);
	delay_line("plateau (model load)", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("plateau");
}

/* An ASR task allocating and freeing 200 MB every 4 s. */
static void test_sawtooth_silent(void)
{
	const __u32 pid = 103;
	const __u64 floor = 800 * MB, addr = 0x7f0000000000ULL;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "sensevoice");
	for (__u64 t = SEC; t < 180 * SEC; t += 4 * SEC) {
		ev_mmap(t, pid, addr, 200 * MB);
		for (__u64 ts = t; ts < t + 500 * MS; ts += 50 * MS)
			ev_rss(ts + MS, pid, floor + (ts - t + 50 * MS) * 200 / 500 * MB / MS);
		ev_rss(t + 2 * SEC, pid, floor + 200 * MB + rnd(MiB));
		ev_munmap(t + 2 * SEC + MS, pid, addr, 200 * MB);
		ev_rss(t + 2 * SEC + 2 * MS, pid, floor + rnd(MiB));
	}
	model_finish(M);
	delay_line("sawtooth 200 MB", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("sawtooth");
}

/* A slow task: 200 MB taken over 12 s, then freed; a short rise, not a leak. */
static void test_slow_sawtooth_silent(void)
{
	const __u32 pid = 106;
	const __u64 floor = 400 * MB;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "funasr");
	for (__u64 t = SEC; t < 240 * SEC; t += 20 * SEC) {
		for (__u64 ts = t; ts < t + 12 * SEC; ts += 100 * MS)
			ev_rss(ts, pid, floor + (ts - t) * 200 / 12000 * MB / MS);
		for (__u64 ts = t + 12 * SEC; ts < t + 20 * SEC; ts += 100 * MS)
			ev_rss(ts, pid, floor + rnd(MiB));
	}
	model_finish(M);
	delay_line("slow sawtooth 12 s", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("slow sawtooth");
}

/* Steady malloc/free: the heap moves up and down by tens of MB at random,
 * the process busy all the time. */
static void test_churn_silent(void)
{
	const __u32 pid = 104;
	const __u64 brk0 = 0x5555000000ULL;
	__u64 heap = 64 * MB;

	fresh();
	ev_proc(SEC, pid, ROLE_CAMERA, "camera");
	SW_BLOCK(SEC, 1, 0, 0, pid, pid); /* on CPU all along */
	for (__u64 ts = SEC; ts < 300 * SEC; ts += 50 * MS) {
		__u64 next = 32 * MB + rnd(64 * MB);

		ev_brk(ts, pid, brk0 + heap, brk0 + next);
		heap = next;
		ev_rss(ts + MS, pid, 200 * MB + heap);
		if (rnd(4) == 0) {
			ev_mmap(ts + 2 * MS, pid, 0x7f0000000000ULL, 4 * MB);
			ev_munmap(ts + 3 * MS, pid, 0x7f0000000000ULL, 4 * MB);
		}
	}
	model_finish(M);
	delay_line("churn", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("churn");
}

/* ---- retention ----------------------------------------------------------------------------- */

/* FunASR (report 002): idle at 600 MB, one long file takes the brk heap to
 * +3.9 GB and RSS to 4.5 GB, then idle and flat at 4.5 GB: nothing was
 * handed back. */
static void test_retention_after_task(void)
{
	const __u32 pid = 105;
	const __u64 brk0 = 0x5555000000ULL, task = 20 * SEC, done = 32 * SEC;
	__u64 heap = 0;
	const struct finding *f;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "rq");
	for (__u64 ts = SEC; ts < task; ts += 500 * MS)
		ev_rss(ts, pid, 600 * MB + rnd(MiB));
	SW_BLOCK(task, 1, 0, 0, pid, pid);
	for (__u64 ts = task; ts < done; ts += 100 * MS) { /* busy: grow with churn */
		__u64 want = (ts - task) * 3900 / 12000 * MB / MS;

		ev_brk(ts, pid, brk0 + heap, brk0 + want + 100 * MB);
		heap = want + 100 * MB;
		ev_rss(ts + MS, pid, 600 * MB + want + rnd(50 * MB));
	}
	ev_brk(done, pid, brk0 + heap, brk0 + 4000 * MB);
	ev_brk(done, pid, brk0 + 4000 * MB, brk0 + 3900 * MB);
	ev_rss(done + MS, pid, 4500 * MB);
	SW_BLOCK(done + 2 * MS, 1, pid, pid, 0, 0);
	for (__u64 ts = done + SEC; ts < done + 60 * SEC; ts += SEC)
		ev_rss(ts, pid, 4500 * MB + rnd(MiB));
	model_finish(M);
	f = finding_of(pid, FIND_RETENTION);
	CHECK(f != NULL);
	CHECK(finding_of(pid, FIND_LEAK) == NULL);
	if (!f) {
		show_all("retention");
		return;
	}
	delay_line("retention after task", f, done);
	CHECK(f->raised_ts - done <= 13 * SEC);
	CHECK(f->since_ts >= task - SEC && f->since_ts <= task + SEC); /* the burst */
	CHECK(f->hint && strstr(f->hint, "malloc_trim(0)") && strstr(f->hint, "MALLOC_ARENA_MAX"));
	CHECK(strstr(f->summary, "malloc_trim(0)") != NULL);
	CHECK(f->ev.retention.heap_bytes == 3900 * MB);
	CHECK(f->ev.retention.heap_peak_bytes == 4000 * MB);
	CHECK(near((double)f->ev.retention.retained_bytes, 3900e6, 0.02));
	CHECK(f->ev.retention.floor_bytes >= 600 * MB && f->ev.retention.floor_bytes < 620 * MB);
	CHECK(f->ev.retention.given_back_bytes == 100 * MB); /* the end of the burst trimmed */
	CHECK(f->severity == SEV_CRIT);
	CHECK(f->confidence >= 0.9);
	CHECK(f->active);
	printf("#   %s\n", f->summary);
}

/* A task that grows steadily for 40 s, then idles holding it all: a leak
 * while it grows (nothing tells them apart then), which stops; retention
 * once idle. */
static void test_long_burst(void)
{
	const __u32 pid = 112;
	const __u64 brk0 = 0x5555000000ULL, task = 20 * SEC, done = 60 * SEC;
	const struct finding *leak, *ret;
	__u64 heap = 0;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "rq");
	for (__u64 ts = SEC; ts < task; ts += 500 * MS)
		ev_rss(ts, pid, 600 * MB + rnd(MiB));
	SW_BLOCK(task, 1, 0, 0, pid, pid);
	for (__u64 ts = task; ts < done; ts += 100 * MS) {
		__u64 want = (ts - task) * 2000 / 40000 * MB / MS;

		ev_brk(ts, pid, brk0 + heap, brk0 + want);
		heap = want;
		ev_rss(ts + MS, pid, 600 * MB + want);
	}
	SW_BLOCK(done, 1, pid, pid, 0, 0);
	for (__u64 ts = done; ts < done + 60 * SEC; ts += SEC)
		ev_rss(ts, pid, 600 * MB + heap + rnd(MiB));
	model_finish(M);
	leak = finding_of(pid, FIND_LEAK);
	ret = finding_of(pid, FIND_RETENTION);
	CHECK(leak != NULL && ret != NULL);
	if (!leak || !ret)
		return;
	delay_line("long burst: leak", leak, task);
	delay_line("long burst: retention", ret, done);
	CHECK(!leak->active && strstr(leak->summary, "stopped growing"));
	CHECK(ret->active);
	CHECK(ret->raised_ts - done <= 35 * SEC);
	printf("#   %s\n#   %s\n", leak->summary, ret->summary);
}

/* wl_mempattern retain: a process that fills 375 MiB of brk heap in 64 KB
 * blocks right after it starts, frees all but the top one, and idles. */
static void test_retention_from_start(void)
{
	const __u32 pid = 109;
	const __u64 brk0 = 0x5555000000ULL, t0 = SEC;
	__u64 heap = 0;
	const struct finding *f;

	fresh();
	ev_proc(t0, pid, ROLE_OTHER, "wl_mempattern");
	ev_rss(t0, pid, 1 * MB);
	SW_BLOCK(t0, 2, 0, 0, pid, pid);
	for (__u64 ts = t0 + MS; heap < 375 * MiB; ts += MS) {
		ev_brk(ts, pid, brk0 + heap, brk0 + heap + 640 * 1024);
		heap += 640 * 1024;
		ev_rss(ts, pid, MB + heap);
	}
	SW_BLOCK(t0 + 700 * MS, 2, pid, pid, 0, 0);
	for (__u64 ts = t0 + SEC; ts < t0 + 40 * SEC; ts += 2 * SEC)
		ev_rss(ts, pid, MB + heap + rnd(64 * 1024));
	model_finish(M);
	f = finding_of(pid, FIND_RETENTION);
	CHECK(f != NULL);
	CHECK(finding_of(pid, FIND_LEAK) == NULL);
	if (!f) {
		show_all("retention from start");
		return;
	}
	delay_line("retention from start", f, t0 + 700 * MS);
	CHECK(f->raised_ts - t0 <= 15 * SEC);
	CHECK(f->since_ts <= t0 + 100 * MS);
	printf("#   %s\n", f->summary);
	CHECK(near((double)f->ev.retention.retained_bytes, 375.0 * MiB, 0.02));
}

/* The same rise in live anonymous mappings (a model loaded at start): memory
 * in use, not retained. */
static void test_plateau_from_start_silent(void)
{
	const __u32 pid = 110;
	const __u64 t0 = SEC;
	__u64 anon = MB;

	fresh();
	ev_proc(t0, pid, ROLE_OTHER, "wl_mempattern");
	ev_rss(t0, pid, anon);
	for (int i = 0; i < 40; i++) {
		__u64 ts = t0 + (__u64)i * 50 * MS;

		ev_mmap(ts, pid, 0x7f0000000000ULL + (__u64)i * 16 * MB, 10 * MB + 4096);
		anon += 10 * MB;
		ev_rss(ts + MS, pid, anon);
	}
	for (__u64 ts = t0 + 3 * SEC; ts < t0 + 40 * SEC; ts += 2 * SEC)
		ev_rss(ts, pid, anon + rnd(64 * 1024));
	model_finish(M);
	delay_line("plateau from start", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("plateau from start");
}

/* ---- contention --------------------------------------------------------------------------- */

/* A 30 fps camera thread on CPU 0 that waits behind two hogs in turn. */
static void test_contention_two_aggressors(void)
{
	const __u32 cam = 200, a = 300, b = 301;
	const __u64 frame = 33333333, end = 40 * SEC;
	__u64 behind_a = 0, behind_b = 0, waited = 0;
	__u32 holder = a;
	const struct finding *f;
	int k = 0;

	fresh();
	ev_proc(SEC / 2, cam, ROLE_CAMERA, "dual_camera_web");
	ev_comm(SEC / 2, a, "hog_a");
	ev_comm(SEC / 2, b, "hog_b");
	SW_BLOCK(SEC / 2, 0, 0, 0, a, a);
	for (__u64 t = SEC; t + 2 * frame < end; t += frame, k++) {
		__u64 wait = holder == a ? 12 * MS : 7 * MS;
		__u32 next = k % 2 ? a : b;

		if (k % 25 == 24)
			wait = 45 * MS; /* one frame in 25 misses its deadline... */
		ev_wake(t, cam, cam, 0);
		SW_PREEMPT(t + wait, 0, holder, holder, cam, cam);
		SW_BLOCK(t + wait + 4 * MS, 0, cam, cam, next, next);
		waited += wait;
		if (holder == a)
			behind_a += wait;
		else
			behind_b += wait;
		holder = next;
		if (wait + 4 * MS > frame)
			t += frame; /* ...and the next one */
	}
	model_finish(M);
	f = finding_of(cam, FIND_CONTENTION);
	CHECK(f != NULL);
	if (!f) {
		show_all("contention");
		return;
	}
	delay_line("contention two hogs", f, SEC);
	CHECK(f->raised_ts - SEC <= 12 * SEC);
	CHECK(f->ev.contention.nbehind >= 2);
	CHECK(f->ev.contention.behind[0].pid == a && f->ev.contention.behind[0].ns == behind_a);
	CHECK(f->ev.contention.behind[1].pid == b && f->ev.contention.behind[1].ns == behind_b);
	CHECK_STR(f->ev.contention.behind[0].comm, "hog_a");
	CHECK_STR(f->ev.contention.behind[1].comm, "hog_b");
	CHECK(f->ev.contention.wakeup_wait_ns == waited);
	CHECK(f->ev.contention.preempt_wait_ns == 0);
	CHECK(near(f->ev.contention.wait_share, (double)waited / (double)(waited + (__u64)k * 4 * MS), 0.01));
	CHECK(near(f->ev.contention.p99_ms, 45, 0.06));
	CHECK(f->ev.contention.budget_ms == 33);
	CHECK(f->severity == SEV_CRIT); /* waits 3x its share */
	CHECK(f->active);
	CHECK(finding_of(0, FIND_CONTENTION) == NULL); /* one CPU busy of 4 */
	printf("#   %s\n", f->summary);
}

/* A process that exits mid-episode: its samples are let go at once (a
 * report keeps the entry to the end), and its finding, numbers and all,
 * stays what the last evaluation made it. */
static void test_contention_exit_frees(void)
{
	const __u32 cam = 210, hog = 310;
	const __u64 frame = 33333333, end = 16 * SEC;
	const struct agg_proc *p;
	const struct pstate *s;
	const struct finding *f;
	struct finding then;

	fresh();
	ev_proc(SEC / 2, cam, ROLE_CAMERA, "dual_camera_web");
	ev_comm(SEC / 2, hog, "hog");
	SW_BLOCK(SEC / 2, 0, 0, 0, hog, hog);
	for (__u64 t = SEC; t + frame < end; t += frame) {
		ev_wake(t, cam, cam, 0);
		SW_PREEMPT(t + 20 * MS, 0, hog, hog, cam, cam);
		SW_BLOCK(t + 25 * MS, 0, cam, cam, hog, hog);
	}
	ev_exit(end, cam);
	tick_to(end + 2 * SEC); /* the exit is evaluated */
	f = finding_of(cam, FIND_CONTENTION);
	CHECK(f != NULL);
	p = agg_find(model_agg(M), cam);
	CHECK(p != NULL);
	if (!f || !p)
		return;
	s = detector_state(model_detector(M), p->id);
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK(s->final);
	CHECK(s->cpu.s == NULL && s->cpu.n == 0);
	CHECK(s->mem.s == NULL && s->mem.n == 0);
	CHECK(s->f[FIND_CONTENTION] != NULL && s->f[FIND_CONTENTION]->base == NULL);
	CHECK(!f->active);
	CHECK(f->ev.contention.nbehind >= 1 && f->ev.contention.behind[0].pid == hog);
	CHECK(f->ev.contention.wait_share > 0.5);
	memcpy(&then, f, sizeof(then)); /* padding too: compared with memcmp */
	for (__u64 ts = end + 3 * SEC; ts < end + 30 * SEC; ts += SEC)
		tick_to(ts);
	model_finish(M);
	f = finding_of(cam, FIND_CONTENTION);
	CHECK(f != NULL && !memcmp(f, &then, sizeof(then)));
}

/* The same camera alone on its CPU: woken and running within 50 us. */
static void test_no_contention_silent(void)
{
	const __u32 cam = 201;
	const __u64 frame = 33333333;

	fresh();
	ev_proc(SEC / 2, cam, ROLE_CAMERA, "dual_camera_web");
	SW_BLOCK(SEC / 2, 1, 0, 0, 0, 0);
	for (__u64 t = SEC; t < 60 * SEC; t += frame) {
		ev_wake(t, cam, cam, 1);
		SW_BLOCK(t + 50000, 1, 0, 0, cam, cam);
		SW_BLOCK(t + 50000 + 20 * MS, 1, cam, cam, 0, 0);
	}
	model_finish(M);
	delay_line("no contention", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("no contention");
}

/* Three always-runnable processes on 2 CPUs, rotated every 10 ms: 3 runnable
 * tasks for 2 CPUs, and each waits a third of its runnable time. */
static void test_host_oversubscribed(void)
{
	const __u32 pid[3] = {401, 402, 403};
	const struct finding *f;
	__u64 t = SEC;

	fresh();
	fresh_cfg(&CFG, 2);
	ev_proc(SEC / 2, pid[0], ROLE_ASR, "sensevoice");
	ev_proc(SEC / 2, pid[1], ROLE_ASR, "sensevoice");
	ev_proc(SEC / 2, pid[2], ROLE_ASR, "sensevoice");
	SW_BLOCK(t, 0, 0, 0, pid[0], pid[0]);
	SW_BLOCK(t, 1, 0, 0, pid[1], pid[1]);
	ev_wake(t, pid[2], pid[2], 0);
	for (unsigned s = 0; t < 40 * SEC; s++) {
		__u32 on0 = pid[s % 3], on1 = pid[(s + 1) % 3], waiting = pid[(s + 2) % 3];

		t += 10 * MS;
		SW_PREEMPT(t, 1, on1, on1, waiting, waiting);
		SW_PREEMPT(t, 0, on0, on0, on1, on1);
	}
	model_finish(M);
	f = finding_of(0, FIND_CONTENTION);
	CHECK(f != NULL);
	if (!f) {
		show_all("host");
		return;
	}
	delay_line("host oversubscribed", f, SEC);
	CHECK_STR(f->comm, "[host]");
	CHECK(f->proc_id == 0);
	CHECK(f->ev.contention.ncpus == 2);
	CHECK(near(f->ev.contention.runnable_avg, 3.0, 0.03));
	CHECK(f->severity == SEV_WARN);
	CHECK(f->ev.contention.nbehind == 3);
	CHECK(near(f->ev.contention.wait_share, 1.0 / 3, 0.05));
	for (int i = 0; i < 3; i++) /* and each process, a third of its time waiting */
		CHECK(finding_of(pid[i], FIND_CONTENTION) != NULL);
	printf("#   %s\n", f->summary);
}

/* ---- edge cases ---------------------------------------------------------------------------- */

static void leak_for(__u32 pid, __u64 from, __u64 to, __u64 base, __u64 rate_per_s)
{
	for (__u64 ts = from; ts < to; ts += 100 * MS)
		ev_rss(ts, pid, base + (ts - from) / MS * rate_per_s / 1000);
}

/* The process exits mid-leak: its finding stays, inactive, with the
 * numbers from before the exit (not the teardown's RSS of 0). */
static void test_exit_mid_leak(void)
{
	const __u32 pid = 111;
	const struct finding *f;

	fresh();
	ev_proc(SEC, pid, ROLE_AVATAR, "render");
	leak_for(pid, SEC, 40 * SEC + 500 * MS, 100 * MB, 20 * MB);
	ev_rss(40 * SEC + 600 * MS, pid, 0); /* the address space torn down */
	ev_exit(40 * SEC + 601 * MS, pid);
	for (__u64 ts = 41 * SEC; ts < 80 * SEC; ts += SEC)
		tick_to(ts);
	model_finish(M);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL);
	if (!f)
		return;
	delay_line("exit mid-leak", f, SEC);
	CHECK(!f->active);
	CHECK(f->last_ts <= 40 * SEC + 601 * MS);
	CHECK(f->ev.leak.rss_to > 800 * MB);
	CHECK_EQ_U64(findings_count(), 1);
}

/* pid reuse: a new process with the old pid is not blamed for the old leak. */
static void test_pid_reuse(void)
{
	const __u32 pid = 120;
	const struct finding *f;
	const struct agg_proc *neu;

	fresh();
	ev_proc(SEC, pid, ROLE_ASR, "leaker");
	leak_for(pid, SEC, 40 * SEC, 100 * MB, 20 * MB);
	ev_exit(40 * SEC, pid);
	ev_proc(42 * SEC, pid, ROLE_ASR, "newcomer");
	for (__u64 ts = 42 * SEC; ts < 120 * SEC; ts += 100 * MS)
		ev_rss(ts, pid, 500 * MB + rnd(MiB));
	model_finish(M);
	neu = agg_find(model_agg(M), pid);
	f = finding_of(pid, FIND_LEAK);
	CHECK(f != NULL && neu != NULL);
	if (!f || !neu)
		return;
	CHECK(f->proc_id != neu->id);
	CHECK_STR(f->comm, "leaker");
	CHECK(!f->active);
	CHECK_EQ_U64(findings_count(), 1);
	delay_line("pid reuse (old leak)", f, SEC);
}

/* Short lives: a process that swells to 800 MB and exits within 3 s, a
 * 0.5 s burst of waiting, a whole stream shorter than min_duration_s. */
static void test_short_runs_silent(void)
{
	fresh();
	ev_proc(SEC, 130, ROLE_ASR, "oneshot");
	leak_for(130, SEC, 4 * SEC, 10 * MB, 260 * MB);
	ev_exit(4 * SEC, 130);
	/* runnable 0.5 s, 90 % of it waiting behind a hog */
	ev_proc(5 * SEC, 131, ROLE_CAMERA, "camera");
	ev_comm(5 * SEC, 302, "hog");
	SW_BLOCK(5 * SEC, 0, 0, 0, 302, 302);
	for (__u64 t = 5 * SEC; t < 5 * SEC + 500 * MS; t += 10 * MS) {
		ev_wake(t, 131, 131, 0);
		SW_PREEMPT(t + 9 * MS, 0, 302, 302, 131, 131);
		SW_BLOCK(t + 10 * MS - 1, 0, 131, 131, 302, 302);
	}
	ev_exit(6 * SEC, 131);
	for (__u64 ts = 6 * SEC; ts < 60 * SEC; ts += SEC)
		tick_to(ts);
	model_finish(M);
	delay_line("short runs", NULL, 0);
	CHECK_EQ_U64(findings_count(), 0);
	if (findings_count())
		show_all("short");

	/* a stream of 12 s growing at 50 MB/s: too short to call */
	fresh();
	ev_proc(SEC, 132, ROLE_ASR, "brief");
	leak_for(132, SEC, 13 * SEC, 10 * MB, 50 * MB);
	model_finish(M);
	CHECK_EQ_U64(findings_count(), 0);
}

/* A live run evaluates between records (model_advance) and a report of its
 * dump does not: the same records give the same findings. */
static void run_mixed(bool live)
{
	fresh();
	ev_proc(SEC, 140, ROLE_AVATAR, "render");
	for (__u64 ts = SEC; ts < 60 * SEC; ts += 100 * MS) {
		ev_rss(ts, 140, 100 * MB + (ts - SEC) / MS * 10 * MB / 1000);
		if (live && ts % (300 * MS) == 0)
			model_advance(M, ts + 50 * MS);
	}
	model_finish(M);
}

static void test_live_equals_replay(void)
{
	char a[FINDING_SUMMARY_LEN], b[FINDING_SUMMARY_LEN];
	__u64 raised;

	run_mixed(false);
	CHECK(findings_count() == 1);
	if (findings_count() != 1)
		return;
	memcpy(a, detector_finding(model_detector(M), 0)->summary, sizeof(a));
	raised = detector_finding(model_detector(M), 0)->raised_ts;
	run_mixed(true);
	CHECK(findings_count() == 1);
	if (findings_count() != 1)
		return;
	memcpy(b, detector_finding(model_detector(M), 0)->summary, sizeof(b));
	CHECK_STR(a, b);
	CHECK_EQ_U64(detector_finding(model_detector(M), 0)->raised_ts, raised);
}

/* ---- robustness and cost -------------------------------------------------------------------- */

static void fuzz_one(__u64 ts)
{
	__u32 pid = 1 + (__u32)rnd(12), cpu = (__u32)rnd(4);

	switch (rnd(9)) {
	case 0: ev_proc(ts, pid, (enum vigil_role)rnd(ROLE_COUNT), "fz"); break;
	case 1: case 2: ev_rss(ts, pid, rnd(4) ? rnd(8 * MB) * 64 : 0); break;
	case 3: ev_brk(ts, pid, 0x1000000 + rnd(64) * MB, 0x1000000 + rnd(64) * MB); break;
	case 4: ev_mmap(ts, pid, 0x7f0000000000ULL + rnd(32) * 4 * MB, rnd(8 * MB)); break;
	case 5: ev_munmap(ts, pid, 0x7f0000000000ULL + rnd(32) * 4 * MB, rnd(8 * MB)); break;
	case 6: ev_wake(ts, pid, pid + (__u32)rnd(2) * 100, cpu); break;
	case 7:
		synth_switch(ts, cpu, pid, pid, (__u32)rnd(2), (__u32)rnd(2), 1 + (__u32)rnd(12), 1 + (__u32)rnd(12));
		break;
	case 8: if (!rnd(20)) ev_exit(ts, pid); else ev_comm(ts, 500 + pid, "h"); break;
	}
}

/* Random streams with reused pids, exits and disorder: nothing crashes
 * (ASan/UBSan) and every finding is well-formed. */
static void test_fuzz(void)
{
	struct agg_limits lim = {.max_procs = 8, .max_exited = 2, .rss_points = 4, .rss_step_ns = 10 * MS};
	__u64 ts = SEC;

	config_defaults(&CFG);
	CFG.leak.min_duration_s = 2;
	CFG.leak.min_growth_bytes = 1 * MB;
	CFG.leak.window_s = 3;
	CFG.retention.idle_s = 1;
	CFG.retention.min_retained_bytes = MB;
	CFG.contention.window_s = 2;
	CFG.contention.min_runnable_s = 0.01;
	model_free(M);
	M = model_new(&CFG, &lim);
	for (int i = 0; i < 300000; i++) {
		ts += rnd(300 * 1000);
		fuzz_one(rnd(20) ? ts : ts - rnd(2 * MS));
		if (i % 50000 == 0)
			model_set_reap(M, i % 100000 ? 0 : 1);
	}
	model_finish(M);
	for (size_t i = 0; i < findings_count(); i++) {
		const struct finding *f = detector_finding(model_detector(M), i);

		CHECK(f->kind < FIND_KIND_COUNT);
		CHECK(f->confidence >= 0 && f->confidence <= 1);
		CHECK(f->since_ts <= f->raised_ts && f->raised_ts <= f->last_ts);
		CHECK(memchr(f->summary, 0, sizeof(f->summary)) != NULL);
		CHECK(f->ev.contention.nbehind <= FINDING_BEHIND_MAX || f->kind != FIND_CONTENTION);
	}
	printf("# fuzz: %zu findings, %zu dropped\n", findings_count(), detector_dropped(model_detector(M)));
}

/* nproc processes with memory and scheduler records, n records spread
 * evenly over span of event time. */
static size_t bench_build(struct rec_buf *b, size_t n, __u32 nproc, __u64 span)
{
	__u64 step = span / n, ts = SEC;
	__u64 rss[1024];

	for (__u32 p = 0; p < nproc; p++) {
		struct ev_proc *e = rb_push(b, sizeof(*e));

		synth_hdr(&e->h, EV_PROC, sizeof(*e), ts, 0, 1000 + p, 1000 + p);
		e->role = (__u16)(p % ROLE_COUNT);
		snprintf(e->comm, sizeof(e->comm), "proc%u", p);
		rss[p] = 100 * MB;
	}
	for (size_t i = 0; i < n; i++) {
		__u32 p = (__u32)rnd(nproc), pid = 1000 + p, cpu = (__u32)rnd(8), r = (__u32)rnd(100);

		ts += step;
		if (r < 45) {
			struct ev_switch *e = rb_push(b, sizeof(*e));
			__u32 q = 1000 + (__u32)rnd(nproc);

			synth_hdr(&e->h, EV_SWITCH, sizeof(*e), ts, cpu, pid, pid);
			e->next_pid = e->next_tid = q;
			e->flags = r < 15 ? EV_SWITCH_PREEMPT : 0;
			e->prev_state = r < 15 ? 0 : 1;
		} else if (r < 70) {
			struct ev_wakeup *e = rb_push(b, sizeof(*e));

			synth_hdr(&e->h, EV_WAKEUP, sizeof(*e), ts, cpu, pid, pid);
			e->target_cpu = cpu;
		} else if (r < 90) {
			struct ev_faults *e = rb_push(b, sizeof(*e));

			synth_hdr(&e->h, EV_FAULTS, sizeof(*e), ts, cpu, pid, pid);
			e->count = 1 + (__u32)rnd(50);
		} else {
			struct ev_rss *e = rb_push(b, sizeof(*e));

			rss[p] = rss[p] + rnd(4 * MB) - 2 * MB + (p % 4 == 0 ? MB / 8 : 0);
			synth_hdr(&e->h, EV_RSS, sizeof(*e), ts, cpu, pid, 0);
			e->file = e->swap = e->shmem = -1;
			e->anon = (__s64)rss[p];
		}
	}
	return n + nproc;
}

/* records/s through agg alone and through the model (best of 3) */
static void bench(size_t n, __u32 nproc, __u64 span)
{
	struct rec_buf b = {0};
	size_t count = bench_build(&b, n, nproc, span);
	double best[2] = {0, 0};

	for (int round = 0; round < 6; round++) {
		int with_model = round % 2;
		struct agg *a = with_model ? NULL : agg_new(NULL);
		double t0;

		fresh();
		t0 = now_s();
		for (size_t off = 0; off < b.len;) {
			const struct ev_hdr *h = (const struct ev_hdr *)(b.p + off);

			if (with_model)
				model_event(M, h);
			else
				agg_event(a, h);
			off += h->size;
		}
		if (with_model)
			model_finish(M);
		else
			agg_settle(a, 0);
		t0 = (double)count / (now_s() - t0);
		if (t0 > best[with_model])
			best[with_model] = t0;
		agg_free(a);
	}
	printf("bench: %zu records, %u processes, %.0f s of event time: agg %.2f M/s, model %.2f M/s "
	       "(%zu findings)\n", count, nproc, (double)span / SEC, best[0] / 1e6, best[1] / 1e6, findings_count());
	free(b.p);
}

/* The sample ring grows as samples come and, once full, drops the oldest;
 * the order and the contents are those of a ring allocated whole. */
/* ---- compact CPU samples ------------------------------------------------------------------ */

/* What a sample held when it kept the full coarse table: the reference the
 * compact sample must answer exactly. */
struct full_sample {
	__u32 h[CH_N];
	__u32 nwb, wb_pid[AGG_WB_TOP];
	__u64 wb_ns[AGG_WB_TOP];
};

static void full_of(struct full_sample *f, const struct agg_proc *p)
{
	memset(f, 0, sizeof(*f));
	for (unsigned i = 0; i < HIST_NBUCKETS; i++)
		f->h[i >> CH_SHIFT] += (__u32)hist_bucket_count(&p->runq, i);
	f->nwb = p->nwb;
	for (__u32 i = 0; i < p->nwb; i++) {
		f->wb_pid[i] = p->wb[i].pid;
		f->wb_ns[i] = p->wb[i].ns;
	}
}

static __u64 full_base_ns(const struct full_sample *f, __u32 pid)
{
	for (__u32 i = 0; i < f->nwb; i++)
		if (f->wb_pid[i] == pid)
			return f->wb_ns[i];
	return 0;
}

/* The p99 as computed over two full tables. */
static double full_p99(const struct full_sample *cur, const struct full_sample *base, __u64 n)
{
	__u64 rank = (__u64)ceil(0.99 * (double)n), cum = 0;

	if (!n)
		return 0;
	for (unsigned c = 0; c < CH_N; c++) {
		cum += (__u32)(cur->h[c] - base->h[c]);
		if (cum >= rank)
			return ch_bucket_mid(c);
	}
	return 0;
}

static void same_as_full(const struct cpu_sample *c, const struct full_sample *f)
{
	__u32 bad = 0;

	for (unsigned i = 0; i < CH_N; i++)
		bad += cpu_bucket(c, i) != f->h[i];
	CHECK_EQ_U64(bad, 0);
	CHECK_EQ_U64(c->nwb, f->nwb);
	for (__u32 pid = 0; pid < 40; pid++)
		CHECK_EQ_U64(cpu_base_ns(c, pid), full_base_ns(f, pid));
}

static void set_holders(struct agg_proc *p, __u32 n, __u32 first_pid, __u64 ns)
{
	p->nwb = n;
	for (__u32 i = 0; i < n; i++) {
		p->wb[i].pid = first_pid + i;
		p->wb[i].ns = ns * (i + 1);
	}
}

/* The compact sample (kept octaves, existing holders) gives the numbers the
 * full table gave, while the histogram widens below and above, holders
 * come and go, a sample is refilled, and a ring slot is reused. */
static void test_cpu_sample_compact(void)
{
	struct agg_proc p;
	struct cpu_sample a = {0}, b = {0}, c = {0}, *copy = calloc(1, sizeof(*copy));
	struct full_sample fa, fb, fc;
	struct ring r;

	memset(&p, 0, sizeof(p));
	CHECK(copy != NULL);
	if (!copy)
		return;
	/* nothing seen yet: no block needed, every bucket 0 */
	CHECK(cpu_sample_fill(&a, NULL, &p, SEC) == 0);
	full_of(&fa, &p);
	same_as_full(&a, &fa);
	CHECK_EQ_U64(a.hnoct, 0);

	for (int i = 0; i < 500; i++)
		hist_record(&p.runq, 200 * 1000 + rnd(3 * MS)); /* 0.2-3.2 ms */
	set_holders(&p, 5, 10, MS);
	CHECK(cpu_sample_fill(&a, &a, &p, 2 * SEC) == 0); /* a refill that grows the block */
	full_of(&fa, &p);
	same_as_full(&a, &fa);
	CHECK(a.hnoct > 0 && a.hnoct < HIST_NOCT);

	/* no wait since a: b's histogram is a's, copied, not folded */
	set_holders(&p, AGG_WB_TOP, 20, 2 * MS);
	CHECK(cpu_sample_fill(&b, &a, &p, 3 * SEC) == 0);
	full_of(&fb, &p);
	same_as_full(&b, &fb);

	/* octaves below and above the stored ones; holders shrink to 3 */
	for (int i = 0; i < 300; i++)
		hist_record(&p.runq, i % 3 ? 40 + rnd(20) : 400 * MS + rnd(400 * MS));
	set_holders(&p, 3, 21, 5 * MS);
	CHECK(cpu_sample_fill(&c, &b, &p, 4 * SEC) == 0);
	full_of(&fc, &p);
	same_as_full(&c, &fc);
	CHECK(c.hlo < a.hlo && c.hlo + c.hnoct > a.hlo + a.hnoct);

	/* windows between any two, both ways round (a base past cur wraps as
	 * the full table's did) */
	for (__u64 n = 1; n <= 800; n += 37) {
		CHECK(cpu_coarse_p99(&c, &a, n) == full_p99(&fc, &fa, n));
		CHECK(cpu_coarse_p99(&c, &b, n) == full_p99(&fc, &fb, n));
		CHECK(cpu_coarse_p99(&b, &a, n) == full_p99(&fb, &fa, n));
		CHECK(cpu_coarse_p99(&a, &c, n) == full_p99(&fa, &fc, n));
	}
	CHECK(cpu_coarse_p99(&c, &a, 300) > 300 * MS); /* the new long waits are the tail */

	/* an episode base outlives the sample it was copied from */
	CHECK(cpu_sample_copy(copy, &c) == 0);
	CHECK(cpu_sample_fill(&c, &c, &p, 5 * SEC) == 0);
	set_holders(&p, 1, 99, 1);
	hist_record(&p.runq, 7);
	CHECK(cpu_sample_fill(&c, &a, &p, 6 * SEC) == 0);
	same_as_full(copy, &fc);
	CHECK(cpu_sample_copy(copy, &a) == 0); /* a smaller one into the same block */
	same_as_full(copy, &fa);

	/* a reused ring slot keeps its block, a new slot comes zeroed */
	CHECK(ring_init(&r, 2, sizeof(struct cpu_sample)) == 0);
	for (int i = 0; i < 5; i++) {
		struct cpu_sample *s = ring_push_reuse(&r);

		if (i < 2)
			CHECK(s->data == NULL && s->room == 0);
		else
			CHECK(s->data != NULL && s->room > 0);
		CHECK(cpu_sample_fill(s, r.n >= 2 ? ring_at(&r, r.n - 2) : NULL, &p, (__u64)i * SEC) == 0);
	}
	full_of(&fc, &p);
	same_as_full(ring_last(&r), &fc);
	cpu_ring_free(&r);

	cpu_sample_free(copy);
	free(a.data);
	free(b.data);
	free(c.data);
	hist_free(&p.runq);
}

static void test_ring_grows(void)
{
	struct ring r;

	CHECK(ring_init(&r, 5, sizeof(__u64)) == 0);
	CHECK(r.alloc < 5);
	for (__u64 v = 1; v <= 12; v++) {
		*(__u64 *)ring_push(&r) = v;
		CHECK(r.alloc <= r.cap);
		CHECK_EQ_U64(r.n, v < 5 ? v : 5);
		for (__u32 i = 0; i < r.n; i++) /* oldest first: v-n+1 .. v */
			CHECK_EQ_U64(*(__u64 *)ring_at(&r, i), v - r.n + 1 + i);
		CHECK_EQ_U64(*(__u64 *)ring_last(&r), v);
	}
	CHECK_EQ_U64(r.alloc, 5);
	free(r.s);
}

int main(int argc, char **argv)
{
	synth_sink = to_model;
	RUN(test_ring_grows);
	RUN(test_cpu_sample_compact);
	RUN(test_leak_linear);
	RUN(test_leak_frame_per_tick);
	RUN(test_leak_small_tasks);
	RUN(test_leak_stepwise);
	RUN(test_plateau_silent);
	RUN(test_sawtooth_silent);
	RUN(test_slow_sawtooth_silent);
	RUN(test_churn_silent);
	RUN(test_retention_after_task);
	RUN(test_retention_from_start);
	RUN(test_long_burst);
	RUN(test_plateau_from_start_silent);
	RUN(test_contention_two_aggressors);
	RUN(test_no_contention_silent);
	RUN(test_contention_exit_frees);
	RUN(test_host_oversubscribed);
	RUN(test_exit_mid_leak);
	RUN(test_pid_reuse);
	RUN(test_short_runs_silent);
	RUN(test_live_equals_replay);
	RUN(test_fuzz);
	if (argc > 1 && !strcmp(argv[1], "--bench")) {
		size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000000;

		bench(n, 64, 4 * SEC);      /* dense: 5 M records per second of event time */
		bench(n, 64, 3600 * SEC);   /* an hour of 64 processes */
		bench(n, 512, 3600 * SEC);  /* an hour of 512 processes */
	}
	model_free(M);
	CHECK_DONE();
}
