// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* kconfig: values from plain and gzip'd configs, the first file that opens
 * wins, a missing key vs missing files, and the tick-rate rounding. */
#include <errno.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>
#include "check.h"
#include "kconfig.h"

static char dir[] = "/tmp/vigil-kconfig.XXXXXX";
static char plain[300], gz[300], missing[300];

static const char config_text[] = "#\n# Automatically generated file; DO NOT EDIT.\n"
				  "CONFIG_HZ_250=y\nCONFIG_HZ=250\n# CONFIG_HZ_1000 is not set\n"
				  "CONFIG_BPF_SYSCALL=y\n";

static void setup(void)
{
	FILE *f;
	gzFile g;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(plain, sizeof(plain), "%s/config-plain", dir);
	snprintf(gz, sizeof(gz), "%s/config.gz", dir);
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	f = fopen(plain, "w");
	fputs(config_text, f);
	fclose(f);
	g = gzopen(gz, "wb");
	gzputs(g, "CONFIG_HZ_1000=y\nCONFIG_HZ=1000\n");
	gzclose(g);
}

static void test_plain_file(void)
{
	const char *const paths[] = {plain, NULL};
	char v[32];

	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_HZ", v, sizeof(v)), 0);
	CHECK_STR(v, "250");
	/* a key that is a prefix of another is not mistaken for it */
	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_HZ_250", v, sizeof(v)), 0);
	CHECK_STR(v, "y");
	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_BPF", v, sizeof(v)), (unsigned long long)-ESRCH);
}

static void test_gzip_file_after_missing_one(void)
{
	const char *const paths[] = {missing, gz, NULL};
	char v[32];

	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_HZ", v, sizeof(v)), 0);
	CHECK_STR(v, "1000");
}

static void test_first_config_is_the_kernels(void)
{
	/* the key is missing from the first file that opens: not looked up in the next */
	const char *const paths[] = {gz, plain, NULL};
	char v[32];

	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_BPF_SYSCALL", v, sizeof(v)), (unsigned long long)-ESRCH);
}

static void test_no_file(void)
{
	const char *const paths[] = {missing, NULL};
	char v[32];

	CHECK_EQ_U64(kconfig_value(paths, "CONFIG_HZ", v, sizeof(v)), (unsigned long long)-ENOENT);
}

static void test_hz_nearest(void)
{
	/* ~100 ms of jiffies, one tick either way */
	CHECK_EQ_U64(kconfig_hz_nearest(90), 100);
	CHECK_EQ_U64(kconfig_hz_nearest(110), 100);
	CHECK_EQ_U64(kconfig_hz_nearest(240), 250);
	CHECK_EQ_U64(kconfig_hz_nearest(260), 250);
	CHECK_EQ_U64(kconfig_hz_nearest(290), 300);
	CHECK_EQ_U64(kconfig_hz_nearest(310), 300);
	CHECK_EQ_U64(kconfig_hz_nearest(990), 1000);
	CHECK_EQ_U64(kconfig_hz_nearest(5000), 1000);
}

static void test_hz_of_this_kernel(void)
{
	unsigned hz = 0;
	char note[256] = "";
	int r = kconfig_hz(&hz, note, sizeof(note));

	CHECK(r == 0 || r == 1);
	CHECK(hz == 100 || hz == 250 || hz == 300 || hz == 1000);
	/* a fallback always says why */
	CHECK(r == 0 || strstr(note, "CONFIG_HZ") != NULL);
}

/* the clock's tick is the configured one, where this kernel's config says */
static void test_hz_from_clock_matches_config(void)
{
	char boot[300], v[32];
	struct utsname u;

	uname(&u);
	snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
	const char *const paths[] = {boot, "/proc/config.gz", NULL};
	unsigned clock_hz = kconfig_hz_from_clock();

	CHECK(clock_hz == 100 || clock_hz == 250 || clock_hz == 300 || clock_hz == 1000);
	if (kconfig_value(paths, "CONFIG_HZ", v, sizeof(v)) == 0)
		CHECK_EQ_U64(clock_hz, strtoul(v, NULL, 10));
	else
		printf("   (no kernel config here: the clock's %u Hz not compared)\n", clock_hz);
}

int main(void)
{
	setup();
	RUN(test_plain_file);
	RUN(test_gzip_file_after_missing_one);
	RUN(test_first_config_is_the_kernels);
	RUN(test_no_file);
	RUN(test_hz_nearest);
	RUN(test_hz_of_this_kernel);
	RUN(test_hz_from_clock_matches_config);
	unlink(plain);
	unlink(gz);
	rmdir(dir);
	CHECK_DONE();
}
