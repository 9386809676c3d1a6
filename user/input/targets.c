// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Process selection and role classification (see targets.h). */
#include "targets.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define RE_FLAGS (REG_EXTENDED | REG_ICASE | REG_NOSUB)

/* A compiled pattern; `set` = 0 stands for "never matches" (empty in the
 * config), because an empty regex_t would match everything. */
struct pattern {
	regex_t re;
	int set;
};

struct pattern_list {
	struct pattern *v;
	size_t n, cap;
};

struct targets {
	struct pattern role_comm[ROLE_COUNT], role_cmdline[ROLE_COUNT];
	unsigned *pids;
	size_t npids, pids_cap;
	struct pattern_list comm, cmdline; /* --comm, --cmdline */
	unsigned role_mask;                /* 1 << role for each --role */
	int all;
	int given; /* some selection option was given */
};

/* classification order: the first match wins */
static const enum vigil_role role_order[] = {ROLE_ASR, ROLE_AVATAR, ROLE_CAMERA};
#define DEFAULT_ROLES ((1u << ROLE_ASR) | (1u << ROLE_AVATAR) | (1u << ROLE_CAMERA))

/* ---- patterns ---- */

static void pattern_free(struct pattern *p)
{
	if (p->set)
		regfree(&p->re);
	p->set = 0;
}

/* "" compiles to a pattern that never matches. */
static int pattern_compile(struct pattern *p, const char *src, const char *what, char *err,
			   size_t errlen)
{
	int rc;

	p->set = 0;
	if (!*src)
		return 0;
	rc = regcomp(&p->re, src, RE_FLAGS);
	if (rc) {
		char msg[128];

		regerror(rc, &p->re, msg, sizeof(msg));
		snprintf(err, errlen, "bad %s regex '%s': %s", what, src, msg);
		errno = EINVAL;
		return -1;
	}
	p->set = 1;
	return 0;
}

static int pattern_match(const struct pattern *p, const char *s)
{
	return p->set && regexec(&p->re, s ? s : "", 0, NULL, 0) == 0;
}

static int list_add(struct pattern_list *l, const char *regex, const char *what, char *err,
		    size_t errlen)
{
	struct pattern p;

	if (!regex || !*regex) {
		snprintf(err, errlen, "empty %s regex would match every process (use --all)", what);
		errno = EINVAL;
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4;
		struct pattern *v = realloc(l->v, cap * sizeof(*v));

		if (!v) {
			snprintf(err, errlen, "out of memory");
			errno = ENOMEM;
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	if (pattern_compile(&p, regex, what, err, errlen))
		return -1;
	l->v[l->n++] = p;
	return 0;
}

static int list_match(const struct pattern_list *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++) {
		if (pattern_match(&l->v[i], s))
			return 1;
	}
	return 0;
}

static void list_free(struct pattern_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		pattern_free(&l->v[i]);
	free(l->v);
}

/* ---- the selection ---- */

struct targets *targets_new(void)
{
	struct targets *t = calloc(1, sizeof(*t));
	struct vigil_config *cfg = malloc(sizeof(*cfg));
	char err[256];

	if (!t || !cfg)
		goto fail;
	config_defaults(cfg);
	if (targets_apply_config(t, cfg, err, sizeof(err)))
		goto fail;
	free(cfg);
	return t;
fail:
	free(cfg);
	targets_free(t);
	errno = ENOMEM;
	return NULL;
}

static void free_role_patterns(struct pattern comm[ROLE_COUNT], struct pattern cmdline[ROLE_COUNT])
{
	for (unsigned r = 0; r < ROLE_COUNT; r++) {
		pattern_free(&comm[r]);
		pattern_free(&cmdline[r]);
	}
}

void targets_free(struct targets *t)
{
	if (!t)
		return;
	free_role_patterns(t->role_comm, t->role_cmdline);
	list_free(&t->comm);
	list_free(&t->cmdline);
	free(t->pids);
	free(t);
}

int targets_apply_config(struct targets *t, const struct vigil_config *cfg, char *err,
			 size_t errlen)
{
	struct pattern comm[ROLE_COUNT] = {0}, cmdline[ROLE_COUNT] = {0};
	char what[64], why[320];

	/* compile everything first so a bad pattern leaves the old set intact */
	for (unsigned r = 0; r < ROLE_COUNT; r++) {
		const struct vigil_role_cfg *rc = config_role(cfg, r);

		if (r == ROLE_OTHER)
			continue; /* other is the fallback: its patterns are never used */
		snprintf(what, sizeof(what), "[role %s] comm", role_name(r));
		if (pattern_compile(&comm[r], rc->comm, what, why, sizeof(why)))
			goto fail;
		snprintf(what, sizeof(what), "[role %s] cmdline", role_name(r));
		if (pattern_compile(&cmdline[r], rc->cmdline, what, why, sizeof(why)))
			goto fail;
	}
	free_role_patterns(t->role_comm, t->role_cmdline);
	memcpy(t->role_comm, comm, sizeof(comm));
	memcpy(t->role_cmdline, cmdline, sizeof(cmdline));
	return 0;
fail:
	snprintf(err, errlen, "%s", why);
	free_role_patterns(comm, cmdline);
	errno = EINVAL;
	return -1;
}

int targets_add_pid(struct targets *t, unsigned pid)
{
	if (!pid) {
		errno = EINVAL;
		return -1;
	}
	t->given = 1;
	for (size_t i = 0; i < t->npids; i++) {
		if (t->pids[i] == pid)
			return 0;
	}
	if (t->npids == t->pids_cap) {
		size_t cap = t->pids_cap ? 2 * t->pids_cap : 8;
		unsigned *v = realloc(t->pids, cap * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return -1;
		}
		t->pids = v;
		t->pids_cap = cap;
	}
	t->pids[t->npids++] = pid;
	return 0;
}

int targets_add_comm(struct targets *t, const char *regex, char *err, size_t errlen)
{
	if (list_add(&t->comm, regex, "--comm", err, errlen))
		return -1;
	t->given = 1;
	return 0;
}

int targets_add_cmdline(struct targets *t, const char *regex, char *err, size_t errlen)
{
	if (list_add(&t->cmdline, regex, "--cmdline", err, errlen))
		return -1;
	t->given = 1;
	return 0;
}

int targets_add_role(struct targets *t, enum vigil_role r)
{
	if (r != ROLE_ASR && r != ROLE_AVATAR && r != ROLE_CAMERA) {
		errno = EINVAL;
		return -1;
	}
	t->role_mask |= 1u << r;
	t->given = 1;
	return 0;
}

void targets_set_all(struct targets *t)
{
	t->all = 1;
	t->given = 1;
}

int targets_is_default(const struct targets *t)
{
	return !t->given;
}

int targets_is_all(const struct targets *t)
{
	return t->all;
}

size_t targets_pids(const struct targets *t, const unsigned **pids)
{
	*pids = t->pids;
	return t->npids;
}

enum vigil_role targets_classify(const struct targets *t, const char *comm, const char *cmdline)
{
	for (size_t i = 0; i < sizeof(role_order) / sizeof(role_order[0]); i++) {
		enum vigil_role r = role_order[i];

		if (pattern_match(&t->role_comm[r], comm) || pattern_match(&t->role_cmdline[r], cmdline))
			return r;
	}
	return ROLE_OTHER;
}

int targets_match(const struct targets *t, unsigned pid, const char *comm, const char *cmdline)
{
	unsigned roles = t->given ? t->role_mask : DEFAULT_ROLES;

	if (t->all)
		return 1;
	for (size_t i = 0; i < t->npids; i++) {
		if (t->pids[i] == pid)
			return 1;
	}
	if (list_match(&t->comm, comm) || list_match(&t->cmdline, cmdline))
		return 1;
	if (roles) {
		enum vigil_role r = targets_classify(t, comm, cmdline);

		return r != ROLE_OTHER && (roles & (1u << r));
	}
	return 0;
}

int targets_has_patterns(const struct targets *t)
{
	/* anything but a bare -p list decides by name at exec time */
	return !t->given || t->role_mask || t->comm.n || t->cmdline.n;
}
