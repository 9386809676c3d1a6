// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "roles.h"

#include <errno.h>
#include <strings.h>

static const char *const role_names[ROLE_COUNT] = {
	[ROLE_OTHER] = "other",
	[ROLE_ASR] = "asr",
	[ROLE_AVATAR] = "avatar",
	[ROLE_CAMERA] = "camera",
};

const char *role_name(enum vigil_role r)
{
	return (unsigned)r < ROLE_COUNT ? role_names[r] : role_names[ROLE_OTHER];
}

int role_rank(unsigned role)
{
	return role == ROLE_OTHER || role >= ROLE_COUNT ? ROLE_COUNT : (int)role;
}

int role_parse(const char *s, enum vigil_role *out)
{
	for (unsigned r = 0; s && r < ROLE_COUNT; r++) {
		if (!strcasecmp(s, role_names[r])) {
			*out = (enum vigil_role)r;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}
