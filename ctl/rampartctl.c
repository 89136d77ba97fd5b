/*
 * rampartctl.c - the operators' tool for the warm-up ramps that rampart
 * keeps in Redis: inspect them, change them, record delivery outcomes and
 * explain decisions
 *
 * Usage: rampartctl [-c FILE] COMMAND [ARGS]
 */
#include "commands.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

static int cmd_check(struct ctl *ctl, const struct command *cmd, int argc,
                     char **argv);

/* Option help: the option on one line, what it sets on the next. */
#define PROVIDER_OPTION                                                        \
    "  --provider P\n"                                                         \
    "      change provider ramp P (from provider_ramps), not the source's "    \
    "own ramp\n"

#define TIMED_OPTIONS                                                          \
    PROVIDER_OPTION                                                            \
    "  --for DURATION\n"                                                       \
    "      end it after DURATION: a number and s, m, h or d, e.g. 12h\n"       \
    "  --until 'YYYY-MM-DD HH:MM'\n"                                           \
    "      end it at this local time of the configured time zone\n"            \
    "      (without --for or --until it lasts until undone)\n"                 \
    "  --reason TEXT\n"                                                        \
    "      required: why, for the ramp log and the SMTP reply of deferred "    \
    "mail;\n"                                                                  \
    "      1 to 160 printable ASCII characters other than '%'\n"

static const struct command commands[] = {
    {"status", "[SOURCE...]",
     "Print one line per source and provider ramp: schedule, step, today's "
     "cap,\nuse, deferrals, units left and flags.",
     "", cmd_status},
    {"show", "SOURCE [--log N]",
     "Print the whole ramp state of a source and its provider ramps, today's "
     "counters\nand the newest ramp log entries.",
     "  --log N\n"
     "      the number of log entries to print per ramp (default 10, 0 for "
     "none)\n",
     cmd_show},
    {"enroll",
     "SOURCE [--schedule NAME | --fixed] [--start YYYY-MM-DD] "
     "[--step N]",
     "Put a source on a schedule, or on its fixed daily cap, from a start "
     "date at a\nstep.  What is not given comes from the source's entry in "
     "the config.",
     "  --schedule NAME\n"
     "      a schedule of the config's schedules group\n"
     "  --fixed\n"
     "      the fixed daily_cap that the config gives the source\n"
     "  --start YYYY-MM-DD\n"
     "      the first sending day\n"
     "  --step N\n"
     "      the step to start at, from 1 to 100000\n",
     cmd_enroll},
    {"forget", "SOURCE [--provider P]",
     "Delete a ramp state and its log, so that the config's defaults apply "
     "again.",
     PROVIDER_OPTION, cmd_change},
    {"pause",
     "SOURCE [--provider P] [--for DURATION | --until TIME] "
     "--reason TEXT",
     "Defer all mail of a source, or of one provider ramp, until resumed.",
     TIMED_OPTIONS, cmd_change},
    {"resume", "SOURCE [--provider P]", "End a pause.", PROVIDER_OPTION,
     cmd_change},
    {"hold",
     "SOURCE [--provider P] [--for DURATION | --until TIME] "
     "--reason TEXT",
     "Keep sending, but keep the ramp at its step until released.",
     TIMED_OPTIONS, cmd_change},
    {"release", "SOURCE [--provider P]",
     "End a hold, so that the ramp may advance again.", PROVIDER_OPTION,
     cmd_change},
    {"override", "SOURCE CAP|clear [--provider P] [--date YYYY-MM-DD]",
     "Replace the cap of one day (today by default) with CAP, or clear the "
     "override.",
     PROVIDER_OPTION "  --date YYYY-MM-DD\n"
                     "      the day the cap applies to, today or later\n",
     cmd_override},
    {"set-step", "SOURCE N [--provider P]",
     "Move a ramp to step N, from 1 to 100000.", PROVIDER_OPTION, cmd_set_step},
    {"record",
     "SOURCE OUTCOME [COUNT] [--provider P | --domain D] "
     "[--date YYYY-MM-DD] [--id ID] [--reason TEXT]",
     "Add COUNT (default 1) delivery outcomes to a source's day counters.\n"
     "OUTCOME is delivered, deferred, bounced, complained or blocked.",
     "  --provider P\n"
     "      also count them for provider P (from providers, or default)\n"
     "  --domain D\n"
     "      also count them for the provider of recipient domain D\n"
     "  --date YYYY-MM-DD\n"
     "      the day the messages were sent (default today)\n"
     "  --id ID\n"
     "      an event ID: an ID recorded before is not counted again\n"
     "  --reason TEXT\n"
     "      blocked only: the text for the ramp log and any pause\n",
     cmd_record},
    {"explain", "SOURCE [--rcpt ADDRESS ... | --recipients N]",
     "Print the decision the milter would make now for one message, and why."
     "\nThe decision script runs in explain mode and writes nothing.",
     "  --rcpt ADDRESS\n"
     "      a recipient of the message; repeat it for each one\n"
     "  --recipients N\n"
     "      the number of recipients when no addresses are given (default "
     "1)\n",
     cmd_explain},
    {"metrics", "",
     "Print the ramps and today's counters of every source in the Prometheus "
     "text\nformat.",
     "", cmd_metrics},
    {"check", "", "Check the configuration file and exit.", "", cmd_check},
    {NULL, NULL, NULL, NULL, NULL}};

static int cmd_check(struct ctl *ctl, const struct command *cmd, int argc,
                     char **argv)
{
    int rc;

    if ((rc = ctl_parse_help_only(cmd, argc, argv)) != -1)
        return rc;
    if (optind < argc)
        return ctl_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if ((rc = ctl_load(ctl)) != EX_OK)
        return rc;
    printf("%s: configuration OK\n", ctl->cfg->path);
    return EX_OK;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: rampartctl [-c FILE] COMMAND [ARGS]\n"
            "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH ")\n"
            "  -h       print this help and exit\n"
            "commands (\"rampartctl COMMAND --help\" prints the "
            "options):\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(out, "  %s%s%s\n", c->name, c->synopsis[0] ? " " : "",
                c->synopsis);
}

int main(int argc, char **argv)
{
    struct ctl ctl = {.config_path = CONFIG_DEFAULT_PATH};
    int opt;
    int rc;

    /* A Redis restart must not kill the command through a broken pipe. */
    signal(SIGPIPE, SIG_IGN);
    while ((opt = getopt(argc, argv, "+c:h")) != -1) {
        switch (opt) {
        case 'c':
            ctl.config_path = optarg;
            break;
        case 'h':
            usage(stdout);
            return EX_OK;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    for (const struct command *c = commands; c->name; c++) {
        if (strcmp(c->name, argv[optind]) != 0)
            continue;

        /* The command parses its own options from its name on. */
        argc -= optind;
        argv += optind;
        optind = 0;
        rc = c->run(&ctl, c, argc, argv);
        ctl_close(&ctl);
        return rc;
    }
    fprintf(stderr, "rampartctl: unknown command \"%s\"\n", argv[optind]);
    usage(stderr);
    return EX_USAGE;
}
