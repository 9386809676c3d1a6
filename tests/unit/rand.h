/* A deterministic pseudo-random sequence for the unit tests: the same
 * values on every run and every machine, so a failure reproduces. */
#ifndef VIGIL_TEST_RAND_H
#define VIGIL_TEST_RAND_H
#include <linux/types.h>

/* xorshift64; *state must not start at 0 */
static inline __u64 xorshift64(__u64 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}
#endif
