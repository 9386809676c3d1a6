/* bpfcost: when the statistics are switched on and off, and the figures of
 * a window, against a fake kernel whose programs run at a known rate. */
#include <errno.h>
#include <math.h>

#include "bpfcost.h"
#include "check.h"

#define MS (1000ULL * 1000)
#define S (1000ULL * MS)

struct fake {
	unsigned long long now;     /* the test's clock */
	unsigned long long ns_per_s; /* program run time per second while counted */
	unsigned long long runs_per_s;
	int on;          /* statistics switched on by handles */
	int starts, stops;
	bool host_on;    /* kernel.bpf_stats_enabled=1 */
	int start_err, read_err;
	/* what the kernel has counted so far, advanced by advance() */
	unsigned long long run_ns, runs;
};

static struct fake F;

static void advance(unsigned long long dt)
{
	if (F.on || F.host_on) {
		F.run_ns += F.ns_per_s * dt / S;
		F.runs += F.runs_per_s * dt / S;
	}
	F.now += dt;
}

static int f_read(void *ctx, unsigned long long *run_ns, unsigned long long *runs)
{
	(void)ctx;
	if (F.read_err)
		return F.read_err;
	*run_ns = F.run_ns;
	*runs = F.runs;
	return 0;
}
static int f_start(void *ctx)
{
	(void)ctx;
	if (F.start_err)
		return F.start_err;
	F.on++;
	F.starts++;
	return 7;
}
static void f_stop(void *ctx, int h)
{
	(void)ctx;
	CHECK(h == 7);
	F.on--;
	F.stops++;
}
static bool f_always_on(void *ctx)
{
	(void)ctx;
	return F.host_on;
}
static const struct bpfcost_ops OPS = {f_read, f_start, f_stop, f_always_on, NULL};

/* runs the module for dt in 100 ms drains */
static void run(struct bpfcost *c, unsigned long long dt)
{
	for (unsigned long long t = 0; t < dt; t += 100 * MS) {
		bpfcost_tick(c, F.now);
		advance(100 * MS);
	}
}

static void test_sampled_window(void)
{
	struct bpfcost_result r;

	F = (struct fake){.now = 5 * S, .ns_per_s = 20 * MS, .runs_per_s = 400000};
	struct bpfcost *c = bpfcost_new(&OPS, 0, 1 * S, 15 * S);
	CHECK(c != NULL);
	CHECK(!bpfcost_last(c, &r)); /* nothing measured yet */
	run(c, 500 * MS);
	CHECK_EQ_U64(F.on, 1); /* the first window opens at once */
	run(c, 700 * MS);
	CHECK_EQ_U64(F.on, 0); /* ... and closes after 1 s */
	CHECK(bpfcost_last(c, &r));
	CHECK(fabs(r.cpu_pct - 2.0) < 1e-6);      /* 20 ms of run time per second */
	CHECK(fabs(r.ns_per_run - 50.0) < 1e-6);  /* 20 ms / 400k runs */
	CHECK(fabs(r.runs_per_s - 400000) < 1e-3);
	/* off until the next period: 15 s after the first window opened */
	run(c, 13 * S);
	CHECK_EQ_U64(F.starts, 1);
	/* the figures follow the load */
	F.ns_per_s = 5 * MS;
	run(c, 1 * S);
	CHECK_EQ_U64(F.starts, 2);
	run(c, 1500 * MS);
	CHECK(bpfcost_last(c, &r));
	CHECK(fabs(r.cpu_pct - 0.5) < 1e-6);
	CHECK_EQ_U64(F.starts, F.stops);
	/* a stop in the middle of a window turns the statistics off (the
	 * third opens at 35 s: 5 s + 2 periods) */
	run(c, 13500 * MS);
	CHECK_EQ_U64(F.on, 1);
	bpfcost_stop(c);
	CHECK_EQ_U64(F.on, 0);
	bpfcost_free(c);
	CHECK_EQ_U64(F.on, 0);
}

/* nothing while a run starts up: the first window opens after the delay */
static void test_first_delay(void)
{
	struct bpfcost_result r;

	F = (struct fake){.now = 7 * S, .ns_per_s = 10 * MS, .runs_per_s = 1000};
	struct bpfcost *c = bpfcost_new(&OPS, 3 * S, 1 * S, 15 * S);
	run(c, 2900 * MS);
	CHECK_EQ_U64(F.starts, 0);
	run(c, 200 * MS);
	CHECK_EQ_U64(F.starts, 1);
	CHECK(!bpfcost_last(c, &r));
	run(c, 1 * S);
	CHECK(bpfcost_last(c, &r));
	CHECK(fabs(r.cpu_pct - 1.0) < 1e-6);
	bpfcost_free(c);
}

static void test_host_keeps_them_on(void)
{
	struct bpfcost_result r;

	F = (struct fake){.now = S, .ns_per_s = 30 * MS, .runs_per_s = 1000000, .host_on = true};
	struct bpfcost *c = bpfcost_new(&OPS, 0, 1 * S, 15 * S);
	run(c, 3500 * MS);
	CHECK_EQ_U64(F.starts, 0); /* never switched on (nor off) by vigil */
	CHECK(bpfcost_last(c, &r));
	CHECK(fabs(r.cpu_pct - 3.0) < 1e-6);
	/* back to back: a fresh figure every second, not every 15 s */
	F.ns_per_s = 10 * MS;
	run(c, 2200 * MS);
	CHECK(bpfcost_last(c, &r));
	CHECK(fabs(r.cpu_pct - 1.0) < 1e-6);
	bpfcost_free(c);
}

static void test_unavailable(void)
{
	struct bpfcost_result r;

	F = (struct fake){.now = S, .start_err = -EPERM};
	struct bpfcost *c = bpfcost_new(&OPS, 0, 1 * S, 15 * S);
	run(c, 3 * S);
	CHECK(!bpfcost_last(c, &r));
	CHECK(bpfcost_error(c) == -EPERM);
	bpfcost_free(c);

	/* reading fails mid-run: the statistics are switched off again */
	F = (struct fake){.now = S, .ns_per_s = MS, .runs_per_s = 10};
	c = bpfcost_new(&OPS, 0, 1 * S, 15 * S);
	run(c, 300 * MS);
	F.read_err = -EBADF;
	run(c, 1 * S);
	CHECK_EQ_U64(F.on, 0);
	CHECK(bpfcost_error(c) == -EBADF);
	bpfcost_free(c);
	/* NULL is no module: nothing happens */
	bpfcost_tick(NULL, 0);
	CHECK(!bpfcost_last(NULL, &r));
}

static void test_counts_going_back(void)
{
	struct bpfcost_result r;

	/* a program unloaded during the window: its counts leave the sum */
	F = (struct fake){.now = S, .ns_per_s = MS, .runs_per_s = 1000, .run_ns = 5 * S, .runs = 1000000};
	struct bpfcost *c = bpfcost_new(&OPS, 0, 1 * S, 15 * S);
	run(c, 500 * MS);
	F.run_ns = 0;
	F.runs = 0;
	run(c, 700 * MS);
	CHECK(!bpfcost_last(c, &r)); /* no figure rather than a wrong one */
	CHECK_EQ_U64(F.on, 0);
	bpfcost_free(c);
}

int main(void)
{
	RUN(test_sampled_window);
	RUN(test_first_delay);
	RUN(test_host_keeps_them_on);
	RUN(test_unavailable);
	RUN(test_counts_going_back);
	CHECK_DONE();
}
