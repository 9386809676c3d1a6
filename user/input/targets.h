/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which processes vigil traces, and which role each one plays.
 *
 * A process's role is the first of asr, avatar, camera whose comm pattern
 * matches its comm or whose cmdline pattern matches its command line (NULs
 * shown as spaces); otherwise "other".  Patterns are POSIX extended regular
 * expressions, case-insensitive, searched anywhere in the text (anchor with
 * ^ and $ when needed); the defaults and how to replace them are in
 * docs/config.md.
 *
 * Selection is the union of every option given (-p, --comm, --cmdline,
 * --role, --all); with none, the three roles.  Children of a selected
 * process are followed in the kernel, not decided here.
 */
#ifndef VIGIL_TARGETS_H
#define VIGIL_TARGETS_H

#include <stddef.h>
#include "events.h"
#include "roles.h" /* role_name(), role_parse() */

struct vigil_config;
struct targets; /* opaque */


/* A selection with the built-in role patterns (config_defaults()) and no
 * option given.  NULL when out of memory. */
struct targets *targets_new(void);
void targets_free(struct targets *t); /* NULL is fine */

/* The functions below return 0, or -1 with errno set (EINVAL, ENOMEM) and,
 * where there is an err buffer, a one-line reason in it. */

/* -p/--pid: a process id (not 0).  Repeats are kept once. */
int targets_add_pid(struct targets *t, unsigned pid);
/* --comm / --cmdline: an ERE matched like the role patterns.  An empty
 * pattern is refused: it would match every process (that is --all). */
int targets_add_comm(struct targets *t, const char *regex, char *err, size_t errlen);
int targets_add_cmdline(struct targets *t, const char *regex, char *err, size_t errlen);
/* --role: asr, avatar or camera.  ROLE_OTHER is refused ("everything not
 * recognised" is --all in disguise). */
int targets_add_role(struct targets *t, enum vigil_role r);
/* --all: every process. */
void targets_set_all(struct targets *t);

/* Replaces the role patterns with cfg's (an empty pattern never matches).
 * All or nothing: on error the previous patterns stay. */
int targets_apply_config(struct targets *t, const struct vigil_config *cfg, char *err,
			 size_t errlen);

/* 1 when no selection option was given, i.e. the three roles are traced. */
int targets_is_default(const struct targets *t);
int targets_is_all(const struct targets *t);
/* 1 when a new process may be selected by its name or command line (the
 * default roles, --role, --comm, --cmdline): the kernel must then report
 * every exec so user space can decide. */
int targets_has_patterns(const struct targets *t);
/* The explicit -p list, in the order given; returns its length. */
size_t targets_pids(const struct targets *t, const unsigned **pids);

/* Role of a process from its comm and its command line with NUL separators
 * turned into spaces (procfs_printable() does that).  NULL means "". */
enum vigil_role targets_classify(const struct targets *t, const char *comm, const char *cmdline);

/* 1 if the process is selected by some option (or by the default roles),
 * else 0. */
int targets_match(const struct targets *t, unsigned pid, const char *comm, const char *cmdline);

#endif
