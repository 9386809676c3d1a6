// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* How allocation sites read (detect/site_evidence.c): which frames are the
 * runtime's, the one-line summary of a stack, the evidence said through
 * recording writers (evidence.h); then the JSON report of a synthetic
 * leaking trace with site records, through agg, the detectors and the
 * JSON sink, against the contract of findings[].evidence.sites and
 * processes[].mem.sites. */
#include <math.h>
#include <stdarg.h>
#include "check.h"
#include "json_check.h"
#include "agg.h"
#include "config.h"
#include "decode.h"
#include "model.h"
#include "report.h"
#include "site_evidence.h"
#include "sink.h"
#include "synth.h"

#define MS (1000ULL * 1000)
#define SEC (1000ULL * MS)
#define PG 4096ULL
#define MiB (1024ULL * 1024)

static struct model *MD;

static void to_model(const struct ev_hdr *h)
{
	model_event(MD, h);
}

/* a model (agg and detectors) with the default configuration */
static void fresh_model(void)
{
	struct vigil_config cfg;

	config_defaults(&cfg);
	model_free(MD);
	MD = model_new(&cfg, NULL);
	if (!MD) {
		printf("FAIL model_new: out of memory\n");
		exit(1);
	}
	agg_set_ncpus(model_agg(MD), 4);
	synth_sink = to_model;
}

/* ---- which frames are the runtime's ---------------------------------------------------- */

static bool runtime(const char *module)
{
	struct site_frame_info fi = {.module = module, .function = "f", .file = ""};

	return site_frame_is_runtime(&fi);
}

static void test_frame_is_runtime(void)
{
	static const char *const yes[] = {
		"libc.so.6", "libc-2.31.so", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1", "ld64.so.2",
		"libstdc++.so.6", "libgcc_s.so.1", "libpthread.so.0", "libjemalloc.so.2",
		"libtcmalloc_minimal.so.4", "libmimalloc.so.2", "[vdso]", "linux-vdso.so.1",
	}, *no[] = {
		"app", "libcrypto.so.3", "libcurl.so.4", "libcap.so.2", "libwlsite_fp.so", "python3.11",
		"libc++.so.1x", "", "[unknown]", "mylibc.so.6",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		CHECK(runtime(yes[i]));
		if (!runtime(yes[i]))
			printf("  not seen as the runtime: %s\n", yes[i]);
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
		CHECK(!runtime(no[i]));
		if (runtime(no[i]))
			printf("  seen as the runtime: %s\n", no[i]);
	}
}

/* ---- the frames and stacks of these tests ----------------------------------------------- */

#define LONG_LEN 200 /* three frames of it are more than a line holds (512 bytes) */
#define EVIL_FN "evil\x1b]0;pwn\x07|`x`\xc2\x9b"
#define EVIL_FILE "/src/\x1b[2Jx.c"

enum {
	ST_LEAK = 1, ST_RUNTIME, ST_EVIL, ST_LONG, ST_NOLINE, ST_PY, ST_LOADER, ST_TRUNC, ST_CHURN, ST_EARLY,
	ST_PY_LEAK, ST_PY_LEAK_OTHER, ST_PY_QUEUE, ST_PY_NUMPY, ST_PY_LIBRARY,
};

static void define_sites(__u64 ts)
{
	static const __u32 leak[] = {1, 2, 3, 4}, rt[] = {5, 7, 1, 6}, evil[] = {8, 3}, lng[] = {9, 10, 11},
			   noline[] = {14, 12}, py[] = {13}, loader[] = {6, 2}, churn[] = {1, 15, 3, 4},
			   early[] = {16, 3, 4}, py_leak[] = {1, 17, 18, 19, 20, 22, 4}, py_other[] = {1, 5, 17, 18, 19, 22},
			   py_queue[] = {17, 21, 22}, py_numpy[] = {1, 24, 25, 19, 20, 23}, py_lib[] = {17, 21, 23};
	char a[LONG_LEN + 1] = {0}, b[LONG_LEN + 1] = {0}, c[LONG_LEN + 1] = {0};

	memset(a, 'A', LONG_LEN);
	memset(b, 'B', LONG_LEN);
	memset(c, 'C', LONG_LEN);
	synth_site_frame(ts, 1, SITE_FRAME_NATIVE, "libc.so.6", "__memmove_avx_unaligned_erms", "", 0, 0x1a2b3c);
	synth_site_frame(ts, 2, SITE_FRAME_NATIVE, "app", "load_model", "/src/app/model.c", 120, 0x1140);
	synth_site_frame(ts, 3, SITE_FRAME_NATIVE, "app", "main", "/src/app/main.c", 40, 0x1010);
	synth_site_frame(ts, 4, SITE_FRAME_NATIVE, "libc.so.6", "__libc_start_main", "", 0, 0x27000);
	synth_site_frame(ts, 5, SITE_FRAME_NATIVE, "libjemalloc.so.2", "je_malloc", "", 0, 0x500);
	synth_site_frame(ts, 6, SITE_FRAME_NATIVE, "ld-linux-x86-64.so.2", "_dl_start", "", 0, 0x600);
	synth_site_frame(ts, 7, SITE_FRAME_NATIVE, "libstdc++.so.6", "operator new", "", 0, 0x700);
	synth_site_frame(ts, 8, SITE_FRAME_NATIVE, "app", EVIL_FN, EVIL_FILE, 7, 0x800);
	synth_site_frame(ts, 9, SITE_FRAME_NATIVE, "app", a, "/a.c", 1, 0x900);
	synth_site_frame(ts, 10, SITE_FRAME_NATIVE, "app", b, "/b.c", 2, 0xa00);
	synth_site_frame(ts, 11, SITE_FRAME_NATIVE, "app", c, "/c.c", 3, 0xb00);
	synth_site_frame(ts, 12, SITE_FRAME_NATIVE, "libfoo.so", "libfoo.so+0x40", "", 0, 0x40);
	synth_site_frame(ts, 13, SITE_FRAME_PYTHON, "python3.11", "handle", "app.py", 10, 0);
	synth_site_frame(ts, 14, SITE_FRAME_NATIVE, "app", "fn_no_line", "/src/x.c", 0, 0xe00);
	synth_site_frame(ts, 15, SITE_FRAME_NATIVE, "app", "render_frame", "/src/app/render.c", 77, 0xf00);
	synth_site_frame(ts, 16, SITE_FRAME_NATIVE, "app", "warm_cache", "/src/app/cache.c", 9, 0x1000);
	/* a Python service: the interpreter's native frames between its Python ones */
	synth_site_frame(ts, 17, SITE_FRAME_NATIVE, "libpython3.11.so.1.0", "bytes_repeat", "Objects/bytesobject.c", 1500, 0x1100);
	synth_site_frame(ts, 18, SITE_FRAME_PYTHON, "", "new_frame", "/srv/avatar/render.py", 14, 40);
	synth_site_frame(ts, 19, SITE_FRAME_PYTHON, "", "keep_frame", "/srv/avatar/render.py", 18, 12);
	synth_site_frame(ts, 20, SITE_FRAME_NATIVE, "libpython3.11.so.1.0", "_PyEval_Vector", "Python/ceval.c", 6400, 0x1200);
	synth_site_frame(ts, 21, SITE_FRAME_PYTHON, "", "Queue.put", "/usr/lib/python3.11/queue.py", 150, 60);
	synth_site_frame(ts, 22, SITE_FRAME_PYTHON, "", "run", "/srv/avatar/render.py", 40, 88);
	synth_site_frame(ts, 23, SITE_FRAME_PYTHON, "", "Thread.run", "/usr/lib/python3.11/threading.py", 975, 30);
	synth_site_frame(ts, 24, SITE_FRAME_PYTHON, "", "ones", "/usr/lib/python3/dist-packages/numpy/core/numeric.py",
			 205, 50);
	synth_site_frame(ts, 25, SITE_FRAME_PYTHON, "", "public_api", "<__array_function__ internals>", 200, 10);
	synth_site_stack(ts, ST_LEAK, 0, leak, 4);
	synth_site_stack(ts, ST_RUNTIME, 0, rt, 4);
	synth_site_stack(ts, ST_EVIL, 0, evil, 2);
	synth_site_stack(ts, ST_LONG, 0, lng, 3);
	synth_site_stack(ts, ST_NOLINE, 0, noline, 2);
	synth_site_stack(ts, ST_PY, 0, py, 1);
	synth_site_stack(ts, ST_LOADER, 0, loader, 2);
	synth_site_stack(ts, ST_TRUNC, SITE_STACK_TRUNCATED, leak + 1, 1);
	synth_site_stack(ts, ST_CHURN, 0, churn, 4);
	synth_site_stack(ts, ST_EARLY, 0, early, 3);
	synth_site_stack(ts, ST_PY_LEAK, 0, py_leak, 7);
	synth_site_stack(ts, ST_PY_LEAK_OTHER, 0, py_other, 6);
	synth_site_stack(ts, ST_PY_QUEUE, 0, py_queue, 3);
	synth_site_stack(ts, ST_PY_NUMPY, 0, py_numpy, 6);
	synth_site_stack(ts, ST_PY_LIBRARY, 0, py_lib, 3);
}

static const struct site_model *model_with_sites(void)
{
	fresh_model();
	define_sites(SEC);
	return agg_sites(model_agg(MD));
}

static bool has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (unsigned char)*s == 0xc2)
			return true;
	return false;
}

/* ---- the one-line summary ------------------------------------------------------------ */

static void test_site_line(void)
{
	const struct site_model *m = model_with_sites();
	char buf[1024];

	/* memmove skipped; back in libc at __libc_start_main: stop */
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_LEAK, 3), "load_model (model.c:120) <- main (main.c:40)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_LEAK, 1), "load_model (model.c:120)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_LOADER, 3), "load_model (model.c:120)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_TRUNC, 3), "load_model (model.c:120)");
	/* nothing of the program: the innermost frames */
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_RUNTIME, 3),
		  "je_malloc <- operator new <- __memmove_avx_unaligned_erms");
	/* a file without a line, an unsymbolized frame (module+offset), python */
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_NOLINE, 3), "fn_no_line <- libfoo.so+0x40");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_PY, 3), "handle (app.py:10)");
	/* Python: the program's innermost Python frame first, Python frames
	 * only (not the interpreter's bytes_repeat, _PyEval_Vector); the
	 * standard library's, numpy's and file-less frames are skipped up to
	 * the program's, and shown when none is the program's */
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_PY_LEAK, 3),
		  "new_frame (render.py:14) <- keep_frame (render.py:18) <- run (render.py:40)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_PY_QUEUE, 3), "run (render.py:40)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_PY_NUMPY, 3), "keep_frame (render.py:18) <- Thread.run (threading.py:975)");
	CHECK_STR(site_line(buf, sizeof(buf), m, ST_PY_LIBRARY, 3), "Queue.put (queue.py:150) <- Thread.run (threading.py:975)");
	/* no stack, or one the trace never defined */
	CHECK_STR(site_line(buf, sizeof(buf), m, 0, 3), "[no stack]");
	CHECK_STR(site_line(buf, sizeof(buf), m, 4242, 3), "[no stack]");
	CHECK_STR(site_line(buf, sizeof(buf), NULL, ST_LEAK, 3), "[no stack]");

	/* a hostile symbol and file name reach the terminal sanitized */
	site_line(buf, sizeof(buf), m, ST_EVIL, 3);
	CHECK(!has_control(buf));
	CHECK(!strchr(buf, '\x1b'));
	CHECK(strncmp(buf, "evil?", 5) == 0);
	CHECK(strstr(buf, " <- main (main.c:40)") != NULL);
	CHECK(strstr(buf, "x.c:7)") != NULL); /* the file's base name, its line */

	/* long names: whole frames only, as many as fit */
	site_line(buf, sizeof(buf), m, ST_LONG, 3);
	CHECK(strspn(buf, "A") == LONG_LEN && strncmp(buf + LONG_LEN, " (a.c:1) <- BBBB", 16) == 0);
	CHECK(strstr(buf, "(b.c:2)") != NULL);
	CHECK(strchr(buf, 'C') == NULL); /* a third frame past the line's room is left out, not cut */
	/* a short buffer: cut, terminated */
	memset(buf, 'x', sizeof(buf));
	site_line(buf, 16, m, ST_LEAK, 3);
	CHECK_STR(buf, "load_model (mod");
	site_line(buf, 1, m, ST_LEAK, 3);
	CHECK_STR(buf, "");
}

/* Two stacks that differ in the interpreter's native frames read the same:
 * one row, their bytes summed, ranked again */
static void test_site_summaries(void)
{
	const struct site_model *m = model_with_sites();
	struct finding_site rows[] = {
		{ST_LEAK, 5 * MiB, 5}, {ST_PY_LEAK, 4 * MiB, 4}, {ST_PY_QUEUE, 3 * MiB, 3}, {ST_PY_LEAK_OTHER, 2 * MiB, 2},
	};
	struct site_summary s[16];
	size_t n = site_summaries(m, rows, 4, 3, s);

	CHECK(n == 3);
	CHECK_STR(s[0].line, "new_frame (render.py:14) <- keep_frame (render.py:18) <- run (render.py:40)");
	CHECK(s[0].bytes == 6 * MiB);
	CHECK_STR(s[1].line, "load_model (model.c:120) <- main (main.c:40)");
	CHECK(s[1].bytes == 5 * MiB);
	CHECK_STR(s[2].line, "run (render.py:40)");
	CHECK(site_summaries(m, rows, 0, 3, s) == 0);
}

/* ---- evidence through recording writers ------------------------------------------------- */

static char rec[8192];

static void put(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void put(const char *fmt, ...)
{
	size_t l = strlen(rec);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rec + l, sizeof(rec) - l, fmt, ap);
	va_end(ap);
}

static void r_num(void *ctx, const char *k, double v, int d)
{
	(void)ctx;
	put("%s=%.*f,", k, d, v);
}
static void r_u64(void *ctx, const char *k, __u64 v)
{
	(void)ctx;
	put("%s=%llu,", k, (unsigned long long)v);
}
static void r_i64(void *ctx, const char *k, __s64 v)
{
	(void)ctx;
	put("%s=%lld,", k, (long long)v);
}
static void r_str(void *ctx, const char *k, const char *s, size_t max)
{
	(void)ctx;
	if (s)
		put("%s=\"%.*s\",", k, (int)strnlen(s, max), s);
	else
		put("%s=null,", k);
}
static void r_flag(void *ctx, const char *k, bool v)
{
	(void)ctx;
	put("%s=%s,", k, v ? "true" : "false");
}
static void r_time(void *ctx, const char *k, __u64 ts)
{
	(void)ctx;
	put("%s@%llu,", k, (unsigned long long)ts);
}
static void r_list(void *ctx, const char *k)
{
	(void)ctx;
	put("%s:[", k);
}
static void r_item(void *ctx)
{
	(void)ctx;
	put("(");
}
static void r_block(void *ctx)
{
	(void)ctx;
	put("{");
}
static void r_end(void *ctx)
{
	(void)ctx;
	put("}");
}
static void r_begin(void *ctx)
{
	(void)ctx;
	put("<");
}
static void r_text(void *ctx, const char *s)
{
	(void)ctx;
	put("%s", s);
}
static void r_code(void *ctx, const char *s)
{
	(void)ctx;
	put("`%s`", s);
}
static void r_name(void *ctx, const char *comm, size_t len, __u32 pid)
{
	(void)ctx;
	put("%.*s[%u]", (int)len, comm, pid);
}
static void r_line_end(void *ctx)
{
	(void)ctx;
	put(">\n");
}

static void test_evidence_fields(void)
{
	const struct site_model *m = model_with_sites();
	struct evidence_fields o = {.sites = m, .num = r_num, .u64 = r_u64, .i64 = r_i64, .str = r_str,
				    .flag = r_flag, .time = r_time, .list = r_list, .item = r_item,
				    .block = r_block, .end = r_end};
	const struct finding_site rows[] = {{ST_LEAK, 300000, 30}, {ST_TRUNC, 100000, 10}};

	rec[0] = 0;
	site_evidence_fields(&o, "sites", rows, 2, 400000);
	CHECK_STR(rec,
		  "sites:["
		  "{bytes=300000,share=0.7500,samples=30,truncated=false,frames:["
		  "(function=\"__memmove_avx_unaligned_erms\",file=null,line=null,module=\"libc.so.6\",kind=\"native\",}"
		  "(function=\"load_model\",file=\"/src/app/model.c\",line=120,module=\"app\",kind=\"native\",}"
		  "(function=\"main\",file=\"/src/app/main.c\",line=40,module=\"app\",kind=\"native\",}"
		  "(function=\"__libc_start_main\",file=null,line=null,module=\"libc.so.6\",kind=\"native\",}"
		  "}}"
		  "{bytes=100000,share=0.2500,samples=10,truncated=true,frames:["
		  "(function=\"load_model\",file=\"/src/app/model.c\",line=120,module=\"app\",kind=\"native\",}"
		  "}}"
		  "}");

	/* python frames say so; a hostile name goes to the writer as it is
	 * (the writer escapes it); an unknown stack has no frames */
	const struct finding_site more[] = {{ST_PY, 5, 1}, {ST_EVIL, 5, 1}, {777, 5, 1}};
	rec[0] = 0;
	site_evidence_fields(&o, "sites", more, 3, 0);
	CHECK(strstr(rec, "function=\"handle\",file=\"app.py\",line=10,module=\"python3.11\",kind=\"python\"") != NULL);
	CHECK(strstr(rec, "function=\"" EVIL_FN "\",file=\"" EVIL_FILE "\",line=7") != NULL);
	CHECK(strstr(rec, "{bytes=5,share=0.0000,samples=1,truncated=false,frames:[}}}") != NULL); /* total 0: share 0 */
	rec[0] = 0;
	site_evidence_fields(&o, "sites", rows, 0, 0);
	CHECK_STR(rec, "sites:[}");
}

static void test_evidence_lines(void)
{
	const struct site_model *m = model_with_sites();
	struct evidence_lines o = {.sites = m, .begin = r_begin, .text = r_text, .code = r_code, .name = r_name,
				   .end = r_line_end};
	const struct finding_site rows[] = {{ST_LEAK, 3 * MiB, 30}, {ST_EVIL, MiB, 10}};

	rec[0] = 0;
	site_evidence_lines(&o, rows, 2, 4 * MiB);
	CHECK(strncmp(rec, "<site 75% +3.0M: `load_model (model.c:120) <- main (main.c:40)`>\n<site 25% +1.0M: `evil?", 88) ==
	      0);
	CHECK(!strchr(rec, '\x1b') && !strchr(rec, '\x07'));
	if (strncmp(rec, "<site 75%", 9))
		printf("  got: %s", rec);
	rec[0] = 0;
	site_evidence_lines(&o, rows, 0, 0);
	CHECK_STR(rec, "<sites: none sampled in this window>\n");
}

/* ---- the JSON report of a leaking trace with sites ------------------------------------- */

#define LEAK_PID 100
#define LEAK_T0 (31 * SEC)
#define LEAK_END (91 * SEC)
#define LEAK_AT 0x7f2000000000ULL
#define CHURN_AT 0x7f3000000000ULL
#define EARLY_AT 0x7f4000000000ULL
#define SAMPLE_PAGES 49 /* a sample stands for 49 faults: ~200 KB, the growth of one 40 ms tick */

/* A renderer flat for 30 s, then leaking 5 MB/s for 60 s in code at
 * load_model; one sample per tick of it, never released.  A churn site
 * maps, touches and unmaps every tick (no net growth); warm_cache grows
 * only before the leak starts.  Returns the sampled growth of the leak. */
static __u64 leaking_trace(bool with_sites)
{
	__u64 anon = 300ULL * 1000 * 1000, leak_bytes = 0, k = 0;
	static const char comm[VIGIL_COMM_LEN] = "render"; /* the record's whole field */

	fresh_model();
	synth_proc(SEC, LEAK_PID, 1, ROLE_AVATAR, comm, comm, 6, 0);
	if (with_sites)
		define_sites(SEC);
	for (__u64 ts = SEC; ts < LEAK_END; ts += 40 * MS, k++) {
		if (ts >= LEAK_T0)
			anon += 200000;
		synth_rss(ts, LEAK_PID, 0, 8 * MiB, (__s64)anon, -1, 0);
		if (!with_sites)
			continue;
		if (ts >= LEAK_T0) {
			synth_site_sample(ts + MS, LEAK_PID, LEAK_AT + k * SAMPLE_PAGES * PG, SAMPLE_PAGES * PG, ST_LEAK);
			leak_bytes += SAMPLE_PAGES * PG;
		} else if (k % 10 == 0) {
			synth_site_sample(ts + MS, LEAK_PID, EARLY_AT + k * PG, 10 * PG, ST_EARLY);
		}
		synth_site_sample(ts + 2 * MS, LEAK_PID, CHURN_AT, 64 * PG, ST_CHURN);
		synth_munmap(ts + 3 * MS, LEAK_PID, CHURN_AT, 64 * PG, 0);
	}
	model_finish(MD);
	return leak_bytes;
}

static char *report_json(size_t *len)
{
	const struct finding **fs = NULL;
	size_t cap = 0, n = detector_findings(model_detector(MD), &fs, &cap);
	struct report_meta meta = {.kernel = "6.1.0-test", .arch = "x86", .hostname = "box", .ncpus = 4,
				   .page_size = 4096, .pf_source = "perf", .origin_ns = SEC};
	struct report r = {.agg = model_agg(MD), .findings = fs, .nfindings = n, .meta = &meta};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	CHECK(n != (size_t)-1);
	CHECK(report_write(f, "json", &r) == 0);
	fclose(f);
	free(fs);
	return buf;
}

static const struct jv *leak_finding(const struct jv *doc)
{
	const struct jv *fs = jv_get(doc, "findings");

	for (size_t i = 0; fs && fs->type == JV_ARR && i < fs->n; i++)
		if (jv_is(&fs->kids[i], "kind", JV_STR) && !strcmp(jv_str(&fs->kids[i], "kind"), "leak"))
			return &fs->kids[i];
	return NULL;
}

static const struct jv *proc_of(const struct jv *doc, unsigned pid)
{
	const struct jv *ps = jv_get(doc, "processes");

	for (size_t i = 0; ps && ps->type == JV_ARR && i < ps->n; i++)
		if (jv_is(&ps->kids[i], "pid", JV_NUM) && jv_num(&ps->kids[i], "pid") == pid)
			return &ps->kids[i];
	return NULL;
}

/* Every element of a sites list has the contract's keys and types; shares
 * in [0,1] summing to at most 1 (the rounding of each to 4 digits aside);
 * bytes never increase down the list.  Returns the list's length. */
static size_t check_sites_list(const struct jv *sites, size_t max)
{
	double share_sum = 0, prev = INFINITY;

	CHECK(sites && sites->type == JV_ARR);
	if (!sites || sites->type != JV_ARR)
		return 0;
	CHECK(sites->n <= max);
	for (size_t i = 0; i < sites->n; i++) {
		const struct jv *s = &sites->kids[i], *fr = jv_get(s, "frames");
		CHECK(jv_is(s, "bytes", JV_NUM) && jv_is(s, "share", JV_NUM) && jv_is(s, "samples", JV_NUM));
		CHECK(jv_is(s, "truncated", JV_BOOL));
		CHECK(fr && fr->type == JV_ARR);
		double sh = jv_num(s, "share"), b = jv_num(s, "bytes");
		CHECK(sh >= 0 && sh <= 1);
		CHECK(b > 0 && b <= prev);
		CHECK(jv_num(s, "samples") >= 1);
		prev = b;
		share_sum += sh;
		for (size_t k = 0; fr && fr->type == JV_ARR && k < fr->n; k++) {
			const struct jv *f = &fr->kids[k];
			const struct jv *file = jv_get(f, "file"), *line = jv_get(f, "line");
			const char *kind = jv_str(f, "kind");
			CHECK(jv_is(f, "function", JV_STR) && jv_is(f, "module", JV_STR));
			CHECK(file && (file->type == JV_STR || file->type == JV_NULL));
			CHECK(line && (line->type == JV_NUM || line->type == JV_NULL));
			CHECK(kind && (!strcmp(kind, "native") || !strcmp(kind, "python") || !strcmp(kind, "kernel")));
		}
	}
	CHECK(share_sum <= 1 + 0.00005 * (double)sites->n);
	return sites->n;
}

static bool stack_is(const struct jv *site, const char *fn1)
{
	const struct jv *fr = jv_get(site, "frames");

	return fr && fr->type == JV_ARR && fr->n > 1 && jv_is(&fr->kids[1], "function", JV_STR) &&
	       !strcmp(jv_str(&fr->kids[1], "function"), fn1);
}

static void test_report_json_sites(void)
{
	__u64 leak_bytes = leaking_trace(true);
	size_t len = 0;
	char *buf = report_json(&len), err[160];
	struct jv doc;
	const struct jv *f, *sites, *s0, *fr, *p;

	bool ok = json_parse(buf, len, &doc, err, sizeof(err));
	free(buf);
	CHECK(ok);
	if (!ok) {
		printf("  JSON does not parse: %s\n", err);
		return;
	}
	for (unsigned t = EV_SITE_FRAME; t <= EV_SITE_SAMPLE; t++)
		CHECK(jv_is(jv_get(&doc, "events.by_type"), ev_type_name(t), JV_NUM));

	/* the leak's sites: the growing stack first, the churn never, the stack
	 * that grew before the window not at all */
	f = leak_finding(&doc);
	CHECK(f != NULL);
	sites = f ? jv_get(f, "evidence.sites") : NULL;
	CHECK(check_sites_list(sites, FINDING_SITES_MAX) >= 1);
	if (!sites || sites->type != JV_ARR || !sites->n) {
		jv_free(&doc);
		return;
	}
	s0 = &sites->kids[0];
	CHECK(stack_is(s0, "load_model"));
	CHECK(jv_num(s0, "share") > 0.99);
	/* the finding's window starts near the leak's start: most of the sampled growth */
	CHECK(jv_num(s0, "bytes") >= 0.85 * (double)leak_bytes && jv_num(s0, "bytes") <= (double)leak_bytes);
	for (size_t i = 0; i < sites->n; i++)
		CHECK(!stack_is(&sites->kids[i], "render_frame") && !stack_is(&sites->kids[i], "main"));
	/* frames innermost first, every field of each */
	fr = jv_get(s0, "frames");
	CHECK(fr && fr->n == 4);
	CHECK_STR(jv_str(&fr->kids[0], "function"), "__memmove_avx_unaligned_erms");
	CHECK(jv_is(&fr->kids[0], "file", JV_NULL) && jv_is(&fr->kids[0], "line", JV_NULL));
	CHECK_STR(jv_str(&fr->kids[0], "module"), "libc.so.6");
	CHECK_STR(jv_str(&fr->kids[1], "file"), "/src/app/model.c");
	CHECK(jv_num(&fr->kids[1], "line") == 120);
	CHECK_STR(jv_str(&fr->kids[1], "module"), "app");
	CHECK_STR(jv_str(&fr->kids[1], "kind"), "native");
	CHECK_STR(jv_str(&fr->kids[3], "function"), "__libc_start_main");
	CHECK(jv_is(s0, "truncated", JV_BOOL) && !jv_get(s0, "truncated")->b);

	/* the process's sites: live bytes now, the early stack too, not the churn */
	p = proc_of(&doc, LEAK_PID);
	sites = p ? jv_get(p, "mem.sites") : NULL;
	CHECK(check_sites_list(sites, 10) == 2);
	if (sites && sites->n == 2) {
		CHECK(stack_is(&sites->kids[0], "load_model"));
		CHECK(jv_num(&sites->kids[0], "bytes") == (double)leak_bytes);
		CHECK(stack_is(&sites->kids[1], "main")); /* warm_cache <- main */
		CHECK_STR(jv_str(&jv_get(&sites->kids[1], "frames")->kids[0], "function"), "warm_cache");
		CHECK(jv_num(&sites->kids[1], "bytes") == 75 * 10 * PG); /* a sample every 10 ticks of 30 s */
		CHECK(fabs(jv_num(&sites->kids[0], "share") + jv_num(&sites->kids[1], "share") - 1) < 0.001);
	}
	printf("# leak site: %.0f of %llu sampled bytes in the finding's window, share %.4f\n", jv_num(s0, "bytes"),
	       (unsigned long long)leak_bytes, jv_num(s0, "share"));
	jv_free(&doc);
}

/* Without site records the report says nothing of sites: no key, neither
 * in the finding's evidence nor in the process. */
static void test_report_json_without_sites(void)
{
	size_t len = 0;
	char *buf, err[160];
	struct jv doc;
	const struct jv *f, *p;

	leaking_trace(false);
	buf = report_json(&len);
	bool ok = json_parse(buf, len, &doc, err, sizeof(err));
	free(buf);
	CHECK(ok);
	if (!ok)
		return;
	f = leak_finding(&doc);
	p = proc_of(&doc, LEAK_PID);
	CHECK(f && jv_get(f, "evidence") && !jv_get(f, "evidence.sites"));
	CHECK(p && jv_get(p, "mem") && !jv_get(p, "mem.sites"));
	CHECK(!jv_get(jv_get(&doc, "events.by_type"), "site_sample"));
	jv_free(&doc);
}

/* The text report shows the leak's top site as one line, program frames. */
static void test_report_text_sites(void)
{
	const struct finding **fs = NULL;
	size_t cap = 0, n, len = 0;
	struct report_meta meta = {.kernel = "6.1.0-test", .arch = "x86", .ncpus = 4, .page_size = 4096,
				   .origin_ns = SEC};
	struct report r = {.meta = &meta};
	char *buf = NULL;
	FILE *f;

	leaking_trace(true);
	n = detector_findings(model_detector(MD), &fs, &cap);
	r.agg = model_agg(MD);
	r.findings = fs;
	r.nfindings = n;
	f = open_memstream(&buf, &len);
	CHECK(report_write(f, "text", &r) == 0);
	fclose(f);
	CHECK(buf && strstr(buf, "load_model (model.c:120) <- main (main.c:40)") != NULL);
	CHECK(buf && !strstr(buf, "render_frame"));
	free(buf);
	free(fs);
}

int main(void)
{
	RUN(test_frame_is_runtime);
	RUN(test_site_line);
	RUN(test_site_summaries);
	RUN(test_evidence_fields);
	RUN(test_evidence_lines);
	RUN(test_report_json_sites);
	RUN(test_report_json_without_sites);
	RUN(test_report_text_sites);
	model_free(MD);
	CHECK_DONE();
}
