/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The names of the roles (enum vigil_role, events.h): one list, for the
 * targets, the config file, the reports, the views and `vigil dump`. */
#ifndef VIGIL_ROLES_H
#define VIGIL_ROLES_H

#include "events.h"

/* "asr", "avatar", "camera", "other"; "other" for out-of-range values. */
const char *role_name(enum vigil_role r);
/* Case-insensitive inverse of role_name(); 0, or -1 (errno EINVAL) for an
 * unknown name. */
int role_parse(const char *s, enum vigil_role *out);

/* The one order of roles in every view and report: asr, avatar, camera,
 * then other (and out-of-range values). */
int role_rank(unsigned role);

#endif
