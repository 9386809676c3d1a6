/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command line: one table of commands and one of options drive the
 * parser, `vigil COMMAND --help`, the shell completion (`vigil __complete`)
 * and the man page (`vigil __mdoc`).  A new option is one cli_option entry (and,
 * unless it only stores a value, a setter). */
#ifndef VIGIL_CLI_H
#define VIGIL_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "config.h"

struct targets;

/* exit codes (README.md "Commands") */
enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2, EXIT_PRIVILEGE = 3 };

enum out_format { FMT_TEXT, FMT_JSON, FMT_CSV, FMT_MD };

struct cli {
	const char *command;
	const char *file;   /* positional FILE (report, replay, dump) */
	const char *output; /* -o */
	const char *config_path; /* --config */
	const char *btf_path;    /* --btf */
	double interval_s;
	double duration_s; /* 0 = until interrupted */
	double speed;
	unsigned long long max_size_bytes; /* 0 = unlimited */
	bool batch;
	bool force;
	bool verbose;
	bool help; /* -h/--help was given: nothing else was parsed */
	bool insecure_config; /* --insecure-config */
	int pf_source;
	int sites;            /* --sites: enum site_mode + 1; 0 = the default */
	unsigned site_rate;   /* --site-rate N: a fixed sampling period; 0 = adaptive */
	unsigned ringbuf_kb;
	int format; /* enum out_format */
	const char *record; /* live --record FILE */
	const char *listen;     /* serve --listen ADDR:PORT */
	const char *record_dir; /* serve --record-dir DIR */
	double rotate_mb;       /* serve: a dump of --record-dir is rotated at this size */
	unsigned keep;          /* serve: dumps kept in --record-dir */
	struct targets *targets;
	struct vigil_config config;
};

/* --- the tables -------------------------------------------------------- */

/* Commands, as bits: an option lists the commands it applies to. */
enum {
	CMD_LIVE = 1u << 0,
	CMD_RECORD = 1u << 1,
	CMD_REPLAY = 1u << 2,
	CMD_DUMP = 1u << 3,
	CMD_REPORT = 1u << 4,
	CMD_SERVE = 1u << 5,
};
#define CMD_TRACE (CMD_LIVE | CMD_RECORD | CMD_SERVE)
#define CMD_ALL (~0u)

struct cli_command {
	const char *name;
	unsigned bit;		/* CMD_* */
	int (*run)(struct cli *c);
	const char *operand;	/* positional argument ("FILE"), NULL for none */
	const char *summary;	/* one line, for `vigil --help` */
	const char *about;	/* a few sentences for `vigil COMMAND --help`; may be NULL */
};

/* What an option's value is: how it is checked, shown and completed. */
enum cli_arg {
	ARG_NONE,   /* a flag */
	ARG_NUM,    /* a number in [min, max] (an integer with CLI_INT) */
	ARG_PID,    /* a process id; completes running pids */
	ARG_CHOICE, /* one of .choices (those that apply to the command) */
	ARG_FILE,   /* a path; completes file names */
	ARG_DIR,    /* a directory; completes directory names */
	ARG_TEXT,   /* anything (a regular expression, ADDR:PORT, ...) */
};

/* How a parsed value is stored when the option has no setter. */
enum cli_store { ST_NONE, ST_BOOL, ST_STR, ST_DOUBLE, ST_UINT, ST_INT };

struct cli_choice {
	const char *name;
	int value;
	unsigned cmds; /* 0 = every command of the option */
};

/* the value handed to a setter */
struct cli_value {
	const char *str;
	double num;
	int choice;
};

#define CLI_REPEAT 0x1   /* may be given more than once */
#define CLI_REQUIRED 0x2 /* the command fails without it */
#define CLI_TARGET 0x4   /* selects processes: listed under TARGETS */
#define CLI_SYNOPSIS 0x8 /* shown in the command's synopsis line */
#define CLI_INT 0x10     /* ARG_NUM: an integer */

struct cli_option {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0 = none */
	enum cli_arg arg;
	const char *metavar;	/* "S", "FILE", ...; ARG_CHOICE shows its choices */
	unsigned cmds;		/* CMD_* it applies to */
	unsigned flags;		/* CLI_* */
	double min, max;	/* ARG_NUM, ARG_PID */
	const struct cli_choice *choices; /* ARG_CHOICE; ends with {NULL} */
	enum cli_store store;	/* where the value goes without a setter... */
	size_t offset;		/* ...in struct cli */
	int (*set)(struct cli *c, const struct cli_option *o, const struct cli_value *v);
	const char *help;	/* one line */
	const char *needs;	/* the long name of an option it only applies with, or NULL */
};

/* NULL past the end */
const struct cli_command *cli_command_at(size_t i);
const struct cli_option *cli_option_at(size_t i);
const struct cli_command *cli_command_find(const char *name);
/* 1 if choice ch of o applies to the commands in cmd */
bool cli_choice_applies(const struct cli_option *o, const struct cli_choice *ch, unsigned cmd);

/* --- parsing ----------------------------------------------------------- */

/* Parses argv (argv[0] = the command word).  Returns 0 (with c->help set
 * when -h/--help was given: then nothing else was looked at), or EXIT_USAGE
 * after printing the reason to stderr. */
int cli_parse(struct cli *c, int argc, char **argv);
void cli_free(struct cli *c);

/* --- help, completion, version (cli_help.c, version.c) ----------------- */

/* `vigil --help`: every command's synopsis, targets, common options */
void cli_usage(FILE *f);
/* `vigil COMMAND --help`: synopsis, what it does, every option it takes */
void cli_help_command(FILE *f, const struct cli_command *cmd);
/* `vigil __complete WORD... CUR`: the words after "vigil" up to the one
 * being completed (the last, maybe empty).  Prints one candidate per line,
 * or one of the lines "@file", "@dir", "@pid" for the shell to complete
 * names itself. */
void cli_complete(FILE *f, int nwords, char **words);
/* "text|json" for ARG_CHOICE (the choices of the commands in cmd), else the
 * metavar; "" for a flag.  buf holds the choices. */
const char *cli_value_name(const struct cli_option *o, unsigned cmd, char *buf, size_t size);
/* What a command's synopsis shows, in order: the word TARGETS when it takes
 * target options, each of its CLI_SYNOPSIS options, the word OPTIONS when
 * it takes others (-h aside).  emit gets (o, NULL) or (NULL, word) and
 * prints them to f: the help and the man page spell them each their way. */
typedef void (*cli_synopsis_fn)(FILE *f, unsigned cmd, const struct cli_option *o, const char *word);
void cli_synopsis_walk(FILE *f, const struct cli_command *cmd, cli_synopsis_fn emit);
/* "live, record": the names of the commands in bits */
void cli_command_names(FILE *f, unsigned bits);
/* the commands that take target options (CLI_TARGET) */
unsigned cli_target_commands(void);
/* what TARGETS means, for the help and the man page */
extern const char cli_targets_title[];
/* `vigil __mdoc synopsis|reference` (cli_mdoc.c): the tables as mdoc(7), for
 * docs/vigil.8.  Returns EXIT_OK, or EXIT_USAGE for another part. */
int cli_mdoc(FILE *f, const char *part);
/* `vigil --version` */
void version_print(FILE *f);

/* installs SIGINT/SIGTERM/SIGHUP handlers that set cli_stop */
void cli_handle_signals(void);
extern volatile sig_atomic_t cli_stop;

/* message on stderr, prefixed with "vigil: " */
/* The --format value of an enum out_format: the sink's name (sink.h). */
const char *cli_format_name(int format);
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
