/*
 * commands.h - the entry points of the rampartctl subcommands
 *
 * Each one parses its options, prints its usage for --help, and returns
 * the process exit status (sysexits(3)).
 */
#ifndef RAMPARTCTL_COMMANDS_H
#define RAMPARTCTL_COMMANDS_H

#include "ctl.h"

/* status.c */
int cmd_status(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv);
int cmd_show(struct ctl *ctl, const struct command *cmd, int argc, char **argv);

/* change.c */
int cmd_enroll(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv);
int cmd_change(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv);
int cmd_override(struct ctl *ctl, const struct command *cmd, int argc,
                 char **argv);
int cmd_set_step(struct ctl *ctl, const struct command *cmd, int argc,
                 char **argv);

/* record.c */
int cmd_record(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv);

/* explain.c */
int cmd_explain(struct ctl *ctl, const struct command *cmd, int argc,
                char **argv);

/* metrics.c */
int cmd_metrics(struct ctl *ctl, const struct command *cmd, int argc,
                char **argv);

#endif
