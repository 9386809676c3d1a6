// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Config file parsing, defaults, ranges (user/config.c).  Run from the
 * repository root (tests/run.sh does) for the example/doc checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "targets.h"

#define EXAMPLE "scripts/vigil.conf.example"
#define DOC "docs/config.md"

static const void *field(const struct config_key *k, const struct vigil_config *c,
			 enum vigil_role r)
{
	const char *base = strcmp(k->section, "role") ? (const char *)c : (const char *)&c->role[r];

	return base + k->offset;
}

/* Equal in every key of the table (so new keys are covered automatically). */
static int config_equal(const struct vigil_config *a, const struct vigil_config *b)
{
	for (size_t i = 0; config_key_at(i); i++) {
		const struct config_key *k = config_key_at(i);

		for (unsigned r = 0; r < ROLE_COUNT; r++) {
			const void *x = field(k, a, r), *y = field(k, b, r);
			int same = 1;

			switch (k->type) {
			case CFG_DOUBLE: same = *(const double *)x == *(const double *)y; break;
			case CFG_UINT: same = *(const unsigned *)x == *(const unsigned *)y; break;
			case CFG_BYTES: same = *(const uint64_t *)x == *(const uint64_t *)y; break;
			case CFG_REGEX: same = !strcmp(x, y); break;
			}
			if (!same) {
				printf("  differs: %s.%s (role %s)\n", k->section, k->key, role_name(r));
				return 0;
			}
		}
	}
	return 1;
}

static int parse(struct vigil_config *c, const char *text, char *err, size_t errlen)
{
	return config_parse(c, text, strlen(text), "t.conf", err, errlen);
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void test_defaults(void)
{
	struct vigil_config c;

	config_defaults(&c);
	CHECK(c.role[ROLE_CAMERA].runq_p99_budget_ms == 33);
	CHECK(c.role[ROLE_ASR].runq_p99_budget_ms == 50);
	CHECK(c.role[ROLE_AVATAR].runq_p99_budget_ms == 40);
	CHECK(c.role[ROLE_OTHER].runq_p99_budget_ms == 100);
	for (unsigned r = 0; r < ROLE_COUNT; r++)
		CHECK(c.role[r].runq_wait_share_max == 0.25);
	CHECK(c.role[ROLE_ASR].comm[0] && c.role[ROLE_ASR].cmdline[0]);
	CHECK(c.role[ROLE_CAMERA].comm[0] && c.role[ROLE_AVATAR].cmdline[0]);
	CHECK_STR(c.role[ROLE_OTHER].comm, "");
	CHECK_STR(c.role[ROLE_OTHER].cmdline, "");
	CHECK_EQ_U64(c.leak.min_rate_bytes_per_s, 1 << 20);
	CHECK(c.leak.window_s == 30);
	CHECK_EQ_U64(c.leak.min_growth_bytes, 32 << 20);
	CHECK_EQ_U64(c.retention.min_retained_bytes, 64 << 20);
	CHECK(c.retention.idle_s == 10);
	CHECK(c.contention.min_runnable_s == 1);
	CHECK(c.contention.host_oversubscription == 1.0);
	CHECK_EQ_U64(c.record.ringbuf_mb, 4);
	CHECK_EQ_U64(c.record.flush_ms, 100);
	CHECK_STR(c.source, "");
	CHECK_STR(config_default_path(), "/etc/vigil.conf");
	CHECK(config_role(&c, ROLE_CAMERA) == &c.role[ROLE_CAMERA]);
	CHECK(config_role(&c, (enum vigil_role)99) == &c.role[ROLE_OTHER]);
}

static void test_valid_file(void)
{
	static const char text[] =
		"# vigil on the RK3588 board\r\n"
		"; ini-style comments too\n"
		"\n"
		"[role camera]\n"
		"  runq_p99_budget_ms = 16.5   \n"
		"cmdline = ^\\./stream(er)?  # a '#' inside a value is part of it\n"
		"COMM=\" cam\"\n"
		"\n"
		"[ ROLE  Asr ]\n"
		"comm =\n"
		"runq_wait_share_max = .5\n"
		"[leak]\n"
		"min_rate_bytes_per_s = 4 KiB\n"
		"min_growth_bytes = 1.5G\n"
		"window_s = 600\n"
		"[retention]\n"
		"min_retained_bytes = 100m\n"
		"[record]\n"
		"ringbuf_mb = 16\n"
		"flush_ms = 20"; /* no final newline */
	char path[] = "/tmp/vigil-test-conf-XXXXXX", err[512] = "";
	struct vigil_config c, d;
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	memset(&c, 0xa5, sizeof(c));
	CHECK(config_load(&c, path, err, sizeof(err)) == 0);
	if (err[0])
		printf("  %s\n", err);
	CHECK(c.role[ROLE_CAMERA].runq_p99_budget_ms == 16.5);
	CHECK_STR(c.role[ROLE_CAMERA].cmdline, "^\\./stream(er)?  # a '#' inside a value is part of it");
	CHECK_STR(c.role[ROLE_CAMERA].comm, " cam");
	CHECK_STR(c.role[ROLE_ASR].comm, "");
	CHECK(c.role[ROLE_ASR].runq_wait_share_max == 0.5);
	CHECK_EQ_U64(c.leak.min_rate_bytes_per_s, 4096);
	CHECK_EQ_U64(c.leak.min_growth_bytes, 3ULL << 29);
	CHECK(c.leak.window_s == 600);
	CHECK_EQ_U64(c.retention.min_retained_bytes, 100ULL << 20);
	CHECK_EQ_U64(c.record.ringbuf_mb, 16);
	CHECK_EQ_U64(c.record.flush_ms, 20);
	CHECK_STR(c.source, path);
	/* what the file does not set keeps its default */
	config_defaults(&d);
	CHECK_STR(c.role[ROLE_ASR].cmdline, d.role[ROLE_ASR].cmdline);
	CHECK(c.role[ROLE_AVATAR].runq_p99_budget_ms == 40);
	CHECK(c.retention.idle_s == 10);
	CHECK(c.contention.min_runnable_s == d.contention.min_runnable_s);
	unlink(path);
}

struct bad_case {
	const char *text;
	const char *msg; /* must appear in the error, after "t.conf:LINE: " */
	unsigned line;
};

static const struct bad_case bad_cases[] = {
	{"[leak]\nwindow_s = 30\n[bogus]\n", "unknown section [bogus]", 3},
	{"[leak extra]\n", "unknown section [leak extra]", 1},
	{"[]\n", "unknown section []", 1},
	{"[role]\n", "[role] needs a name", 1},
	{"[role tts]\n", "unknown role 'tts'", 1},
	{"[leak\n", "without closing ']'", 1},
	{"window_s = 3\n", "key 'window_s' before any [section]", 1},
	{"[leak]\nwindw_s = 3\n", "[leak] unknown key 'windw_s'", 2},
	{"[leak]\nidle_s = 3\n", "[leak] unknown key 'idle_s'", 2},
	{"[role asr]\nmin_rate_bytes_per_s = 1\n", "[role asr] unknown key", 2},
	{"[leak]\nwindow_s 30\n", "expected 'key = value'", 2},
	{"[leak]\n= 30\n", "missing key", 2},
	{"[leak]\nwindow_s =\n", "[leak] window_s: missing value", 2},
	{"[leak]\nwindow_s = thirty\n", "[leak] window_s: 'thirty' is not a number", 2},
	{"[leak]\nwindow_s = 30s\n", "window_s: '30s' is not a number", 2},
	{"[leak]\nwindow_s = inf\n", "not a number", 2},
	{"[leak]\nwindow_s = nan\n", "not a number", 2},
	{"[leak]\nwindow_s = 0x20\n", "not a number", 2},
	{"[leak]\nwindow_s = 1e999\n", "not a number", 2},
	{"[leak]\nwindow_s = 0\n", "[leak] window_s: 0 is out of range [1, 86400]", 2},
	{"[leak]\nwindow_s = -5\n", "out of range", 2},
	{"[leak]\nmin_growth_bytes = 32 MiBs\n", "min_growth_bytes: unknown unit 'MiBs'", 2},
	{"[leak]\nmin_growth_bytes = 4K\n", "min_growth_bytes: 4096 is out of range", 2},
	{"[leak]\nmin_growth_bytes = 2T\n", "out of range", 2},
	{"[record]\nringbuf_mb = 3\n", "[record] ringbuf_mb: 3: must be a power of two", 2},
	{"[record]\nringbuf_mb = 2048\n", "out of range [1, 1024]", 2},
	{"[record]\nflush_ms = 2.5\n", "flush_ms: 2.5 is not a whole number", 2},
	{"[record]\nflush_ms = 10M\n", "not a number", 2},
	{"[role camera]\nrunq_p99_budget_ms = 0\n", "[role camera] runq_p99_budget_ms: 0 is out of range", 2},
	{"[role asr]\nrunq_wait_share_max = 1.5\n", "[role asr] runq_wait_share_max: 1.5 is out of range", 2},
	{"[role asr]\ncomm = (python\n", "[role asr] comm: bad regular expression", 2},
	{"[role avatar]\ncmdline = a{1,\n", "[role avatar] cmdline: bad regular expression", 2},
	{"[role other]\ncomm = x\n", "[role other] comm: not allowed here", 2},
	{"[leak]\nwindow_s = 30\n\n[leak]\nWINDOW_S = 40\n", "[leak] window_s: set twice (first on line 2)", 5},
	{"[role asr]\ncomm = a\n[role avatar]\ncomm = b\n[role asr]\ncomm = c\n",
	 "[role asr] comm: set twice (first on line 2)", 6},
	{"[leak]\nwindow_s = 30 # the window\n", "not a number", 2},
	{"[leak]\n\x1b[2Jwindow = 1\n", "unknown key '?[2Jwindow'", 2},
};

static void test_errors(void)
{
	struct vigil_config c, before;
	char err[512], want[32];

	config_defaults(&c);
	c.leak.window_s = 77; /* a failed parse must not touch the config */
	before = c;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *b = &bad_cases[i];
		int ok;

		err[0] = '\0';
		errno = 0;
		ok = parse(&c, b->text, err, sizeof(err)) == -1 && errno == EINVAL;
		snprintf(want, sizeof(want), "t.conf:%u: ", b->line);
		ok = ok && !strncmp(err, want, strlen(want)) && strstr(err, b->msg);
		if (!ok)
			printf("  case %zu: got \"%s\", want \"%s%s\"\n", i, err, want, b->msg);
		CHECK(ok);
	}
	CHECK(!memcmp(&c, &before, sizeof(c)));
}

static void test_file_errors(void)
{
	struct vigil_config c;
	char err[512] = "", path[] = "/tmp/vigil-test-conf-XXXXXX";
	int fd;

	config_defaults(&c);
	errno = 0;
	CHECK(config_load(&c, "/nonexistent/vigil.conf", err, sizeof(err)) == -1);
	CHECK(errno == ENOENT);
	CHECK(strstr(err, "/nonexistent/vigil.conf: cannot open") == err);

	CHECK(config_load(&c, "/tmp", err, sizeof(err)) == -1);
	CHECK(strstr(err, "/tmp: cannot read") == err);

	/* binary junk: reported, line numbered, never echoed raw */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	static const char junk[] = "[leak]\nwindow_s = 1\n\0\x1b]0;x\x07";

	CHECK(write(fd, junk, sizeof(junk) - 1) == (ssize_t)sizeof(junk) - 1);
	close(fd);
	CHECK(config_load(&c, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":3: NUL byte") != NULL);
	CHECK(c.leak.window_s == 30);
	unlink(path);
	CHECK(config_parse(&c, "[leak]\n\x01\x02\x7f\xff = 1", 15, "bin", err, sizeof(err)) == -1);
	CHECK(strstr(err, "bin:2: [leak] unknown key '?\?\?\?'") == err);
}

/* Every numeric key accepts its min and max and refuses just outside: the
 * table's ranges are what docs/config.md promises. */
static void test_ranges(void)
{
	struct vigil_config c;
	char text[256], err[512];

	for (size_t i = 0; config_key_at(i); i++) {
		const struct config_key *k = config_key_at(i);
		const char *sec = strcmp(k->section, "role") ? k->section : "role camera";
		double vals[4] = {k->min, k->max, k->min > 0 ? k->min / 2 : -1, k->max * 2};

		if (k->type == CFG_REGEX)
			continue;
		CHECK(k->min <= k->max);
		for (int v = 0; v < 4; v++) {
			int want_ok = v < 2;
			int rc;

			snprintf(text, sizeof(text), "[%s]\n%s = %.17g\n", sec, k->key, vals[v]);
			rc = parse(&c, text, err, sizeof(err));
			if ((rc == 0) != want_ok)
				printf("  %s.%s = %.17g: %s\n", k->section, k->key, vals[v],
				       rc ? err : "accepted");
			CHECK((rc == 0) == want_ok);
			if (rc || k->type == CFG_REGEX)
				continue;
			if (k->type == CFG_DOUBLE)
				CHECK(*(const double *)field(k, &c, ROLE_CAMERA) == vals[v]);
		}
		CHECK(k->doc && *k->doc);
	}
}

static void test_locale_independent(void)
{
	struct vigil_config c;
	char err[256];

	/* the TUI runs in the user's locale; a comma-decimal one must not
	 * change what "0.5" means (skipped silently when not installed) */
	if (!setlocale(LC_ALL, "de_DE.UTF-8") && !setlocale(LC_ALL, "fr_FR.UTF-8"))
		setlocale(LC_ALL, "C.UTF-8");
	CHECK(parse(&c, "[role asr]\nrunq_wait_share_max = 0.5\n", err, sizeof(err)) == 0);
	CHECK(c.role[ROLE_ASR].runq_wait_share_max == 0.5);
	setlocale(LC_ALL, "C");
}

static void test_print_roundtrip(void)
{
	struct vigil_config a, b;
	char *buf = NULL, err[512] = "";
	size_t len = 0;
	FILE *f;

	config_defaults(&a);
	a.leak.window_s = 100.0 / 3; /* needs 17 digits */
	a.leak.min_growth_bytes = 12345678;
	a.retention.min_retained_bytes = 3ULL << 30;
	strcpy(a.role[ROLE_CAMERA].comm, " cam ");
	strcpy(a.role[ROLE_AVATAR].cmdline, "\"quoted\"");
	strcpy(a.role[ROLE_ASR].comm, "");
	for (int commented = 0; commented < 2; commented++) {
		f = open_memstream(&buf, &len);
		config_print(f, &a, commented);
		fclose(f);
		config_defaults(&b);
		CHECK(config_parse(&b, buf, len, "printed", err, sizeof(err)) == 0);
		if (err[0])
			printf("  %s\n", err);
		/* commented output is all comments: it reads back as defaults */
		if (!commented)
			CHECK(config_equal(&a, &b));
		else {
			config_defaults(&a);
			CHECK(config_equal(&a, &b));
		}
		free(buf);
		buf = NULL;
	}
}

/* "#key = value" -> "key = value" */
static void uncomment_settings(char *text)
{
	char *line = text;

	while (line && *line) {
		char *nl = strchr(line, '\n');
		size_t klen = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz0123456789_");

		if (line[0] == '#' && klen && !strncmp(line + 1 + klen, " = ", 3))
			memmove(line, line + 1, strlen(line)); /* includes the NUL */
		nl = strchr(line, '\n');
		line = nl ? nl + 1 : NULL;
	}
}

static void test_example_file(void)
{
	struct vigil_config d, c;
	char err[512] = "", *text;

	config_defaults(&d);
	CHECK(config_load(&c, EXAMPLE, err, sizeof(err)) == 0);
	if (err[0])
		printf("  %s\n", err);
	CHECK(config_equal(&c, &d));
	/* every commented setting is the default, spelled so it parses */
	text = read_all(EXAMPLE);
	CHECK(text != NULL);
	if (!text)
		return;
	for (size_t i = 0; config_key_at(i); i++) {
		char want[64];

		snprintf(want, sizeof(want), "\n#%s = ", config_key_at(i)->key);
		if (!strstr(text, want))
			printf("  %s does not list %s\n", EXAMPLE, config_key_at(i)->key);
		CHECK(strstr(text, want) != NULL);
	}
	uncomment_settings(text);
	CHECK(parse(&c, text, err, sizeof(err)) == 0);
	if (err[0])
		printf("  uncommented: %s\n", err);
	CHECK(config_equal(&c, &d));
	free(text);
}

static void test_doc_lists_keys(void)
{
	char *doc, want[64];

	doc = read_all(DOC);
	CHECK(doc != NULL);
	for (size_t i = 0; doc && config_key_at(i); i++) {
		snprintf(want, sizeof(want), "`%s`", config_key_at(i)->key);
		if (!strstr(doc, want))
			printf("  %s does not document %s\n", DOC, want);
		CHECK(strstr(doc, want) != NULL);
	}
	free(doc);
}

/* ---- who may have written the file (issue 11, item 3) ---- */

static int trusted_load(const char *path, bool insecure_ok, char *err, size_t errlen, char *warn)
{
	struct vigil_config c;

	return config_load_trusted(&c, path, insecure_ok, err, errlen, warn, 512);
}

static void test_trust(void)
{
	char dir[] = "/tmp/vigil-trust-XXXXXX", path[128], sub[128], subpath[160], err[768], warn[512];
	bool root = geteuid() == 0;
	FILE *f;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	snprintf(path, sizeof(path), "%s/vigil.conf", dir);
	f = fopen(path, "w");
	fputs("[record]\nringbuf_mb = 1024\n", f);
	fclose(f);

	chmod(path, 0644); /* ours, 0644, in a 0700 directory under /tmp (1777) */
	CHECK(trusted_load(path, false, err, sizeof(err), warn) == 0);
	CHECK(warn[0] == '\0');
	CHECK(chmod(path, 0600) == 0 && trusted_load(path, false, err, sizeof(err), warn) == 0);

	/* group or others may write it: refused, naming owner and mode */
	CHECK(chmod(path, 0664) == 0);
	CHECK(trusted_load(path, false, err, sizeof(err), warn) == -1);
	CHECK(strstr(err, "writable by group") && strstr(err, "mode 0664") && strstr(err, "owner uid"));
	CHECK(strstr(err, "--insecure-config") != NULL);
	CHECK(chmod(path, 0646) == 0);
	CHECK(trusted_load(path, false, err, sizeof(err), warn) == -1);
	CHECK(strstr(err, "writable by others") && strstr(err, "mode 0646"));
	/* unless the flag says otherwise, and then with a warning */
	CHECK(trusted_load(path, true, err, sizeof(err), warn) == 0);
	CHECK(strstr(warn, "mode 0646") && strstr(warn, "--insecure-config"));
	chmod(path, 0644);

	/* a directory above it that others may write: they could swap the file */
	snprintf(sub, sizeof(sub), "%s/shared", dir);
	snprintf(subpath, sizeof(subpath), "%s/vigil.conf", sub);
	CHECK(mkdir(sub, 0775) == 0 && chmod(sub, 0775) == 0 && rename(path, subpath) == 0);
	CHECK(trusted_load(subpath, false, err, sizeof(err), warn) == -1);
	CHECK(strstr(err, "its directory") && strstr(err, "mode 0775"));
	CHECK(chmod(sub, 01777) == 0); /* sticky, like /tmp: nobody else can replace our file */
	CHECK(trusted_load(subpath, false, err, sizeof(err), warn) == 0);
	CHECK(chmod(sub, 0755) == 0 && rename(subpath, path) == 0);

	/* owned by another user (needs root to arrange) */
	if (root) {
		CHECK(chown(path, 65534, 65534) == 0);
		CHECK(trusted_load(path, false, err, sizeof(err), warn) == -1);
		CHECK(strstr(err, "owned by uid 65534") && strstr(err, "mode 0644"));
		CHECK(chown(path, 0, 0) == 0);
		CHECK(chown(dir, 65534, 65534) == 0);
		CHECK(trusted_load(path, false, err, sizeof(err), warn) == -1);
		CHECK(strstr(err, "its directory") && strstr(err, "owned by uid 65534"));
		CHECK(chown(dir, 0, 0) == 0);
	} else {
		printf("# test_trust: not root, other owners not tried\n");
	}

	/* never a FIFO, flag or not */
	snprintf(sub, sizeof(sub), "%s/fifo", dir);
	CHECK(mkfifo(sub, 0600) == 0);
	CHECK(trusted_load(sub, true, err, sizeof(err), warn) == -1 && strstr(err, "not a regular file"));
	unlink(sub);
	unlink(path);
	snprintf(sub, sizeof(sub), "%s/shared", dir);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_valid_file);
	RUN(test_errors);
	RUN(test_file_errors);
	RUN(test_ranges);
	RUN(test_locale_independent);
	RUN(test_print_roundtrip);
	RUN(test_trust);
	/* the files are found from the repository root, where tests/run.sh runs */
	if (access(EXAMPLE, R_OK))
		printf("SKIP test_example_file: %s not found from here\n", EXAMPLE);
	else
		RUN(test_example_file);
	if (access(DOC, R_OK))
		printf("SKIP test_doc_lists_keys: %s not found from here\n", DOC);
	else
		RUN(test_doc_lists_keys);
	CHECK_DONE();
}
