/* Memory behaviours the detectors must tell apart, each for SECONDS:
 *   leak      a frame-sized buffer (921,600 B = 640x480x3) kept every 40 ms: linear growth
 *   steps     tasks that allocate 120 MB and free all but 24 MB: a rising floor
 *   plateau   a 400 MB "model load" in ~2 s, then flat
 *   sawtooth  tasks that allocate 200 MB, use it, free all of it
 *   churn     steady malloc/free of small and medium blocks, flat footprint
 *   retain    a 400 MB burst of small blocks freed except the last (the
 *             glibc heap cannot shrink below it), then idle: retention
 * Usage: wl_mempattern PATTERN SECONDS.  Prints its peak and final VmRSS. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wl_common.h"

#define MB (1024L * 1024)

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(double ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)((ms - (time_t)(ms / 1000) * 1000) * 1e6)};
	nanosleep(&ts, NULL);
}

static void *touched(size_t n)
{
	char *p = malloc(n);
	if (p)
		memset(p, 0x5a, n);
	return p;
}

static void leak(double secs)
{
	for (double end = now_s() + secs; now_s() < end; sleep_ms(40))
		touched(921600); /* never freed: the renderer's frame per tick */
}

static void steps(double secs)
{
	for (double end = now_s() + secs; now_s() < end; sleep_ms(500)) {
		void *work = touched(96 * MB), *kept = touched(24 * MB);
		(void)kept; /* left behind by every task */
		sleep_ms(300);
		free(work);
	}
}

static void plateau(double secs)
{
	double end = now_s() + secs;
	for (int i = 0; i < 40; i++) {
		touched(10 * MB); /* the model, loaded once and kept */
		sleep_ms(50);
	}
	while (now_s() < end)
		sleep_ms(100);
}

static void sawtooth(double secs)
{
	for (double end = now_s() + secs; now_s() < end; sleep_ms(700)) {
		void *task = touched(200 * MB);
		sleep_ms(500);
		free(task); /* large blocks are mmap'd: free gives them back */
	}
}

static void churn(double secs)
{
	void *slots[256] = {0};
	unsigned seed = 1;

	for (double end = now_s() + secs; now_s() < end; sleep_ms(1)) {
		for (int i = 0; i < 200; i++) {
			seed = seed * 1103515245 + 12345;
			int k = (seed >> 8) & 255;
			free(slots[k]);
			slots[k] = touched(64 + (seed >> 12) % 65536);
		}
	}
	for (int k = 0; k < 256; k++)
		free(slots[k]);
}

static void retain(double secs)
{
	enum { N = 400 * 16 }; /* 400 MB in 64 KB blocks: below the mmap threshold, on the brk heap */
	static void *blocks[N];
	double end = now_s() + secs;

	for (int i = 0; i < N; i++)
		blocks[i] = touched(60 * 1024);
	sleep_ms(1000);
	for (int i = 0; i < N - 1; i++) /* the last block pins the top of the heap */
		free(blocks[i]);
	while (now_s() < end)
		sleep_ms(100); /* idle, yet resident */
}

static long vm_kb(const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			v = atol(line + strlen(key));
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(double);
	} patterns[] = {{"leak", leak}, {"steps", steps}, {"plateau", plateau},
			{"sawtooth", sawtooth}, {"churn", churn}, {"retain", retain}};
	double secs = argc > 2 ? atof(argv[2]) : 10;
	char extra[128];

	for (size_t i = 0; argc > 1 && i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		if (strcmp(argv[1], patterns[i].name))
			continue;
		patterns[i].run(secs);
		snprintf(extra, sizeof(extra), "pattern=%s vmhwm_kb=%ld vmrss_kb=%ld", argv[1], vm_kb("VmHWM:"),
			 vm_kb("VmRSS:"));
		wl_report(extra);
		return 0;
	}
	fprintf(stderr, "usage: wl_mempattern leak|steps|plateau|sawtooth|churn|retain SECONDS\n");
	return 2;
}
