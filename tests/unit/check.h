/* Minimal unit-test harness: each test binary prints one line per test,
 * "PASS name" or "FAIL name: file:line: expr", and exits non-zero on any
 * failure.  tests/run.sh counts these lines. */
#ifndef VIGIL_CHECK_H
#define VIGIL_CHECK_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failed_in_test;
static int check_total_failed;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			if (!check_failed_in_test)                                       \
				printf("FAIL %s: %s:%d: %s\n", check_current, __FILE__,  \
				       __LINE__, #cond);                                 \
			check_failed_in_test = 1;                                        \
		}                                                                        \
	} while (0)

#define CHECK_EQ_U64(a, b)                                                              \
	do {                                                                             \
		unsigned long long _a = (unsigned long long)(a), _b = (unsigned long long)(b); \
		if (_a != _b) {                                                          \
			if (!check_failed_in_test)                                       \
				printf("FAIL %s: %s:%d: %s == %s (%llu != %llu)\n",      \
				       check_current, __FILE__, __LINE__, #a, #b, _a, _b); \
			check_failed_in_test = 1;                                        \
		}                                                                        \
	} while (0)

#define CHECK_STR(a, b)                                                                  \
	do {                                                                             \
		const char *_a = (a), *_b = (b);                                         \
		if (!_a || !_b || strcmp(_a, _b)) {                                      \
			if (!check_failed_in_test)                                       \
				printf("FAIL %s: %s:%d: \"%s\" != \"%s\"\n", check_current, \
				       __FILE__, __LINE__, _a ? _a : "(null)",          \
				       _b ? _b : "(null)");                              \
			check_failed_in_test = 1;                                        \
		}                                                                        \
	} while (0)

static const char *check_current = "";

#define RUN(fn)                                                                          \
	do {                                                                             \
		check_current = #fn;                                                     \
		check_failed_in_test = 0;                                                \
		fn();                                                                    \
		if (check_failed_in_test)                                                \
			check_total_failed++;                                            \
		else                                                                     \
			printf("PASS %s\n", #fn);                                        \
		fflush(stdout);                                                          \
	} while (0)

#define CHECK_DONE() return check_total_failed ? 1 : 0

#endif
