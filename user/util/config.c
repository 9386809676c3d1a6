// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The config file: one table of keys, one line parser.  Format and every key
 * are documented in docs/config.md; scripts/vigil.conf.example lists them. */
#define _GNU_SOURCE
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <math.h> /* isfinite(), a macro: no libm */
#include <regex.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "roles.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KiB (1024.0)
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)

/* A config file is a few kB; the cap keeps a wrong --config (a log file, a
 * device) from being read whole into memory. */
#define CONFIG_MAX_BYTES (1024 * 1024)

/* ---- default role patterns (why they look like this: docs/config.md) ----
 * RUNTIME is a program that runs a service named by a later argument: the
 * name of an interpreted service appears in its arguments, not in its comm
 * ("python3").  Requiring a runtime in front keeps `grep asr`, `vim asr.py`
 * and `tail -f asr.log` out of the asr role.  A word may also appear in the
 * program's own path ("./asr_go_backend", "/opt/dh_live/bin/x").
 * "asr" is only a word when no letter touches it: "funasr.bin.asr_server"
 * and "asr-queue" are in, "lasr" and "pasrse" are out. */
#define RUNTIME "([^ ]*/)?(python[0-9.]*|pypy[0-9.]*|uvicorn|gunicorn|hypercorn|celery|rq|torchrun|java|node) "
#define IN_ARGS_OR_PROGRAM(words) "^(" RUNTIME ".*|[^ ]*)(" words ")"
#define ASR_WORD "asr([^[:alpha:]]|$)"
#define ASR_NAMES "sensevoice|funasr"
#define AVATAR_NAMES "dh[-_]?live|avatar|digital[-_]?human"
#define CAMERA_NAMES "camera|v4l2|rkmpp|gst-launch"

#define ASR_COMM_RE ASR_NAMES "|(^|[^[:alpha:]])" ASR_WORD
#define ASR_CMDLINE_RE                                                          \
	IN_ARGS_OR_PROGRAM(ASR_NAMES)                                           \
	"|^(" RUNTIME "(.*[^[:alpha:]])?|([^ ]*[^[:alpha:] ])?)" ASR_WORD       \
	"|(^|[ /])rq(\\.cli)? +worker( |$)"
#define AVATAR_COMM_RE AVATAR_NAMES
#define AVATAR_CMDLINE_RE IN_ARGS_OR_PROGRAM(AVATAR_NAMES)
#define CAMERA_COMM_RE CAMERA_NAMES
#define CAMERA_CMDLINE_RE IN_ARGS_OR_PROGRAM(CAMERA_NAMES)

static const char *check_pow2(double v)
{
	unsigned long long u = (unsigned long long)v;

	/* the kernel wants a ring buffer of a power-of-two number of pages */
	return u && !(u & (u - 1)) ? NULL : "must be a power of two";
}

#define ROLE_KEY(field) .section = "role", .key = #field, .offset = offsetof(struct vigil_role_cfg, field)
#define KEY(sec, field)                                                         \
	.section = #sec, .key = #field, .offset = offsetof(struct vigil_config, sec.field)

static const struct config_key keys[] = {
	{ROLE_KEY(comm), .type = CFG_REGEX, .flags = CFGF_NOT_OTHER, .def = "",
	 .role_def = {[ROLE_ASR] = ASR_COMM_RE,
		      [ROLE_AVATAR] = AVATAR_COMM_RE,
		      [ROLE_CAMERA] = CAMERA_COMM_RE},
	 .doc = "ERE searched in the process name (comm, at most 15 characters)"},
	{ROLE_KEY(cmdline), .type = CFG_REGEX, .flags = CFGF_NOT_OTHER, .def = "",
	 .role_def = {[ROLE_ASR] = ASR_CMDLINE_RE,
		      [ROLE_AVATAR] = AVATAR_CMDLINE_RE,
		      [ROLE_CAMERA] = CAMERA_CMDLINE_RE},
	 .doc = "ERE searched in the command line, arguments separated by spaces"},
	{ROLE_KEY(runq_p99_budget_ms), .type = CFG_DOUBLE, .def = "100",
	 .role_def = {[ROLE_ASR] = "50", [ROLE_AVATAR] = "40", [ROLE_CAMERA] = "33"},
	 .min = 0.1, .max = 60000,
	 .doc = "contention when the run-queue latency p99 exceeds this (ms)"},
	{ROLE_KEY(runq_wait_share_max), .type = CFG_DOUBLE, .def = "0.25", .min = 0.01, .max = 1,
	 .doc = "contention when this share of runnable time is spent waiting for a CPU"},

	{KEY(leak, min_rate_bytes_per_s), .type = CFG_BYTES, .def = "1MiB", .min = 1, .max = TiB,
	 .doc = "sustained resident growth per second that counts as a linear leak"},
	{KEY(leak, window_s), .type = CFG_DOUBLE, .def = "30", .min = 1, .max = 86400,
	 .doc = "span over which growth is judged (s)"},
	{KEY(leak, min_growth_bytes), .type = CFG_BYTES, .def = "32MiB", .min = 64 * KiB, .max = TiB,
	 .doc = "rise above the process's baseline needed before any leak finding"},
	{KEY(leak, min_duration_s), .type = CFG_DOUBLE, .def = "20", .min = 1, .max = 86400,
	 .doc = "growth must last this long to be a linear leak; shorter rises (a model load) never are (s)"},

	{KEY(retention, min_retained_bytes), .type = CFG_BYTES, .def = "64MiB", .min = MiB,
	 .max = TiB, .doc = "memory freed by the program but kept resident that is worth reporting"},
	{KEY(retention, idle_s), .type = CFG_DOUBLE, .def = "10", .min = 1, .max = 86400,
	 .doc = "quiet time after an allocation burst before retention is judged (s)"},
	{KEY(retention, max_idle_cpu), .type = CFG_DOUBLE, .def = "0.1", .min = 0, .max = 1024,
	 .doc = "CPU use (in CPUs) up to which a process counts as idle"},

	{KEY(contention, min_runnable_s), .type = CFG_DOUBLE, .def = "1", .min = 0.001, .max = 3600,
	 .doc = "runnable time a process needs before its waiting share is judged (s)"},
	{KEY(contention, host_oversubscription), .type = CFG_DOUBLE, .def = "1.0", .min = 0.1,
	 .max = 64, .doc = "runnable tasks per CPU above which the whole host counts as busy"},
	{KEY(contention, window_s), .type = CFG_DOUBLE, .def = "10", .min = 1, .max = 3600,
	 .doc = "recent span over which run-queue waiting is judged (s)"},

	{KEY(record, ringbuf_mb), .type = CFG_UINT, .def = "4", .min = 1, .max = 1024,
	 .check = check_pow2, .doc = "BPF ring buffer size (MiB, power of two)"},
	{KEY(record, flush_ms), .type = CFG_UINT, .def = "100", .min = 1, .max = 1000,
	 .doc = "period at which user space drains the ring buffer (ms)"},
};

#define NKEYS ARRAY_SIZE(keys)

const struct config_key *config_key_at(size_t i)
{
	return i < NKEYS ? &keys[i] : NULL;
}

const char *config_default_path(void)
{
	return "/etc/vigil.conf";
}

const struct vigil_role_cfg *config_role(const struct vigil_config *cfg, enum vigil_role r)
{
	return &cfg->role[(unsigned)r < ROLE_COUNT ? r : ROLE_OTHER];
}

static int is_role_key(const struct config_key *k)
{
	return !strcmp(k->section, "role");
}

static void *key_field(const struct config_key *k, struct vigil_config *cfg, enum vigil_role r)
{
	char *base = is_role_key(k) ? (char *)&cfg->role[r] : (char *)cfg;

	return base + k->offset;
}

/* ---- values ---- */

/* User text echoed in a message, never raw: a config is text, but a wrong
 * --config may point at a binary, and messages go to a terminal. */
static const char *shown(char *buf, size_t size, const char *s)
{
	size_t i, n = 0;

	for (i = 0; s[i] && n + 4 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (s[i])
		memcpy(buf + n, "...", 3), n += 3;
	buf[n] = '\0';
	return buf;
}

/* Numbers are always read and written in the C locale: the TUI switches to
 * the user's locale, and "0,25" must not become the meaning of "0.25". */
struct c_numeric {
	locale_t c, old;
};

static void c_numeric_enter(struct c_numeric *s)
{
	s->c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	s->old = s->c ? uselocale(s->c) : (locale_t)0;
}

static void c_numeric_leave(struct c_numeric *s)
{
	if (!s->c)
		return;
	uselocale(s->old);
	freelocale(s->c);
}

/* Decimal only: strtod would also take "inf", "nan" and hex floats. */
static int parse_number(const char *s, double *v, const char **end)
{
	const char *p = s + (*s == '+' || *s == '-');
	char *e;

	if (!isdigit((unsigned char)*p) && !(*p == '.' && isdigit((unsigned char)p[1])))
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		return -1;
	errno = 0;
	*v = strtod(s, &e);
	if (errno == ERANGE || !isfinite(*v))
		return -1;
	*end = e;
	return 0;
}

static int byte_unit(const char *u, double *mult)
{
	static const struct {
		const char *name;
		double mult;
	} units[] = {
		{"", 1},       {"b", 1},     {"k", KiB},   {"kb", KiB}, {"kib", KiB},
		{"m", MiB},    {"mb", MiB},  {"mib", MiB}, {"g", GiB},  {"gb", GiB},
		{"gib", GiB},  {"t", TiB},   {"tb", TiB},  {"tib", TiB},
	};

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcasecmp(u, units[i].name)) {
			*mult = units[i].mult;
			return 0;
		}
	}
	return -1;
}

static int set_regex(char *dst, const char *val, char *why, size_t whylen)
{
	size_t len = strlen(val);
	regex_t re;
	int rc;

	if (len >= VIGIL_PATTERN_MAX) {
		snprintf(why, whylen, "pattern longer than %d bytes", VIGIL_PATTERN_MAX - 1);
		return -1;
	}
	if (len) {
		rc = regcomp(&re, val, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (rc) {
			char msg[128];

			regerror(rc, &re, msg, sizeof(msg));
			snprintf(why, whylen, "bad regular expression: %s", msg);
			return -1;
		}
		regfree(&re);
	}
	/* zero the tail too, so equal configs are equal bytes */
	memset(dst, 0, VIGIL_PATTERN_MAX);
	memcpy(dst, val, len);
	return 0;
}

static int set_number(const struct config_key *k, void *dst, const char *val, char *why,
		      size_t whylen)
{
	const char *end, *msg;
	double v, mult = 1;
	char show[48];

	if (!*val) {
		snprintf(why, whylen, "missing value");
		return -1;
	}
	if (parse_number(val, &v, &end)) {
		snprintf(why, whylen, "'%s' is not a number", shown(show, sizeof(show), val));
		return -1;
	}
	while (*end == ' ' || *end == '\t')
		end++;
	if (k->type == CFG_BYTES) {
		if (byte_unit(end, &mult)) {
			snprintf(why, whylen,
				 "unknown unit '%s' (K, M, G, T, optionally with B or iB; all powers of 1024)",
				 shown(show, 20, end));
			return -1;
		}
		v *= mult;
	} else if (*end) {
		snprintf(why, whylen, "'%s' is not a number", shown(show, sizeof(show), val));
		return -1;
	}
	if (v < k->min || v > k->max) {
		snprintf(why, whylen, "%.16g is out of range [%.16g, %.16g]", v, k->min, k->max);
		return -1;
	}
	/* in range, so the casts below are defined (and no libm is needed) */
	if (k->type == CFG_UINT && v != (double)(unsigned)v) {
		snprintf(why, whylen, "%.16g is not a whole number", v);
		return -1;
	}
	if (k->check && (msg = k->check(v))) {
		snprintf(why, whylen, "%.16g: %s", v, msg);
		return -1;
	}
	switch (k->type) {
	case CFG_DOUBLE: *(double *)dst = v; break;
	case CFG_UINT: *(unsigned *)dst = (unsigned)v; break;
	case CFG_BYTES: *(uint64_t *)dst = (uint64_t)(v + 0.5); break; /* "1.1K": nearest byte */
	case CFG_REGEX: break;
	}
	return 0;
}

static int set_value(const struct config_key *k, struct vigil_config *cfg, enum vigil_role r,
		     const char *val, char *why, size_t whylen)
{
	void *dst = key_field(k, cfg, r);

	if (k->type == CFG_REGEX)
		return set_regex(dst, val, why, whylen);
	return set_number(k, dst, val, why, whylen);
}

static const char *key_default(const struct config_key *k, enum vigil_role r)
{
	return is_role_key(k) && k->role_def[r] ? k->role_def[r] : k->def;
}

static int key_applies(const struct config_key *k, enum vigil_role r)
{
	return !(r == ROLE_OTHER && (k->flags & CFGF_NOT_OTHER));
}

void config_defaults(struct vigil_config *cfg)
{
	struct c_numeric loc;
	char why[160];

	memset(cfg, 0, sizeof(*cfg));
	c_numeric_enter(&loc);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct config_key *k = &keys[i];
		unsigned nroles = is_role_key(k) ? ROLE_COUNT : 1;

		for (unsigned r = 0; r < nroles; r++) {
			if (!key_applies(k, r))
				continue;
			/* a default that fails its own checks is a bug in the
			 * table; test_config catches it, this keeps it loud */
			if (set_value(k, cfg, r, key_default(k, r), why, sizeof(why))) {
				fprintf(stderr, "vigil: bad built-in default %s.%s: %s\n",
					k->section, k->key, why);
				abort();
			}
		}
	}
	c_numeric_leave(&loc);
}

/* ---- the parser ---- */

struct parser {
	const char *name; /* file name for messages */
	unsigned line;
	char *err;
	size_t errlen;
	/* current section: NULL before the first header */
	const char *section; /* table spelling: "role", "leak", ... */
	enum vigil_role role;
	unsigned seen[NKEYS][ROLE_COUNT]; /* line a key was set on, 0 = not yet */
};

static void perr(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void perr(struct parser *p, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%u: %s", p->name, p->line, msg);
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static int known_section(const char *name, const char **spelling)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (!is_role_key(&keys[i]) && !strcasecmp(keys[i].section, name)) {
			*spelling = keys[i].section;
			return 1;
		}
	}
	return 0;
}

static const char *section_label(const struct parser *p, char *buf, size_t size)
{
	if (!strcmp(p->section, "role"))
		snprintf(buf, size, "role %s", role_name(p->role));
	else
		snprintf(buf, size, "%s", p->section);
	return buf;
}

static int parse_section(struct parser *p, char *line)
{
	size_t len = strlen(line);
	char *body, *name, show[80];

	if (line[len - 1] != ']') {
		perr(p, "section header without closing ']'");
		return -1;
	}
	line[len - 1] = '\0';
	body = trim(line + 1);
	shown(show, sizeof(show), body);
	name = body + strcspn(body, " \t");
	if (*name) {
		*name++ = '\0';
		name = trim(name);
	}
	if (!strcasecmp(body, "role")) {
		if (!*name) {
			perr(p, "[role] needs a name: [role asr], [role avatar], [role camera] or [role other]");
			return -1;
		}
		if (role_parse(name, &p->role)) {
			perr(p, "unknown role '%s' (asr, avatar, camera, other)",
			     shown(show, sizeof(show), name));
			return -1;
		}
		p->section = "role";
		return 0;
	}
	if (*name || !known_section(body, &p->section)) {
		perr(p, "unknown section [%s] (known: role NAME, leak, retention, contention, record)",
		     show);
		return -1;
	}
	return 0;
}

static const struct config_key *find_key(const struct parser *p, const char *key, size_t *idx)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].section, p->section) && !strcasecmp(keys[i].key, key)) {
			*idx = i;
			return &keys[i];
		}
	}
	return NULL;
}

/* A value may be wrapped in double quotes to keep leading or trailing
 * spaces; nothing inside is unescaped, so regexes are written as-is. */
static char *unquote(char *v)
{
	size_t len = strlen(v);

	if (len >= 2 && v[0] == '"' && v[len - 1] == '"') {
		v[len - 1] = '\0';
		return v + 1;
	}
	return v;
}

static int parse_setting(struct parser *p, struct vigil_config *cfg, char *line)
{
	char *eq = strchr(line, '='), *key, *val, show[80], sec[48], why[256];
	const struct config_key *k;
	size_t idx;
	unsigned r;

	if (!eq) {
		perr(p, "expected 'key = value' or '[section]', got '%s'",
		     shown(show, sizeof(show), line));
		return -1;
	}
	*eq = '\0';
	key = trim(line);
	val = unquote(trim(eq + 1));
	if (!*key) {
		perr(p, "missing key before '='");
		return -1;
	}
	if (!p->section) {
		perr(p, "key '%s' before any [section]", shown(show, sizeof(show), key));
		return -1;
	}
	section_label(p, sec, sizeof(sec));
	k = find_key(p, key, &idx);
	if (!k) {
		perr(p, "[%s] unknown key '%s'", sec, shown(show, sizeof(show), key));
		return -1;
	}
	r = is_role_key(k) ? p->role : 0;
	if (!key_applies(k, r)) {
		perr(p, "[%s] %s: not allowed here (other is whatever matches no other role)", sec,
		     k->key);
		return -1;
	}
	if (p->seen[idx][r]) {
		perr(p, "[%s] %s: set twice (first on line %u)", sec, k->key, p->seen[idx][r]);
		return -1;
	}
	if (set_value(k, cfg, r, val, why, sizeof(why))) {
		perr(p, "[%s] %s: %s", sec, k->key, why);
		return -1;
	}
	p->seen[idx][r] = p->line;
	return 0;
}

static int parse_line(struct parser *p, struct vigil_config *cfg, char *raw)
{
	char *line = trim(raw);

	/* comments are whole lines only: '#' is common inside regexes */
	if (!*line || *line == '#' || *line == ';')
		return 0;
	if (*line == '[')
		return parse_section(p, line);
	return parse_setting(p, cfg, line);
}

/* Parses text (len bytes, NUL-terminated at text[len], writable) into cfg. */
static int parse_buffer(struct vigil_config *cfg, char *text, size_t len, struct parser *p)
{
	char *nul = memchr(text, '\0', len), *line = text;

	if (nul) {
		p->line = 1;
		for (char *c = text; c < nul; c++)
			p->line += *c == '\n';
		perr(p, "NUL byte in file: not a text file");
		return -1;
	}
	for (p->line = 1; line; p->line++) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (parse_line(p, cfg, line))
			return -1;
		line = nl ? nl + 1 : NULL;
	}
	return 0;
}

int config_parse(struct vigil_config *cfg, const char *text, size_t len, const char *name,
		 char *err, size_t errlen)
{
	struct parser *p = calloc(1, sizeof(*p));
	struct vigil_config *tmp = malloc(sizeof(*tmp));
	char *copy = malloc(len + 1);
	struct c_numeric loc;
	int rc = -1;

	if (!p || !tmp || !copy) {
		snprintf(err, errlen, "%s: out of memory", name);
		errno = ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	config_defaults(tmp);
	c_numeric_enter(&loc);
	rc = parse_buffer(tmp, copy, len, p);
	c_numeric_leave(&loc);
	if (rc) {
		errno = EINVAL;
		goto out;
	}
	snprintf(tmp->source, sizeof(tmp->source), "%s", name);
	*cfg = *tmp;
out:
	free(copy);
	free(tmp);
	free(p);
	return rc;
}

/* ---- who may have written it ---- */

static void owner_name(char *buf, size_t len, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(buf, len, "uid %u (%s)", (unsigned)uid, pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}

/* One object on the way to the file: owned by root or by us, and not
 * writable by group or others (a directory may be, with the sticky bit
 * that /tmp has: nobody else can then replace what we own in it). */
static int untrusted(const struct stat *st, uid_t euid, bool dir, char *why, size_t len)
{
	char owner[64];

	owner_name(owner, sizeof(owner), st->st_uid);
	if (st->st_uid != 0 && st->st_uid != euid) {
		snprintf(why, len, "is owned by %s, not by root or you (mode %04o)", owner,
			 (unsigned)(st->st_mode & 07777));
		return 1;
	}
	if ((st->st_mode & 022) && !(dir && (st->st_mode & S_ISVTX))) {
		snprintf(why, len, "is writable by %s (owner %s, mode %04o)",
			 (st->st_mode & 022) == 022 ? "group and others" : (st->st_mode & 020) ? "group" : "others",
			 owner, (unsigned)(st->st_mode & 07777));
		return 1;
	}
	return 0;
}

int config_check_trust(const char *path, int fd, unsigned euid, char *err, size_t errlen)
{
	char real[PATH_MAX], why[160];
	struct stat st;

	if (fstat(fd, &st)) {
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (untrusted(&st, euid, false, why, sizeof(why))) {
		snprintf(err, errlen, "%s %s", path, why);
		return -1;
	}
	/* every directory above it: whoever can write one can swap the file */
	if (!realpath(path, real)) {
		snprintf(err, errlen, "%s: cannot resolve: %s", path, strerror(errno));
		return -1;
	}
	for (char *slash = strrchr(real, '/'); slash; slash = strrchr(real, '/')) {
		*slash = '\0';
		const char *dir = real[0] ? real : "/";
		if (stat(dir, &st)) {
			snprintf(err, errlen, "%s: cannot stat %s: %s", path, dir, strerror(errno));
			return -1;
		}
		if (untrusted(&st, euid, true, why, sizeof(why))) {
			snprintf(err, errlen, "%s: its directory %s %s", path, dir, why);
			return -1;
		}
		if (!real[0])
			break;
	}
	return 0;
}

static int load_from(struct vigil_config *cfg, const char *path, FILE *f, char *err, size_t errlen);

int config_load_trusted(struct vigil_config *cfg, const char *path, bool insecure_ok, char *err, size_t errlen,
			char *warn, size_t warnlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), saved;
	FILE *f;

	warn[0] = '\0';
	if (fd < 0) {
		saved = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	/* checked on what was opened, not on a name that may change meanwhile;
	 * a FIFO or a device is never read, whatever the flag says */
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		errno = EINVAL;
		return -1;
	}
	if (config_check_trust(path, fd, (unsigned)geteuid(), err, errlen)) {
		if (!insecure_ok) {
			size_t n = strlen(err);
			snprintf(err + n, errlen - n, ": refusing it (it chooses what is traced and how much "
				 "kernel memory is locked); make it and the directories above it owned by root "
				 "(or you) and not writable by group or others%s", strcmp(path, config_default_path()) ? ", or pass --insecure-config" : "");
			close(fd);
			errno = EPERM;
			return -1;
		}
		snprintf(warn, warnlen, "%s (--insecure-config: read anyway)", err);
	}
	f = fdopen(fd, "r");
	if (!f) {
		saved = errno;
		close(fd);
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	return load_from(cfg, path, f, err, errlen);
}

int config_load(struct vigil_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	int saved;

	if (!f) {
		saved = errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(saved));
		errno = saved;
		return -1;
	}
	return load_from(cfg, path, f, err, errlen);
}

/* reads f to its end (at most CONFIG_MAX_BYTES), parses, closes f */
static int load_from(struct vigil_config *cfg, const char *path, FILE *f, char *err, size_t errlen)
{
	size_t n;
	char *buf;
	int rc, saved;

	buf = malloc(CONFIG_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return -1;
	}
	n = fread(buf, 1, CONFIG_MAX_BYTES + 1, f);
	if (ferror(f)) {
		saved = errno;
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(saved));
		rc = -1;
	} else if (n > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes: not a config file", path,
			 CONFIG_MAX_BYTES);
		saved = EFBIG;
		rc = -1;
	} else {
		rc = config_parse(cfg, buf, n, path, err, errlen);
		saved = errno;
	}
	free(buf);
	fclose(f);
	errno = saved;
	return rc;
}

/* ---- printing ---- */

/* Text that reads back as the same double: "0.25", not "0.25000000000000000"
 * (15 digits always round-trip what a person wrote; 17 any double). */
static void fmt_double(char *buf, size_t size, double v)
{
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
}

static void fmt_bytes(char *buf, size_t size, uint64_t v)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {{"TiB", 1ULL << 40}, {"GiB", 1ULL << 30}, {"MiB", 1ULL << 20}, {"KiB", 1ULL << 10}};

	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (v && v % units[i].mult == 0) {
			snprintf(buf, size, "%llu%s", (unsigned long long)(v / units[i].mult),
				 units[i].unit);
			return;
		}
	}
	snprintf(buf, size, "%llu", (unsigned long long)v);
}

static void print_key(FILE *f, const struct config_key *k, const struct vigil_config *cfg,
		      enum vigil_role r, int commented)
{
	const void *src = key_field(k, (struct vigil_config *)cfg, r);
	const char *s = src;
	char buf[64];
	size_t len;

	fprintf(f, "# %s\n%s%s = ", k->doc, commented ? "#" : "", k->key);
	switch (k->type) {
	case CFG_DOUBLE:
		fmt_double(buf, sizeof(buf), *(const double *)src);
		fprintf(f, "%s\n", buf);
		break;
	case CFG_UINT:
		fprintf(f, "%u\n", *(const unsigned *)src);
		break;
	case CFG_BYTES:
		fmt_bytes(buf, sizeof(buf), *(const uint64_t *)src);
		fprintf(f, "%s\n", buf);
		break;
	case CFG_REGEX:
		len = strlen(s);
		/* quotes only where trimming or unquote() would change it */
		if (len && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t' ||
			    (len >= 2 && s[0] == '"' && s[len - 1] == '"')))
			fprintf(f, "\"%s\"\n", s);
		else
			fprintf(f, "%s\n", s);
		break;
	}
}

static void print_section(FILE *f, const struct vigil_config *cfg, const char *section,
			  enum vigil_role r, int commented)
{
	if (!strcmp(section, "role"))
		fprintf(f, "[role %s]\n", role_name(r));
	else
		fprintf(f, "[%s]\n", section);
	for (size_t i = 0; i < NKEYS; i++) {
		if (!strcmp(keys[i].section, section) && key_applies(&keys[i], r))
			print_key(f, &keys[i], cfg, r, commented);
	}
	fputc('\n', f);
}

void config_print(FILE *f, const struct vigil_config *cfg, int commented)
{
	static const enum vigil_role order[] = {ROLE_ASR, ROLE_AVATAR, ROLE_CAMERA, ROLE_OTHER};
	struct c_numeric loc;

	c_numeric_enter(&loc);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		print_section(f, cfg, "role", order[i], commented);
	/* the other sections in table order, each once */
	for (size_t i = 0; i < NKEYS; i++) {
		int first = !is_role_key(&keys[i]);

		for (size_t j = 0; first && j < i; j++)
			first = strcmp(keys[j].section, keys[i].section) != 0;
		if (first)
			print_section(f, cfg, keys[i].section, ROLE_OTHER, commented);
	}
	c_numeric_leave(&loc);
}
