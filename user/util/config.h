/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * vigil's configuration: role patterns, per-role budgets and detector
 * thresholds, read from an INI-like file (docs/config.md).
 *
 * Every key lives in one table in config.c ({section, key, type, offset,
 * default, min, max, doc}); adding a threshold is one struct field here and
 * one row there.  Defaults are written in config-file syntax and pass through
 * the same parser and range checks as a user's file.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "events.h"

/* Longest role pattern, including the terminating NUL. */
#define VIGIL_PATTERN_MAX 512

struct vigil_role_cfg {
	/* POSIX ERE, case-insensitive, searched (not anchored) in the comm /
	 * in the command line with NULs shown as spaces.  "" = never matches.
	 * Always "" for ROLE_OTHER: it is whatever matches no other role. */
	char comm[VIGIL_PATTERN_MAX];
	char cmdline[VIGIL_PATTERN_MAX];
	double runq_p99_budget_ms;  /* contention when run-queue p99 exceeds this */
	double runq_wait_share_max; /* ... or when waiting/runnable time exceeds this */
};

struct vigil_leak_cfg {
	uint64_t min_rate_bytes_per_s; /* sustained growth that counts as a leak */
	double window_s;               /* span over which growth is judged */
	uint64_t min_growth_bytes;     /* rise above baseline before any finding */
	double min_duration_s;         /* growth must last this long to be a linear leak */
};

struct vigil_retention_cfg {
	uint64_t min_retained_bytes; /* freed-but-resident memory worth reporting */
	double idle_s;               /* quiet time after a burst before judging */
	double max_idle_cpu;         /* CPUs a process may use and still count as idle */
};

struct vigil_contention_cfg {
	double min_runnable_s;        /* runnable time needed before judging */
	double host_oversubscription; /* runnable tasks per CPU that mean "busy host" */
	double window_s;              /* recent span over which waiting is judged */
};

struct vigil_record_cfg {
	unsigned ringbuf_mb; /* BPF ring buffer size, power of two */
	unsigned flush_ms;   /* period at which user space drains the ring buffer */
};

struct vigil_config {
	struct vigil_role_cfg role[ROLE_COUNT]; /* indexed by enum vigil_role */
	struct vigil_leak_cfg leak;
	struct vigil_retention_cfg retention;
	struct vigil_contention_cfg contention;
	struct vigil_record_cfg record;
	char source[256]; /* file the values came from, "" = built-in defaults */
};

/* Every field set to its documented default. */
void config_defaults(struct vigil_config *cfg);

/* Reads a config file over the defaults: on success *cfg is replaced whole
 * (defaults + the file) and 0 is returned; on any error *cfg is left
 * untouched, -1 is returned and err holds one line naming file:line and the
 * key ("vigil.conf:12: [leak] window_s: 0 is out of range [1, 86400]").
 * Unknown sections and keys, duplicate keys and out-of-range values are all
 * errors: a typo must never silently fall back to a default. */
int config_load(struct vigil_config *cfg, const char *path, char *err, size_t errlen);

/* config_load() for a tool that runs as root: the file (and every
 * directory above it) must be owned by root or the effective user and not
 * writable by group or others (directories: unless sticky), as sshd and
 * sudo require; otherwise -1 (errno EPERM) and err names the owner and the
 * mode.  insecure_ok (--insecure-config) reads it anyway and says why in
 * warn ("" when there is nothing to say). */
int config_load_trusted(struct vigil_config *cfg, const char *path, bool insecure_ok, char *err, size_t errlen,
			char *warn, size_t warnlen);
/* The check alone, on fd (path opened); 0 when trusted, else -1 and err. */
int config_check_trust(const char *path, int fd, unsigned euid, char *err, size_t errlen);

/* Same, from a buffer; `name` is used in messages in place of a path. */
int config_parse(struct vigil_config *cfg, const char *text, size_t len, const char *name,
		 char *err, size_t errlen);

/* "/etc/vigil.conf".  The caller loads it only when it exists. */
const char *config_default_path(void);

/* The settings of a role; out-of-range values give ROLE_OTHER's. */
const struct vigil_role_cfg *config_role(const struct vigil_config *cfg, enum vigil_role r);

/* Writes cfg in file syntax, every key, so that config_parse() of the output
 * gives cfg back.  commented != 0 prefixes settings with '#' (the style of
 * scripts/vigil.conf.example). */
void config_print(FILE *f, const struct vigil_config *cfg, int commented);

/* ---- the key table, for docs, tests and --help style listings ---- */

enum config_type {
	CFG_DOUBLE, /* decimal number */
	CFG_UINT,   /* unsigned integer, fits in unsigned */
	CFG_BYTES,  /* uint64_t; accepts K/KiB, M/MiB, G/GiB, T/TiB (all powers of 1024) */
	CFG_REGEX,  /* char[VIGIL_PATTERN_MAX], checked with regcomp() */
};

#define CFGF_NOT_OTHER 0x1 /* role key that [role other] may not set */

struct config_key {
	const char *section; /* "leak", ...; "role" = every [role NAME] section */
	const char *key;
	enum config_type type;
	size_t offset; /* in struct vigil_config, or struct vigil_role_cfg for "role" */
	const char *def; /* default in file syntax */
	const char *role_def[ROLE_COUNT]; /* per-role default, NULL = def */
	double min, max;                  /* inclusive; numeric types only */
	const char *(*check)(double v);   /* extra rule: NULL if fine, else why not */
	unsigned flags;                   /* CFGF_* */
	const char *doc;
};

/* The i-th key of the table, NULL past the end. */
const struct config_key *config_key_at(size_t i);

#endif
