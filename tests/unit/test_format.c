#include "check.h"
#include "format.h"

static void test_bytes(void)
{
	char b[16];

	CHECK_STR(fmt_bytes(b, sizeof(b), 0), "0B");
	CHECK_STR(fmt_bytes(b, sizeof(b), 1023), "1023B");
	CHECK_STR(fmt_bytes(b, sizeof(b), 1536), "1.5K");
	CHECK_STR(fmt_bytes(b, sizeof(b), 200.0 * 1024 * 1024), "200M");
	CHECK_STR(fmt_bytes(b, sizeof(b), 5.0 * 1024 * 1024 * 1024), "5.0G");
	CHECK_STR(fmt_bytes(b, sizeof(b), -3.0 * 1024 * 1024), "-3.0M");
	CHECK(strlen(fmt_bytes(b, sizeof(b), 1e18)) <= 8);
	CHECK_STR(fmt_bytes(b, 4, 123456), "121"); /* truncated, still terminated */
}

static void test_ns(void)
{
	char b[16];

	CHECK_STR(fmt_ns(b, sizeof(b), 850), "850ns");
	CHECK_STR(fmt_ns(b, sizeof(b), 12e3), "12us");
	CHECK_STR(fmt_ns(b, sizeof(b), 3.4e6), "3.40ms");
	CHECK_STR(fmt_ns(b, sizeof(b), 33.3e6), "33.3ms");
	CHECK_STR(fmt_ns(b, sizeof(b), 1.2e9), "1.20s");
	CHECK_STR(fmt_ns(b, sizeof(b), 125e9), "2m05s");
}

static void test_count(void)
{
	char b[16];

	CHECK_STR(fmt_count(b, sizeof(b), 950), "950");
	CHECK_STR(fmt_count(b, sizeof(b), 12500), "12.5k");
	CHECK_STR(fmt_count(b, sizeof(b), 3.1e6), "3.1M");
}

int main(void)
{
	RUN(test_bytes);
	RUN(test_ns);
	RUN(test_count);
	CHECK_DONE();
}
