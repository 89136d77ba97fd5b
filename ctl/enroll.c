/*
 * enroll.c - the rampartctl commands that set a ramp's schedule, step or
 * cap: enroll, set-step and override
 */
#include "change.h"
#include "commands.h"
#include "keys.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Finish an error line with the configured schedules. */
static void list_schedules(const struct rampart_config *cfg)
{
    for (size_t i = 0; i < cfg->schedule_count; i++)
        fprintf(stderr, "%s%s", i ? ", " : " ", cfg->schedules[i].name);
    fprintf(stderr, "%s\n", cfg->schedule_count ? "" : " none");
}

/* Options of enroll.  "schedule" is "" for --fixed and NULL when absent. */
struct enroll_options {
    const char *schedule;
    const char *start;
    const char *step;
};

/* Fill "change" from the options and the source's config entry. */
static int enroll_change(struct ctl *ctl, const struct command *cmd,
                         const struct source *src,
                         const struct enroll_options *o,
                         struct ramp_change *change)
{
    const struct rampart_config *cfg = ctl->cfg;

    change->op = RAMP_ENROLL;
    change->schedule = src->schedule ? src->schedule->name : "";
    change->start = src->start;
    change->step = src->initial_step;
    if (o->schedule != NULL && o->schedule[0] != '\0') {
        if (ctl_schedule(cfg, o->schedule) == NULL) {
            fprintf(stderr,
                    "rampartctl: --schedule %s: no schedule of that name; "
                    "give one of the schedules in %s:",
                    o->schedule, cfg->path);
            list_schedules(cfg);
            return EX_USAGE;
        }
        change->schedule = o->schedule;
    } else if (o->schedule != NULL) {
        if (src->schedule != NULL) {
            ctl_error("--fixed: %s has schedule %s in %s, not a daily_cap; "
                      "give it a daily_cap there first",
                      src->address, src->schedule->name, cfg->path);
            return EX_USAGE;
        }
        change->schedule = "";
    }
    if (o->start != NULL &&
        ctl_parse_date("--start date", o->start, &change->start) != 0)
        return EX_USAGE;
    if (o->step != NULL) {
        if (change->schedule[0] == '\0')
            return ctl_usage(cmd,
                             "--step applies only to a schedule, and "
                             "%s gets a fixed daily cap",
                             src->address);
        if (ctl_parse_long("--step", o->step, 1, STEP_MAX, &change->step) != 0)
            return EX_USAGE;
    }
    return EX_OK;
}

int cmd_enroll(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv)
{
    static const struct option longopts[] = {
        {"schedule", required_argument, NULL, 's'},
        {"fixed", no_argument, NULL, 'f'},
        {"start", required_argument, NULL, 'd'},
        {"step", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct enroll_options o = {0};
    struct ramp_change change = {0};
    struct target t;
    char start[CAL_DATE_TEXT];
    long previous;
    int opt;
    int rc;

    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h') {
            ctl_help(cmd, stdout);
            return EX_OK;
        }
        if ((opt == 's' || opt == 'f') && o.schedule != NULL)
            return ctl_usage(cmd, "give --schedule or --fixed, once");
        if (opt == 's' && optarg[0] == '\0')
            return ctl_usage(cmd, "--schedule needs a schedule name");
        if (opt == 's' || opt == 'f')
            o.schedule = opt == 's' ? optarg : "";
        else if (opt == 'd')
            o.start = optarg;
        else if (opt == 'n')
            o.step = optarg;
        else
            return EX_USAGE;
    }
    if (argc - optind != 1)
        return ctl_usage(cmd, "give exactly one SOURCE");
    if ((rc = ctl_load(ctl)) != EX_OK ||
        (rc = change_find_target(ctl, argv[optind], NULL, &t)) != EX_OK ||
        (rc = enroll_change(ctl, cmd, t.src, &o, &change)) != EX_OK ||
        (rc = ctl_connect(ctl)) != EX_OK ||
        (rc = change_apply(ctl, &t, &change, &previous)) != EX_OK)
        return rc;
    cal_format_date(change.start, start, sizeof(start));
    if (change.schedule[0] == '\0')
        printf("%s: enrolled with the fixed daily cap from %s", t.label, start);
    else
        printf("%s: enrolled on schedule %s from %s at step %ld", t.label,
               change.schedule, start, change.step);
    if (previous > 0)
        printf(" (it was at step %ld)\n", previous);
    else
        printf(" (it had no state)\n");
    return EX_OK;
}

/*
 * Write the schedule name of the ramp of "src" to "name", "" for a fixed
 * daily cap: the ramp state's wins over the config's.  Returns 0 or -1.
 */
static int ramp_schedule(struct ctl *ctl, const struct source *src, char *name,
                         size_t len)
{
    char key[LIMITER_KEY_MAX];
    redisReply *reply;

    keys_ramp(key, sizeof(key), ctl->cfg->redis.prefix, src->address, NULL);
    reply = ctl_redis(ctl, "HGET", key, "schedule", NULL);
    if (reply == NULL)
        return -1;
    if (reply->type == REDIS_REPLY_STRING)
        snprintf(name, len, "%s", reply->str);
    else
        snprintf(name, len, "%s", src->schedule ? src->schedule->name : "");
    freeReplyObject(reply);
    return 0;
}

int cmd_set_step(struct ctl *ctl, const struct command *cmd, int argc,
                 char **argv)
{
    static const struct option longopts[] = {
        {"provider", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *provider = NULL;
    struct ramp_change change = {.op = RAMP_STEP};
    char schedule[128];
    struct target t;
    long previous;
    int opt;
    int rc;

    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h') {
            ctl_help(cmd, stdout);
            return EX_OK;
        }
        if (opt != 'p')
            return EX_USAGE;
        provider = optarg;
    }
    if (argc - optind != 2)
        return ctl_usage(cmd, "give a SOURCE and a step N");
    if (ctl_parse_long("step", argv[optind + 1], 1, STEP_MAX, &change.step) !=
        0)
        return EX_USAGE;
    if ((rc = change_prepare(ctl, argv[optind], provider, &t)) != EX_OK)
        return rc;
    if (ramp_schedule(ctl, t.src, schedule, sizeof(schedule)) != 0)
        return EX_UNAVAILABLE;
    if (schedule[0] == '\0') {
        ctl_error("%s has a fixed daily cap, which has no steps; run "
                  "rampartctl enroll %s --schedule NAME first",
                  t.src->address, t.src->address);
        return EX_USAGE;
    }

    if ((rc = change_apply(ctl, &t, &change, &previous)) != EX_OK)
        return rc;
    if (previous > 0)
        printf("%s: step %ld -> %ld\n", t.label, previous, change.step);
    else
        printf("%s: step %ld (it had no state)\n", t.label, change.step);
    return EX_OK;
}

/* Print what an override replaces: one set for another day, if any. */
static int print_replaced_override(struct ctl *ctl, const struct target *t,
                                   const char *date)
{
    char key[LIMITER_KEY_MAX];
    redisReply *reply;

    keys_ramp(key, sizeof(key), ctl->cfg->redis.prefix, t->src->address,
              t->ramp ? t->ramp->provider : NULL);
    reply = ctl_redis(ctl, "HMGET", key, "override_cap", "override_day", NULL);
    if (reply == NULL)
        return -1;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_STRING &&
        reply->element[1]->type == REDIS_REPLY_STRING &&
        strcmp(reply->element[1]->str, date) != 0 &&
        strcmp(reply->element[1]->str, ctl->today_text) >= 0)
        printf("%s: this replaces the override of cap %s on %s, because a "
               "ramp keeps one override\n",
               t->label, reply->element[0]->str, reply->element[1]->str);
    freeReplyObject(reply);
    return 0;
}

int cmd_override(struct ctl *ctl, const struct command *cmd, int argc,
                 char **argv)
{
    static const struct option longopts[] = {
        {"provider", required_argument, NULL, 'p'},
        {"date", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *provider = NULL;
    const char *date_text = NULL;
    struct ramp_change change = {.op = RAMP_OVERRIDE};
    char date[CAL_DATE_TEXT];
    struct target t;
    long previous;
    int opt;
    int rc;

    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h') {
            ctl_help(cmd, stdout);
            return EX_OK;
        }
        if (opt == 'p')
            provider = optarg;
        else if (opt == 'd')
            date_text = optarg;
        else
            return EX_USAGE;
    }
    if (argc - optind != 2)
        return ctl_usage(cmd, "give a SOURCE and a CAP, or \"clear\"");
    if (strcmp(argv[optind + 1], "clear") == 0) {
        change.cap = -1;
        if (date_text != NULL)
            return ctl_usage(cmd, "--date does not apply to clear, which "
                                  "removes the override of any day");
    } else if (ctl_parse_number(argv[optind + 1], 0, SCHED_CAP_MAX,
                                &change.cap) != 0) {
        ctl_error("invalid CAP \"%s\": give a whole number from 0 to %ld, "
                  "or \"clear\"",
                  argv[optind + 1], SCHED_CAP_MAX);
        return EX_USAGE;
    }
    if (date_text != NULL &&
        ctl_parse_date("--date", date_text, &change.date) != 0)
        return EX_USAGE;
    if ((rc = change_prepare(ctl, argv[optind], provider, &t)) != EX_OK)
        return rc;
    if (date_text == NULL)
        change.date = ctl->today.date;
    cal_format_date(change.date, date, sizeof(date));
    if (change.cap >= 0 && strcmp(date, ctl->today_text) < 0) {
        ctl_error("--date %s is in the past (today is %s in zone %s); give "
                  "today or a later date",
                  date, ctl->today_text, ctl->cfg->timezone);
        return EX_USAGE;
    }
    if (change.cap >= 0 && print_replaced_override(ctl, &t, date) != 0)
        return EX_UNAVAILABLE;
    if ((rc = change_apply(ctl, &t, &change, &previous)) != EX_OK)
        return rc;
    if (change.cap < 0)
        printf("%s: override cleared\n", t.label);
    else
        printf("%s: cap %ld on %s, in place of the schedule's cap\n", t.label,
               change.cap, date);
    return EX_OK;
}
