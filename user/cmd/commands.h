/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One function per command; each returns the process exit code. */
#ifndef VIGIL_COMMANDS_H
#define VIGIL_COMMANDS_H

struct cli;

int cmd_record(struct cli *c);
int cmd_dump(struct cli *c);
int cmd_live(struct cli *c);
int cmd_replay(struct cli *c);
int cmd_report(struct cli *c);
int cmd_serve(struct cli *c);

#endif
