/*
 * change.c - the rampartctl commands that set or clear a flag of a ramp
 * state (pause, resume, hold, release) or delete it (forget)
 */
#include "change.h"
#include "commands.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

int change_find_target(struct ctl *ctl, const char *source,
                       const char *provider, struct target *t)
{
    t->src = ctl_source(ctl, source);
    if (t->src == NULL)
        return EX_USAGE;
    t->ramp = NULL;
    if (provider != NULL &&
        (t->ramp = ctl_provider_ramp(ctl, provider)) == NULL)
        return EX_USAGE;
    snprintf(t->label, sizeof(t->label), "%s%s%s", t->src->address,
             t->ramp ? " provider " : "", t->ramp ? t->ramp->provider : "");
    return EX_OK;
}

int change_apply(struct ctl *ctl, const struct target *t,
                 struct ramp_change *change, long *previous_step)
{
    char note[128];
    char err[512];

    ctl_note(note, sizeof(note));
    change->note = note;
    /*
     * ramp_change() dates the log entry with the override's day, so only
     * the other operations get today's date here.
     */
    if (change->op != RAMP_OVERRIDE)
        change->date = ctl->today.date;
    change->provider = t->ramp ? t->ramp->provider : NULL;
    if (ramp_change(ctl->store, ctl->cfg, t->src->address, change,
                    previous_step, err, sizeof(err)) != 0) {
        ctl_error("%s: %s", t->label, err);
        return EX_UNAVAILABLE;
    }
    return EX_OK;
}

int change_prepare(struct ctl *ctl, const char *source, const char *provider,
                   struct target *t)
{
    int rc = ctl_load(ctl);

    if (rc == EX_OK)
        rc = change_find_target(ctl, source, provider, t);
    if (rc == EX_OK)
        rc = ctl_connect(ctl);
    return rc;
}

/* Options of forget, pause, resume, hold and release. */
struct change_options {
    const char *provider;
    const char *duration;
    const char *until;
    const char *reason;
    long seconds;    /* --for, parsed */
    time_t until_at; /* --until, parsed */
};

/*
 * Check the options of "op" before Redis is contacted (--until needs the
 * configured zone, so the config must be loaded).  Returns EX_OK or 64.
 */
static int check_options(const struct command *cmd, enum ramp_op op,
                         struct change_options *o)
{
    int timed = op == RAMP_PAUSE || op == RAMP_HOLD;

    if (!timed && (o->duration || o->until || o->reason))
        return ctl_usage(cmd, "--for, --until and --reason apply only to "
                              "pause and hold");
    if (!timed)
        return EX_OK;
    if (o->reason == NULL)
        return ctl_usage(cmd, "give --reason TEXT: it goes to the ramp log "
                              "and into the SMTP reply of deferred mail");
    if (o->duration != NULL && o->until != NULL)
        return ctl_usage(cmd, "give --for or --until, not both");
    if (ctl_check_reason("--reason", o->reason) != 0 ||
        (o->duration != NULL &&
         ctl_parse_duration("--for duration", o->duration, &o->seconds) != 0) ||
        (o->until != NULL &&
         ctl_parse_local_time("--until time", o->until, &o->until_at) != 0))
        return EX_USAGE;
    return EX_OK;
}

/* Fill the end and reason of a pause or hold at Redis time. */
static int set_until(const struct ctl *ctl, const struct change_options *o,
                     struct ramp_change *change)
{
    char now[64];

    change->reason = o->reason;
    change->until = 0;
    if (o->duration != NULL)
        change->until = ctl->now + (time_t)o->seconds;
    if (o->until != NULL) {
        if (o->until_at <= ctl->now) {
            ctl_format_time(ctl->now, now, sizeof(now));
            ctl_error("--until '%s' is not in the future (the Redis clock "
                      "reads %s); give a later time",
                      o->until, now);
            return EX_USAGE;
        }
        change->until = o->until_at;
    }
    return EX_OK;
}

static void print_flag_change(const struct target *t,
                              const struct ramp_change *change)
{
    char until[64];

    switch (change->op) {
    case RAMP_PAUSE:
    case RAMP_HOLD:
        if (change->until > 0)
            ctl_format_time(change->until, until, sizeof(until));
        else
            snprintf(until, sizeof(until), "rampartctl %s",
                     change->op == RAMP_PAUSE ? "resume" : "release");
        printf("%s: %s until %s: %s\n", t->label,
               change->op == RAMP_HOLD ? "held at its step"
               : change->provider      ? "paused, its recipients are deferred,"
                                       : "paused, all mail is deferred,",
               until, change->reason);
        break;
    case RAMP_RESUME:
        printf("%s: resumed, mail is no longer deferred for a pause\n",
               t->label);
        break;
    case RAMP_RELEASE:
        printf("%s: released, the ramp may advance again\n", t->label);
        break;
    default:
        break;
    }
}

int cmd_change(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv)
{
    static const struct option longopts[] = {
        {"provider", required_argument, NULL, 'p'},
        {"for", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'u'},
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    static const struct {
        const char *name;
        enum ramp_op op;
    } ops[] = {{"forget", RAMP_FORGET},
               {"pause", RAMP_PAUSE},
               {"resume", RAMP_RESUME},
               {"hold", RAMP_HOLD},
               {"release", RAMP_RELEASE}};
    struct change_options o = {0};
    struct ramp_change change = {0};
    struct target t;
    long previous;
    int opt;
    int rc;

    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strcmp(ops[i].name, cmd->name) == 0)
            change.op = ops[i].op;
    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        switch (opt) {
        case 'p':
            o.provider = optarg;
            break;
        case 'f':
            o.duration = optarg;
            break;
        case 'u':
            o.until = optarg;
            break;
        case 'r':
            o.reason = optarg;
            break;
        case 'h':
            ctl_help(cmd, stdout);
            return EX_OK;
        default:
            return EX_USAGE;
        }
    }
    if (argc - optind != 1)
        return ctl_usage(cmd, "give exactly one SOURCE");
    if ((rc = ctl_load(ctl)) != EX_OK ||
        (rc = check_options(cmd, change.op, &o)) != EX_OK ||
        (rc = change_find_target(ctl, argv[optind], o.provider, &t)) != EX_OK ||
        (rc = ctl_connect(ctl)) != EX_OK ||
        (rc = set_until(ctl, &o, &change)) != EX_OK ||
        (rc = change_apply(ctl, &t, &change, &previous)) != EX_OK)
        return rc;
    if (change.op == RAMP_FORGET && previous > 0)
        printf("%s: ramp state and log deleted (it was at step %ld); the "
               "config's defaults apply from the next decision\n",
               t.label, previous);
    else if (change.op == RAMP_FORGET)
        printf("%s: ramp state and log deleted (it had no step yet); the "
               "config's defaults apply from the next decision\n",
               t.label);
    else
        print_flag_change(&t, &change);
    return EX_OK;
}
