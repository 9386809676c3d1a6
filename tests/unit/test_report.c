// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* report: an agg built from a small synthetic stream plus hand-made
 * findings (the detectors are tested on their own); the JSON must parse
 * (strict reader in json_check.h) and hold the contract's keys with the
 * stream's numbers; text and Markdown must show the findings and never let
 * a control character through. */
#include <errno.h>
#include <math.h>
#include <sys/wait.h>
#include "check.h"
#include "json_check.h"
#include "agg.h"
#include "decode.h"
#include "detect.h"
#include "report.h"
#include "sink.h"
#include "synth.h"

#define US 1000ULL
#define MS (1000ULL * US)
#define SEC (1000ULL * MS)
#define T0 (1000 * SEC) /* trace origin (dump clock base) */

static struct agg *A;
static __u64 fed; /* records given to the agg */

static void feed(const struct ev_hdr *h)
{
	agg_event(A, h);
	fed++;
}

/* ---- record builders: synth.h, in the short forms of this file ------------------------ */

/* comm may fill all 16 bytes; pid 100 started 2 s before the trace */
static void ev_proc(__u64 ts, __u32 pid, enum vigil_role role, const char *comm, const char *cmd, size_t cmdlen)
{
	synth_proc(ts, pid, 1, role, comm, cmd, cmdlen, pid == 100 ? T0 - 2 * SEC : 0);
}

static void ev_wake(__u64 ts, __u32 pid, __u32 tid, __u32 target)
{
	synth_wakeup(ts, 0, pid, tid, target);
}

static void ev_comm(__u64 ts, __u32 pid, const char *comm)
{
	synth_comm_rec(ts, pid, pid, comm);
}

/* MAP_PRIVATE | MAP_ANONYMOUS */
static void ev_mmap(__u64 ts, __u32 pid, __u64 len, __s64 ret)
{
	synth_mmap(ts, pid, len, 0, 0x22, ret);
}

static void ev_munmap(__u64 ts, __u32 pid, __u64 addr, __u64 len)
{
	synth_munmap(ts, pid, addr, len, 0);
}

static void ev_brk(__u64 ts, __u32 pid, __u64 old, __u64 newb)
{
	synth_brk(ts, pid, old, newb, newb);
}

/* file and anon; swap and shmem not reported */
static void ev_rss(__u64 ts, __u32 pid, __s64 file, __s64 anon)
{
	synth_rss(ts, pid, 0, file, anon, -1, -1);
}

static void ev_exit(__u64 ts, __u32 pid, __s32 code)
{
	synth_exit(ts, pid, pid, code, 1);
}

static void ev_lost(__u64 ts, __u64 count)
{
	synth_lost(ts, 2, count);
}

/* Hostile names: an escape sequence, table pipes, backticks, a C1 CSI,
 * invalid UTF-8, a bidi override, Markdown emphasis. */
#define CAM_COMM "cam\x1b[31m|`x`"
#define CAM_CMD "./dual_camera_websocket_server --cfg a|b `rm -rf` *bold* \xe2\x80\xae gnp.exe"
#define AV_COMM "\xff\xfe\xc2\x9b" "2J\xe4\xb8\xad\xe6\x96\x87" /* 15 bytes incl. 中文 */
#define HOLDER_COMM "evil|\n\x1b]0;"
#define LONG_CMD "rq worker --url redis://localhost:6379/0 --name asr-long-files-worker-01 --with-scheduler high default low"

/* The stream: an ASR worker waits behind a hog on CPU 1 and grows; a
 * camera and an avatar with hostile names; two workers exit. */
static void build_model(void)
{
	static const char asr_cmd[] = "python3\0asr_server.py\0--model\0sensevoice";

	agg_free(A);
	A = agg_new(NULL);
	fed = 0;
	agg_set_ncpus(A, 4);
	ev_proc(T0 + 1 * MS, 100, ROLE_ASR, "python3", asr_cmd, sizeof(asr_cmd));
	ev_proc(T0 + 1 * MS, 200, ROLE_CAMERA, CAM_COMM, CAM_CMD, strlen(CAM_CMD));
	ev_proc(T0 + 1 * MS, 300, ROLE_AVATAR, AV_COMM, "python3 dh_live.py", 18);
	ev_proc(T0 + 1 * MS, 400, ROLE_ASR, "rq", LONG_CMD, strlen(LONG_CMD));
	ev_proc(T0 + 1 * MS, 401, ROLE_OTHER, "sh", "sh -c true", 10);
	ev_comm(T0 + 1 * MS, 500, "hog");

	/* CPU: the hog on CPU 1; the ASR thread waits 7 us after a wakeup
	 * and 4 us after a preemption: 11 us behind the hog, 1 us on CPU */
	SW_BLOCK(T0 + 1 * SEC, 1, 0, 0, 500, 500);
	ev_wake(T0 + 1 * SEC + 2000, 100, 101, 1);
	SW_PREEMPT(T0 + 1 * SEC + 9000, 1, 500, 500, 100, 101);
	SW_PREEMPT(T0 + 1 * SEC + 10000, 1, 100, 101, 500, 500);
	SW_PREEMPT(T0 + 1 * SEC + 14000, 1, 500, 500, 100, 101);
	SW_BLOCK(T0 + 1 * SEC + 15000, 1, 100, 101, 500, 500); /* blocks: voluntary */

	/* memory of the ASR worker */
	synth_faults(T0 + 1100 * MS, 100, 3);
	synth_faults(T0 + 1200 * MS, 100, 4);
	ev_mmap(T0 + 1300 * MS, 100, 8192, 0x7f0000000000LL);
	ev_mmap(T0 + 1310 * MS, 100, 4096, 0x7f0000100000LL);
	ev_munmap(T0 + 1400 * MS, 100, 0x7f0000100000ULL, 4096);
	ev_brk(T0 + 1500 * MS, 100, 0x1000000, 0x1100000);
	ev_rss(T0 + 1600 * MS, 100, 20 << 20, 100 << 20);  /* 120M */
	ev_rss(T0 + 2600 * MS, 100, -1, 150 << 20);        /* 170M: peak */
	ev_rss(T0 + 3600 * MS, 100, -1, 130 << 20);        /* 150M: end */

	/* two exits: by a signal, and with status 3 */
	synth_faults(T0 + 1700 * MS, 400, 1);
	ev_exit(T0 + 1800 * MS, 400, 9);
	ev_exit(T0 + 1900 * MS, 401, 3 << 8);
	ev_lost(T0 + 2 * SEC, 5);
	synth_faults(T0 + 4 * SEC, 200, 2); /* the last record: 4 s after the origin */
	agg_settle(A, 0);
}

static struct finding F[4];
static const struct finding *FP[4];

static void build_findings(void)
{
	memset(F, 0, sizeof(F));
	/* listed in an order the report must change: warn first */
	F[0].kind = FIND_CONTENTION;
	F[0].severity = SEV_WARN;
	F[0].pid = 200;
	F[0].role = ROLE_CAMERA;
	memcpy(F[0].comm, CAM_COMM, strlen(CAM_COMM));
	F[0].since_ts = T0 + 2 * SEC;
	F[0].raised_ts = F[0].last_ts = T0 + 3 * SEC;
	F[0].active = true;
	snprintf(F[0].summary, sizeof(F[0].summary), "camera waits 40%% of its runnable time | p99 48 ms > 33 ms\x1b[0m");
	F[0].ev.contention.wait_share = 0.4;
	F[0].ev.contention.p99_ms = 48;
	F[0].ev.contention.budget_ms = 33;
	F[0].ev.contention.wakeup_wait_ns = 1200 * MS;
	F[0].ev.contention.preempt_wait_ns = 300 * MS;
	F[0].ev.contention.nwaits = 12;
	F[0].ev.contention.from_ts = T0 + 2 * SEC;
	F[0].ev.contention.to_ts = T0 + 3 * SEC;
	F[0].ev.contention.nbehind = 2;
	F[0].ev.contention.behind[0].pid = 100;
	strcpy(F[0].ev.contention.behind[0].comm, "python3");
	F[0].ev.contention.behind[0].ns = 900 * MS;
	F[0].ev.contention.behind[1].pid = 666;
	memcpy(F[0].ev.contention.behind[1].comm, HOLDER_COMM, strlen(HOLDER_COMM));
	F[0].ev.contention.behind[1].ns = 100 * MS;

	F[1].kind = FIND_LEAK;
	F[1].severity = SEV_CRIT;
	F[1].pid = 100;
	F[1].role = ROLE_ASR;
	strcpy(F[1].comm, "python3");
	F[1].since_ts = T0 + 1500 * MS;
	F[1].raised_ts = T0 + 3 * SEC;
	F[1].last_ts = T0 + 4 * SEC;
	F[1].active = true;
	F[1].confidence = 0.9;
	snprintf(F[1].summary, sizeof(F[1].summary), "RSS grows 50 MB/min and never returns");
	F[1].ev.leak.shape = LEAK_LINEAR;
	F[1].ev.leak.rate_bytes_per_s = 873813.3;
	F[1].ev.leak.rss_from = 120 << 20;
	F[1].ev.leak.rss_to = 150 << 20;
	F[1].ev.leak.anon_map_growth = 30 << 20;
	F[1].ev.leak.brk_growth = -4096;
	F[1].hint = "bound the frame queue";

	F[2].kind = FIND_RETENTION;
	F[2].severity = SEV_WARN;
	F[2].pid = 300;
	F[2].role = ROLE_AVATAR;
	memcpy(F[2].comm, AV_COMM, strlen(AV_COMM));
	F[2].since_ts = T0 + 3 * SEC;
	snprintf(F[2].summary, sizeof(F[2].summary), "2.9 GB kept by the allocator after the burst");
	F[2].ev.retention.rss_bytes = 3500ULL << 20;
	F[2].ev.retention.floor_bytes = 600ULL << 20;
	F[2].ev.retention.retained_bytes = 2900ULL << 20;
	F[2].ev.retention.heap_bytes = 2800ULL << 20;
	F[2].ev.retention.idle_s = 30;

	F[3].kind = FIND_CONTENTION; /* a host finding */
	F[3].severity = SEV_CRIT;
	F[3].pid = 0;
	F[3].since_ts = T0 + 500 * MS; /* before the first record: since_s from the origin */
	F[3].active = false;
	snprintf(F[3].summary, sizeof(F[3].summary), "6.9 runnable tasks on 4 CPUs");
	F[3].ev.contention.runnable_avg = 6.9;
	F[3].ev.contention.ncpus = 4;
	for (int i = 0; i < 4; i++)
		FP[i] = &F[i];
}

static struct report_meta M;
static struct report_dump D;

static void build_meta(void)
{
	memset(&M, 0, sizeof(M));
	M.title = "/tmp/rec\x1b[2J.vgl";
	M.kernel = "6.1.0-test";
	M.arch = "x86";
	M.hostname = "edge\x07" "box";
	M.ncpus = 4;
	M.page_size = 4096;
	M.pf_source = "tracepoint";
	M.origin_ns = T0;
	M.real_ns = 1736510401ULL * SEC + 123 * MS;
	memset(&D, 0, sizeof(D));
	D.path = "/tmp/rec.vgl";
	D.complete = true;
	D.chunks = 1;
	D.events = fed;
}

/* the whole report in memory */
static char *render(const char *fmt, size_t *len)
{
	struct report r = {.agg = A, .findings = FP, .nfindings = 4, .meta = &M};
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	CHECK(report_write(f, fmt, &r) == 0);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static bool parse(const char *buf, size_t n, struct jv *v)
{
	char err[160];
	bool ok = json_parse(buf, n, v, err, sizeof(err));
	if (!ok)
		printf("  JSON does not parse: %s\n", err);
	return ok;
}

static const struct jv *proc_by_pid(const struct jv *doc, unsigned pid)
{
	const struct jv *ps = jv_get(doc, "processes");

	for (size_t i = 0; ps && ps->type == JV_ARR && i < ps->n; i++) {
		const struct jv *p = jv_get(&ps->kids[i], "pid");
		if (p && p->type == JV_NUM && p->num == pid)
			return &ps->kids[i];
	}
	return NULL;
}

static bool near(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fabs(b);
}

struct key_type {
	const char *path;
	enum jv_type t;
};

/* Every key of keys[n] is in v with its type; what is not is named, with
 * `what` and its index k when v is an element of an array. */
static void check_keys(const struct jv *v, const struct key_type *keys, size_t n, const char *what, size_t k)
{
	for (size_t i = 0; i < n; i++) {
		bool ok = jv_is(v, keys[i].path, keys[i].t);
		CHECK(ok);
		if (ok)
			continue;
		if (what)
			printf("  %s %zu: missing or mistyped: %s\n", what, k, keys[i].path);
		else
			printf("  missing or mistyped: %s\n", keys[i].path);
	}
}

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* Every key design.md requires, with its type. */
static void check_contract(const struct jv *doc)
{
	static const struct key_type top[] = {
		{"vigil_report", JV_NUM}, {"duration_s", JV_NUM}, {"host", JV_OBJ}, {"host.kernel", JV_STR},
		{"host.arch", JV_STR}, {"host.ncpus", JV_NUM}, {"events", JV_OBJ}, {"events.total", JV_NUM},
		{"events.lost", JV_NUM}, {"events.by_type", JV_OBJ}, {"processes", JV_ARR}, {"findings", JV_ARR},
	}, proc[] = {
		{"pid", JV_NUM}, {"comm", JV_STR}, {"cmdline", JV_STR}, {"role", JV_STR}, {"cpu", JV_OBJ},
		{"cpu.on_cpu_ns", JV_NUM}, {"cpu.runq_wait_ns", JV_NUM}, {"cpu.runq_latency_us", JV_OBJ},
		{"cpu.runq_latency_us.count", JV_NUM}, {"cpu.runq_latency_us.p50", JV_NUM},
		{"cpu.runq_latency_us.p90", JV_NUM}, {"cpu.runq_latency_us.p99", JV_NUM},
		{"cpu.runq_latency_us.max", JV_NUM}, {"cpu.switches.voluntary", JV_NUM},
		{"cpu.switches.involuntary", JV_NUM}, {"cpu.waited_behind", JV_ARR}, {"mem", JV_OBJ},
		{"mem.page_faults", JV_NUM}, {"mem.mmap.calls", JV_NUM}, {"mem.mmap.bytes", JV_NUM},
		{"mem.munmap.calls", JV_NUM}, {"mem.munmap.bytes", JV_NUM}, {"mem.brk.calls", JV_NUM},
		{"mem.brk.growth_bytes", JV_NUM}, {"mem.rss_start_bytes", JV_NUM}, {"mem.rss_end_bytes", JV_NUM},
		{"mem.rss_peak_bytes", JV_NUM},
	}, fnd[] = {
		{"kind", JV_STR}, {"pid", JV_NUM}, {"comm", JV_STR}, {"role", JV_STR}, {"severity", JV_STR},
		{"since_s", JV_NUM}, {"summary", JV_STR}, {"evidence", JV_OBJ},
	};
	check_keys(doc, top, NKEYS(top), NULL, 0);
	CHECK(jv_num(doc, "vigil_report") == 1);
	CHECK(jv_get(doc, "duration_s")->is_float);
	/* every event type by its decode.h name; the site records only when the
	 * trace sampled sites, which these fixtures do not */
	for (unsigned t = 1; t < EV_TYPE_MAX; t++)
		CHECK(jv_is(doc, "events.by_type", JV_OBJ) &&
		      !jv_get(jv_get(doc, "events.by_type"), ev_type_name(t)) == (t >= EV_SITE_RAW));
	const struct jv *ps = jv_get(doc, "processes"), *fs = jv_get(doc, "findings");
	for (size_t k = 0; ps && k < ps->n; k++) {
		const struct jv *p = &ps->kids[k];
		check_keys(p, proc, NKEYS(proc), "process", k);
		const char *role = jv_str(p, "role");
		CHECK(role && (!strcmp(role, "asr") || !strcmp(role, "avatar") || !strcmp(role, "camera") ||
			       !strcmp(role, "other")));
		const struct jv *wb = jv_get(p, "cpu.waited_behind");
		for (size_t w = 0; wb && w < wb->n; w++)
			CHECK(jv_is(&wb->kids[w], "pid", JV_NUM) && jv_is(&wb->kids[w], "comm", JV_STR) &&
			      jv_is(&wb->kids[w], "ns", JV_NUM));
		/* F-typed values are written as floats */
		CHECK(jv_get(p, "cpu.runq_latency_us.p50")->is_float && jv_get(p, "cpu.runq_latency_us.max")->is_float);
	}
	for (size_t k = 0; fs && k < fs->n; k++) {
		const struct jv *f = &fs->kids[k];
		check_keys(f, fnd, NKEYS(fnd), "finding", k);
		const char *kind = jv_str(f, "kind"), *sev = jv_str(f, "severity");
		CHECK(kind && (!strcmp(kind, "leak") || !strcmp(kind, "retention") || !strcmp(kind, "contention")));
		CHECK(sev && (!strcmp(sev, "warn") || !strcmp(sev, "crit")));
	}
}

/* the stream, the findings and the metadata every rendering test starts from */
static void build_all(void)
{
	build_model();
	build_findings();
	build_meta();
}

static bool terminal_safe(const char *s, size_t n);

static void test_json_contract(void)
{
	size_t n;
	struct jv doc;

	build_all();
	char *buf = render("json", &n);
	CHECK(parse(buf, n, &doc));
	check_contract(&doc);
	free(buf);
	jv_free(&doc);
}

static void test_json_numbers(void)
{
	size_t n;
	struct jv doc;

	build_all();
	char *buf = render("json", &n);
	/* JSON escapes C1 and bidi controls too: safe to cat */
	CHECK(terminal_safe(buf, n));
	if (!parse(buf, n, &doc)) {
		CHECK(0);
		free(buf);
		return;
	}
	/* from the origin (T0) to the last record, T0 + 4 s */
	CHECK(jv_num(&doc, "duration_s") == 4.0);
	CHECK_STR(jv_str(&doc, "host.kernel"), "6.1.0-test");
	CHECK_STR(jv_str(&doc, "host.arch"), "x86");
	CHECK(jv_num(&doc, "host.ncpus") == 4);
	CHECK_STR(jv_str(&doc, "start.wall"), "2025-01-10T12:00:01.123Z");
	CHECK(jv_num(&doc, "events.total") == (double)fed);
	CHECK(jv_num(&doc, "events.lost") == 5);
	CHECK(jv_num(&doc, "events.by_type.switch") == 5);
	CHECK(jv_num(&doc, "events.by_type.proc") == 5);
	CHECK(jv_num(&doc, "events.by_type.faults") == 4);
	CHECK(jv_num(&doc, "events.by_type.lost") == 1);
	CHECK(jv_num(&doc, "events.by_type.mremap") == 0);

	const struct jv *p = proc_by_pid(&doc, 100);
	CHECK(p != NULL);
	CHECK_STR(jv_str(p, "comm"), "python3");
	CHECK_STR(jv_str(p, "cmdline"), "python3 asr_server.py --model sensevoice");
	CHECK_STR(jv_str(p, "role"), "asr");
	CHECK(jv_num(p, "cpu.on_cpu_ns") == 2000);
	CHECK(jv_num(p, "cpu.runq_wait_ns") == 11000);
	CHECK(jv_num(p, "cpu.runq_latency_us.count") == 2);
	CHECK(near(jv_num(p, "cpu.runq_latency_us.p50"), 4.0, 0.02));
	CHECK(near(jv_num(p, "cpu.runq_latency_us.p99"), 7.0, 0.02));
	CHECK(jv_num(p, "cpu.runq_latency_us.max") == 7.0);
	CHECK(jv_num(p, "cpu.runq_latency_wakeup_us.count") == 1);
	CHECK(jv_num(p, "cpu.runq_latency_preempt_us.max") == 4.0);
	CHECK(jv_num(p, "cpu.switches.voluntary") == 1);
	CHECK(jv_num(p, "cpu.switches.involuntary") == 1);
	CHECK(jv_num(p, "cpu.waited_behind.0.pid") == 500);
	CHECK_STR(jv_str(p, "cpu.waited_behind.0.comm"), "hog");
	CHECK(jv_num(p, "cpu.waited_behind.0.ns") == 11000);
	CHECK(jv_num(p, "mem.page_faults") == 7);
	CHECK(jv_num(p, "mem.mmap.calls") == 2);
	CHECK(jv_num(p, "mem.mmap.bytes") == 12288);
	CHECK(jv_num(p, "mem.munmap.calls") == 1);
	CHECK(jv_num(p, "mem.munmap.bytes") == 4096);
	CHECK(jv_num(p, "mem.brk.calls") == 1);
	CHECK(jv_num(p, "mem.brk.growth_bytes") == 0x100000);
	CHECK(jv_num(p, "mem.rss_start_bytes") == 120 << 20);
	CHECK(jv_num(p, "mem.rss_peak_bytes") == 170 << 20);
	CHECK(jv_num(p, "mem.rss_end_bytes") == 150 << 20);
	CHECK(jv_num(p, "mem.rss_peak_s") == 2.6);
	CHECK(jv_get(p, "exited")->type == JV_BOOL && !jv_get(p, "exited")->b);
	CHECK(jv_num(p, "start_s") == -2.0); /* started before the trace */
	CHECK(!jv_get(proc_by_pid(&doc, 200), "start_s"));
	CHECK(jv_get(p, "mem.rss_series.points")->n == 3);
	CHECK(jv_num(p, "mem.rss_series.points.2.3") == 150 << 20);

	/* exited processes are in, with how they ended */
	const struct jv *q = proc_by_pid(&doc, 400);
	CHECK(q && jv_get(q, "exited")->b && jv_num(q, "exit_signal") == 9 && !jv_get(q, "exit_status"));
	q = proc_by_pid(&doc, 401);
	CHECK(q && jv_get(q, "exited")->b && jv_num(q, "exit_status") == 3 && jv_num(q, "exit_code") == 768);
	CHECK_STR(jv_str(q, "role"), "other");

	/* hostile strings come back byte for byte where valid UTF-8... */
	q = proc_by_pid(&doc, 200);
	CHECK_STR(jv_str(q, "comm"), "cam?[31m|`x`"); /* agg shows control bytes as '?' */
	CHECK_STR(jv_str(q, "cmdline"), CAM_CMD);
	CHECK_STR(jv_str(q, "role"), "camera");
	/* ...and with U+FFFD where not */
	q = proc_by_pid(&doc, 300);
	CHECK_STR(jv_str(q, "comm"), "\xef\xbf\xbd\xef\xbf\xbd\xc2\x9b" "2J\xe4\xb8\xad\xe6\x96\x87");

	/* findings, most severe first: host (crit, inactive) after the active crit leak */
	CHECK(jv_get(&doc, "findings")->n == 4);
	CHECK_STR(jv_str(&doc, "findings.0.kind"), "leak");
	CHECK_STR(jv_str(&doc, "findings.0.severity"), "crit");
	CHECK(jv_num(&doc, "findings.0.pid") == 100);
	CHECK_STR(jv_str(&doc, "findings.0.role"), "asr");
	CHECK(jv_num(&doc, "findings.0.since_s") == 1.5);
	CHECK_STR(jv_str(&doc, "findings.0.summary"), "RSS grows 50 MB/min and never returns");
	CHECK_STR(jv_str(&doc, "findings.0.evidence.shape"), "linear");
	CHECK(jv_num(&doc, "findings.0.evidence.anon_map_growth_bytes") == 30 << 20);
	CHECK(jv_num(&doc, "findings.0.evidence.brk_growth_bytes") == -4096);
	CHECK_STR(jv_str(&doc, "findings.1.scope"), "host");
	CHECK(jv_num(&doc, "findings.1.since_s") == 0.5);
	CHECK_STR(jv_str(&doc, "findings.2.kind"), "contention"); /* warn, since 2 s */
	CHECK_STR(jv_str(&doc, "findings.2.comm"), CAM_COMM);
	CHECK(jv_num(&doc, "findings.2.evidence.budget_ms") == 33);
	CHECK(jv_num(&doc, "findings.2.evidence.behind.0.pid") == 100);
	CHECK_STR(jv_str(&doc, "findings.2.evidence.behind.1.comm"), HOLDER_COMM);
	CHECK_STR(jv_str(&doc, "findings.3.kind"), "retention");
	/* retention always carries the allocator hint; a detector's own hint wins */
	CHECK(jv_is(&doc, "findings.3.hint", JV_STR) && strstr(jv_str(&doc, "findings.3.hint"), "malloc_trim"));
	CHECK_STR(jv_str(&doc, "findings.0.hint"), "bound the frame queue");
	CHECK(jv_is(&doc, "findings.2.hint", JV_NULL));
	CHECK(jv_num(&doc, "findings.2.evidence.waits") == 12);
	CHECK(jv_num(&doc, "findings.2.evidence.from_s") == 2.0 && jv_num(&doc, "findings.2.evidence.to_s") == 3.0);
	CHECK(jv_num(&doc, "findings_dropped") == 0);
	free(buf);
	jv_free(&doc);
}

/* Damaged dump: the report says so, where, and how much it covers. */
static void test_damaged_dump(void)
{
	size_t n;
	struct jv doc;

	build_all();
	D.complete = false;
	D.error = "chunk 3: payload CRC mismatch";
	D.offset = 123456;
	M.dump = &D;
	char *buf = render("json", &n);
	CHECK(parse(buf, n, &doc));
	CHECK(jv_get(&doc, "dump.complete")->type == JV_BOOL && !jv_get(&doc, "dump.complete")->b);
	CHECK_STR(jv_str(&doc, "dump.error"), "chunk 3: payload CRC mismatch");
	CHECK(jv_num(&doc, "dump.offset") == 123456);
	CHECK(jv_num(&doc, "dump.events") == (double)fed);
	check_contract(&doc);
	jv_free(&doc);
	free(buf);
	buf = render("text", NULL);
	CHECK(strstr(buf, "DAMAGED at offset 123456") != NULL);
	free(buf);
	buf = render("md", NULL);
	CHECK(strstr(buf, "offset 123456") != NULL);
	free(buf);

	D.complete = true;
	D.error = NULL;
	buf = render("json", &n);
	CHECK(parse(buf, n, &doc));
	CHECK(jv_get(&doc, "dump.complete")->b && jv_is(&doc, "dump.error", JV_NULL));
	jv_free(&doc);
	free(buf);
	M.dump = NULL;
}

/* Nothing that a terminal would interpret: C0 (but '\n'), DEL, C1, bidi
 * overrides, invalid UTF-8. */
static bool terminal_safe(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)s + i;
		size_t l = jp_raw_utf8(u, n - i);
		if (u[0] < 0x80) {
			if ((u[0] < 0x20 && u[0] != '\n') || u[0] == 0x7f) {
				printf("  raw byte 0x%02x at %zu\n", u[0], i);
				return false;
			}
			i++;
			continue;
		}
		if (!l) {
			printf("  invalid UTF-8 at %zu\n", i);
			return false;
		}
		if (u[0] == 0xc2 && u[1] < 0xa0) {
			printf("  C1 control at %zu\n", i);
			return false;
		}
		if (l == 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] >= 0xaa && u[2] <= 0xae) {
			printf("  bidi override at %zu\n", i);
			return false;
		}
		i += l;
	}
	return true;
}

static void test_text(void)
{
	size_t n;

	build_all();
	char *buf = render("text", &n);
	CHECK(terminal_safe(buf, n));
	CHECK(strstr(buf, "FINDINGS (4") != NULL);
	CHECK(strstr(buf, "RSS grows 50 MB/min and never returns") != NULL);
	CHECK(strstr(buf, "2.9 GB kept by the allocator after the burst") != NULL);
	CHECK(strstr(buf, "malloc_trim") != NULL);
	CHECK(strstr(buf, "- hint: bound the frame queue\n") != NULL);
	CHECK(strstr(buf, "- run-queue p99 48.0ms (budget 33.0ms)\n") != NULL);
	CHECK(strstr(buf, "python3[100]") != NULL);
	/* most severe first: the leak comes before the retention */
	CHECK(strstr(buf, "CRIT  leak") && strstr(buf, "WARN  retention") &&
	      strstr(buf, "CRIT  leak") < strstr(buf, "WARN  retention"));
	/* role sections in order, the exited worker listed */
	char *asr = strstr(buf, "\nasr: "), *av = strstr(buf, "\navatar: "), *cam = strstr(buf, "\ncamera: "),
	     *oth = strstr(buf, "\nother: ");
	CHECK(asr && av && cam && oth && asr < av && av < cam && cam < oth);
	CHECK(strstr(buf, "sig 9") != NULL);
	CHECK(strstr(buf, "exit 3") != NULL);
	CHECK(strstr(buf, "lost 5") != NULL);
	CHECK(strstr(buf, "hog[500] 11us\n") != NULL);
	free(buf);
}

/* Markdown tables: every row has as many unescaped pipes as its header,
 * whatever the names contain. */
static bool md_tables_ok(const char *s)
{
	int want = -1;

	for (const char *line = s; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len && line[0] == '|') {
			int pipes = 0;
			for (size_t i = 0; i < len; i++)
				if (line[i] == '|' && (i == 0 || line[i - 1] != '\\'))
					pipes++;
			if (want < 0)
				want = pipes;
			else if (pipes != want) {
				printf("  table row with %d cells instead of %d: %.*s\n", pipes, want, (int)len, line);
				return false;
			}
		} else {
			want = -1;
		}
		line += len + (nl != NULL);
	}
	return true;
}

static void test_markdown(void)
{
	size_t n;

	build_all();
	char *buf = render("md", &n);
	CHECK(terminal_safe(buf, n));
	CHECK(md_tables_ok(buf));
	CHECK(strstr(buf, "## vigil report") == buf);
	CHECK(strstr(buf, "measured by the kernel via BPF tracepoints") != NULL);
	CHECK(strstr(buf, "### Findings") != NULL);
	CHECK(strstr(buf, "RSS grows 50 MB/min and never returns") != NULL);
	CHECK(strstr(buf, "### Role asr") && strstr(buf, "### Role avatar") && strstr(buf, "### Role camera") &&
	      strstr(buf, "### Role other"));
	CHECK(strstr(buf, "| 4 |") != NULL); /* CPUs */
	CHECK(strstr(buf, "| events the kernel lost | 5 |") != NULL);
	/* the camera's backticks get a longer fence, its pipes escaped */
	CHECK(strstr(buf, "`` cam?[31m\\|`x` ``") != NULL);
	CHECK(strstr(buf, "*bold*") == NULL || strstr(buf, "`") != NULL);
	/* a long command line is cut at 80 bytes, and says so */
	CHECK(strstr(buf, "`rq worker --url redis://localhost:6379/0 --name asr-long-files-worker-01 --with-` \xe2\x80\xa6 | sig 9") != NULL);
	CHECK(strstr(buf, "`python3 asr_server.py --model sensevoice` |") != NULL);
	/* a summary's pipe is escaped in the findings table */
	CHECK(strstr(buf, "runnable time \\| p99") != NULL);
	free(buf);
}

/* One line per interval: the interval's counters, only what lived in it. */
static void test_interval_line(void)
{
	size_t n;
	struct jv doc;

	build_all();
	__u64 before = fed;
	agg_interval_reset(A, 0); /* at T0 + 4 s */
	synth_faults(T0 + 4500 * MS, 100, 10);
	ev_mmap(T0 + 4600 * MS, 100, 4096, 0x7f0000200000LL);
	SW_BLOCK(T0 + 4700 * MS, 1, 0, 0, 500, 500);
	ev_wake(T0 + 4700 * MS + 1000, 100, 101, 1);
	SW_PREEMPT(T0 + 4700 * MS + 3000, 1, 500, 500, 100, 101); /* 2 us wait */
	SW_BLOCK(T0 + 5 * SEC, 1, 100, 101, 0, 0);
	agg_settle(A, 0);
	M.interval = true;
	M.elapsed_s = 5;
	M.one_line = true;
	char *buf = render("json", &n);
	M.one_line = false;
	CHECK(n > 1 && buf[n - 1] == '\n' && memchr(buf, '\n', n - 1) == NULL);
	CHECK(parse(buf, n, &doc));
	check_contract(&doc);
	CHECK_STR(jv_str(&doc, "span"), "interval");
	CHECK(jv_num(&doc, "duration_s") == 1.0);
	CHECK(jv_num(&doc, "elapsed_s") == 5);
	CHECK(jv_num(&doc, "events.total") == (double)(fed - before));
	CHECK(jv_num(&doc, "events.lost") == 0);
	CHECK(jv_num(&doc, "events.by_type.switch") == 3);
	const struct jv *p = proc_by_pid(&doc, 100);
	CHECK(p != NULL);
	CHECK(jv_num(p, "mem.page_faults") == 10);
	CHECK(jv_num(p, "mem.mmap.calls") == 1);
	CHECK(jv_num(p, "cpu.runq_wait_ns") == 2000);
	CHECK(jv_num(p, "cpu.runq_latency_us.count") == 1);
	CHECK(jv_num(p, "cpu.waited_behind.0.ns") == 2000);
	CHECK(jv_num(p, "cpu.switches.voluntary") == 1);
	CHECK(jv_num(p, "mem.rss_end_bytes") == 150 << 20); /* a gauge */
	CHECK(!jv_get(p, "mem.rss_series")); /* the series only in the trace report */
	CHECK(proc_by_pid(&doc, 400) == NULL); /* exited before the interval */
	CHECK(proc_by_pid(&doc, 200) != NULL);
	CHECK(jv_get(&doc, "findings")->n == 4);
	jv_free(&doc);
	free(buf);
	M.interval = false;
}

/* An empty model, no findings, no meta at all: still a complete document. */
static void test_empty(void)
{
	struct report r = {0};
	struct jv doc;
	char *buf = NULL;
	size_t n = 0;

	agg_free(A);
	A = agg_new(NULL);
	r.agg = A;
	/* every report format the sink table has, JSON also on one line */
	static const char *const fmts[] = {"text", "json", "json", "md"};
	struct report_meta m = {0};
	r.meta = &m;
	for (int i = 0; i < 4; i++) {
		const char *fmt = fmts[i];
		FILE *f = open_memstream(&buf, &n);
		m.one_line = i == 2;
		CHECK(report_write(f, fmt, &r) == 0);
		fclose(f);
		if (!strcmp(fmt, "json")) {
			CHECK(parse(buf, n, &doc));
			check_contract(&doc);
			CHECK(jv_num(&doc, "duration_s") == 0 && jv_get(&doc, "processes")->n == 0);
			CHECK(jv_is(&doc, "start.wall", JV_NULL));
			jv_free(&doc);
		} else {
			CHECK(terminal_safe(buf, n));
		}
		if (!strcmp(fmt, "md"))
			CHECK(strstr(buf, "No process of role asr, avatar, camera, other was traced.") != NULL);
		free(buf);
		buf = NULL;
	}
}

/* The findings block alone (live text view). */
static void test_findings_block(void)
{
	struct report r = {.findings = FP, .nfindings = 4, .meta = &M};
	char *buf = NULL;
	size_t n = 0;
	FILE *f;

	build_all();
	r.agg = A;
	f = open_memstream(&buf, &n);
	report_findings_text(f, &r, "NEW FINDINGS");
	fclose(f);
	CHECK(terminal_safe(buf, n));
	CHECK(strstr(buf, "\nNEW FINDINGS (4") && strstr(buf, "never returns"));
	free(buf);
	r.nfindings = 0;
	f = open_memstream(&buf, &n);
	report_findings_text(f, &r, NULL);
	fclose(f);
	CHECK(n == 0);
	free(buf);
}

/* Per process, not per event: 1000 processes with RSS series (about 0.1 s
 * under sanitizers on an idle host; printed, loosely bounded). */
static void test_many_processes(void)
{
	struct report r = {0};
	struct jv doc;
	char *buf = NULL;
	size_t n = 0;
	struct timespec t0, t1;

	agg_free(A);
	A = agg_new(NULL);
	for (__u32 pid = 1000; pid < 2000; pid++) {
		ev_proc(T0, pid, (enum vigil_role)(pid % ROLE_COUNT), "w", "w", 1);
		for (int i = 0; i < 50; i++)
			ev_rss(T0 + (__u64)i * 200 * MS, pid, 1 << 20, (__s64)(pid + i) << 12);
	}
	agg_settle(A, 0);
	build_meta();
	r.agg = A;
	r.meta = &M;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FILE *f = open_memstream(&buf, &n);
	CHECK(report_write(f, "json", &r) == 0);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(parse(buf, n, &doc));
	CHECK(jv_get(&doc, "processes")->n == 1000);
	jv_free(&doc);
	free(buf);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("  1000 processes: JSON in %.3f s\n", s);
	/* only a gross regression (work per event or quadratic in processes)
	 * fails: sanitizers are on and the host may be busy */
	CHECK(s < 20.0);
}

/* A format no sink has is refused, never written as some other format;
 * every report format of the sink table is found by its --format name. */
static void test_unknown_format(void)
{
	struct report r = {.agg = A};
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	errno = 0;
	CHECK(report_write(f, "yaml", &r) == -1 && errno == EINVAL);
	fclose(f);
	CHECK(n == 0);
	free(buf);
	CHECK(sink_find(SINK_REPORT, "md") == &sink_report_md);
	CHECK(sink_find(SINK_LIVE, "md") == NULL);
	CHECK(sink_find(SINK_RECORDS, "csv") == &sink_dump_csv);
}

int main(void)
{
	synth_sink = feed;
	RUN(test_json_contract);
	RUN(test_json_numbers);
	RUN(test_damaged_dump);
	RUN(test_text);
	RUN(test_markdown);
	RUN(test_interval_line);
	RUN(test_empty);
	RUN(test_findings_block);
	RUN(test_many_processes);
	RUN(test_unknown_format);
	agg_free(A);
	CHECK_DONE();
}
