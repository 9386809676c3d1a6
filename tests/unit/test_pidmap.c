/* pidmap against a plain array model, through many random inserts and deletes */
#include "check.h"
#include "pidmap.h"

#define KEYS 5000

static void test_model(void)
{
	static uint32_t model[KEYS + 1]; /* 0 = absent */
	struct pidmap m;
	unsigned seed = 12345;

	CHECK(pidmap_init(&m, 0) == 0);
	for (int step = 0; step < 200000; step++) {
		seed = seed * 1103515245 + 12345;
		uint32_t key = 1 + (seed >> 8) % KEYS;
		if ((seed >> 4) & 1) {
			CHECK(pidmap_put(&m, key, step + 1) == 0);
			model[key] = step + 1;
		} else {
			CHECK(pidmap_del(&m, key) == (model[key] != 0));
			model[key] = 0;
		}
	}
	size_t live = 0;
	for (uint32_t k = 1; k <= KEYS; k++) {
		uint32_t *v = pidmap_get(&m, k);
		if (model[k]) {
			live++;
			CHECK(v && *v == model[k]);
		} else {
			CHECK(v == NULL);
		}
	}
	CHECK_EQ_U64(m.len, live);
	pidmap_free(&m);
}

static void test_bound_and_zero_key(void)
{
	struct pidmap m;

	CHECK(pidmap_init(&m, 3) == 0);
	CHECK(pidmap_put(&m, 0, 1) < 0);
	CHECK(pidmap_put(&m, 10, 1) == 0);
	CHECK(pidmap_put(&m, 11, 1) == 0);
	CHECK(pidmap_put(&m, 12, 1) == 0);
	CHECK(pidmap_put(&m, 13, 1) < 0); /* bound reached: refused, not grown */
	CHECK(pidmap_put(&m, 12, 7) == 0); /* overwrite still fine */
	CHECK(*pidmap_get(&m, 12) == 7);
	CHECK(pidmap_get(&m, 13) == NULL);
	pidmap_free(&m);
}

int main(void)
{
	RUN(test_model);
	RUN(test_bound_and_zero_key);
	CHECK_DONE();
}
