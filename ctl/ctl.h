/*
 * ctl.h - what the rampartctl commands share: the loaded configuration,
 * the Redis connection and clock, and the checks of command-line values
 *
 * Every helper that fails prints its error to stderr as "rampartctl: ...".
 * The caller then exits with the sysexits(3) code that the helper returns
 * or that its kind of failure implies: EX_USAGE for a bad value,
 * EX_UNAVAILABLE for Redis and EX_CONFIG for the configuration.
 */
#ifndef RAMPARTCTL_CTL_H
#define RAMPARTCTL_CTL_H

#include "calendar.h"
#include "config.h"
#include "store.h"

#include <getopt.h>
#include <hiredis.h>
#include <stdio.h>
#include <time.h>

/* Maximum length of a reason text, which the milter puts in SMTP replies. */
#define CTL_REASON_MAX 160

struct ctl;

/* One subcommand: its name, its help text and its entry point. */
struct command {
    const char *name;
    const char *synopsis; /* the arguments, e.g. "SOURCE [--log N]" */
    const char *summary;  /* one line for the command list */
    const char *options;  /* one line per option for --help, or "" */
    int (*run)(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv);
};

struct ctl {
    const char *config_path;
    struct rampart_config *cfg;
    struct store *store;
    time_t now;           /* Redis TIME plus cfg->test_clock_offset */
    struct cal_day today; /* the local day that contains "now" */
    char today_text[CAL_DATE_TEXT];
};

/* Print "rampartctl: MESSAGE" to stderr. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print a usage error for "cmd" and a pointer to its --help.  Returns
 * EX_USAGE.
 */
int ctl_usage(const struct command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Print the usage and the options of "cmd". */
void ctl_help(const struct command *cmd, FILE *out);

/*
 * Run getopt_long over the arguments of "cmd" (argv[0] is the command
 * name).  Returns the option character, -1 at the end of the options, 'h'
 * for --help, or '?' after printing a usage error for an unknown option or
 * a missing value.  "shortopts" must start with ':'.
 */
int ctl_getopt(const struct command *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts);

/*
 * Parse the options of a command that has only --help.  Returns EX_OK
 * after printing the help, EX_USAGE after a usage error, or -1 when the
 * command goes on with its arguments from argv[optind].
 */
int ctl_parse_help_only(const struct command *cmd, int argc, char **argv);

/*
 * Load the configuration and set its time zone.  Returns EX_OK or
 * EX_CONFIG.
 */
int ctl_load(struct ctl *ctl);

/*
 * Open the Redis pool of the loaded configuration and read Redis TIME,
 * which sets ctl->now, ctl->today and the store's clock.  Returns EX_OK
 * or the exit status.
 */
int ctl_connect(struct ctl *ctl);

void ctl_close(struct ctl *ctl);

/*
 * Run one Redis command given as NULL-terminated strings.  Returns the
 * reply, or NULL after printing the failure or the error reply.
 */
redisReply *ctl_redis(struct ctl *ctl, const char *command, ...)
    __attribute__((sentinel));

/*
 * Return the configured source that "text" names in any spelling of its
 * address, or NULL after printing an error that lists the configured
 * sources.
 */
const struct source *ctl_source(const struct ctl *ctl, const char *text);

/*
 * Return the provider ramp named "name", or NULL after printing an error
 * that lists the configured provider ramps.
 */
const struct provider_ramp *ctl_provider_ramp(const struct ctl *ctl,
                                              const char *name);

/* Return the schedule named "name", or NULL. */
const struct schedule *ctl_schedule(const struct rampart_config *cfg,
                                    const char *name);

/* Parse a whole decimal number from "min" to "max".  Returns 0 or -1. */
int ctl_parse_number(const char *text, long min, long max, long *out);

/*
 * Parse a whole decimal number from "min" to "max" given as the option or
 * argument "name".  Returns 0, or -1 after printing an error.
 */
int ctl_parse_long(const char *name, const char *text, long min, long max,
                   long *out);

/* Parse a "YYYY-MM-DD" date.  Returns 0, or -1 after printing an error. */
int ctl_parse_date(const char *name, const char *text, struct cal_date *out);

/*
 * Parse a duration such as "90s", "30m", "12h" or "2d" into seconds.
 * Returns 0, or -1 after printing an error.
 */
int ctl_parse_duration(const char *name, const char *text, long *seconds);

/*
 * Parse a local time "YYYY-MM-DD HH:MM" in the configured zone into UTC
 * seconds.  Returns 0, or -1 after printing an error.
 */
int ctl_parse_local_time(const char *name, const char *text, time_t *out);

/*
 * Check a reason text for the ramp log and the SMTP reply.  Returns 0, or
 * -1 after printing an error.
 */
int ctl_check_reason(const char *name, const char *text);

/* Write "rampartctl by USER" for the ramp log, naming who ran the command. */
void ctl_note(char *buf, size_t len);

/* Format UTC seconds as local "YYYY-MM-DD HH:MM ZONE". */
void ctl_format_time(time_t t, char *buf, size_t len);

#endif
