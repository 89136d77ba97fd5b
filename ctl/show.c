/*
 * show.c - rampartctl show: the whole ramp state of one source, its
 * provider ramps, today's counters and the ramp logs
 */
#include "commands.h"
#include "keys.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* The state fields in the order the decision script lists them. */
static const char *const state_fields[] = {"schedule",
                                           "start",
                                           "step",
                                           "day",
                                           "cap",
                                           "spec",
                                           "last_move",
                                           "paused",
                                           "paused_reason",
                                           "paused_until",
                                           "held",
                                           "held_reason",
                                           "held_until",
                                           "override_cap",
                                           "override_day",
                                           "block_pending",
                                           NULL};

static int known_field(const char *name)
{
    for (size_t i = 0; state_fields[i] != NULL; i++)
        if (strcmp(state_fields[i], name) == 0)
            return 1;
    return 0;
}

static void print_field(const char *name, const char *value)
{
    size_t len = strlen(name);
    char when[64];
    long until;

    /* paused_until and held_until are UTC seconds, and 0 means open-ended. */
    if (len > 6 && strcmp(name + len - 6, "_until") == 0 &&
        (until = strtol(value, NULL, 10)) > 0) {
        ctl_format_time((time_t)until, when, sizeof(when));
        printf("    %-15s %s (%s)\n", name, value, when);
        return;
    }
    printf("    %-15s %s\n", name, value);
}

static void print_state(const struct ctl *ctl, const struct ramp_view *v)
{
    const redisReply *r = v->state;
    const char *value;

    printf("  state %s\n", v->state_key);
    if (r->elements == 0) {
        printf("    none: the first decision creates it from %s with start "
               "%s and step %ld\n",
               ctl->cfg->path, v->start, v->src->initial_step);
        return;
    }
    for (size_t i = 0; state_fields[i] != NULL; i++)
        if ((value = view_field(v, state_fields[i])) != NULL)
            print_field(state_fields[i], value);
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING &&
            r->element[i + 1]->type == REDIS_REPLY_STRING &&
            !known_field(r->element[i]->str))
            print_field(r->element[i]->str, r->element[i + 1]->str);
}

static void print_counters(const char *key, const long *counters)
{
    printf("  counters %s\n", key);
    for (size_t i = 0; i < DAY_FIELD_COUNT; i++)
        printf("    %-15s %ld\n", day_fields[i], counters[i]);
}

static int any_counted(const long *counters)
{
    for (size_t i = 0; i < DAY_FIELD_COUNT; i++)
        if (counters[i] != 0)
            return 1;
    return 0;
}

static int print_log(struct ctl *ctl, const char *key, long count)
{
    char last[32];
    redisReply *len;
    redisReply *entries;

    if (count == 0)
        return 0;
    len = ctl_redis(ctl, "LLEN", key, NULL);
    if (len == NULL)
        return -1;
    snprintf(last, sizeof(last), "%ld", count - 1);
    entries = ctl_redis(ctl, "LRANGE", key, "0", last, NULL);
    if (entries == NULL) {
        freeReplyObject(len);
        return -1;
    }
    if (len->integer == 0)
        printf("  log %s: empty\n", key);
    else
        printf("  log %s: %zu of %lld entries, newest first\n", key,
               entries->elements, len->integer);
    for (size_t i = 0; i < entries->elements; i++)
        if (entries->element[i]->type == REDIS_REPLY_STRING)
            printf("    %s\n", entries->element[i]->str);
    freeReplyObject(entries);
    freeReplyObject(len);
    return 0;
}

/* Print one ramp: its state, today's figures, counters and log. */
static int print_ramp(struct ctl *ctl, const struct ramp_view *v,
                      const struct ramp_view *source_view, long log_count)
{
    char flags[128];
    long left = view_left(v, source_view);

    if (v->ramp == NULL)
        printf("ramp of %s\n", v->src->address);
    else
        printf("\nprovider ramp %s of %s, share %g of the cap\n",
               v->ramp->provider, v->src->address, v->ramp->share);
    print_state(ctl, v);
    view_flags(v, flags, sizeof(flags));
    printf("  today %s: ", ctl->today_text);
    if (!v->fixed)
        printf("step %ld, ", v->step);
    if (v->cap < 0)
        printf("cap unknown (%s)", v->problem);
    else
        printf("cap %ld, used %ld, left %ld", v->cap, v->used, left);
    printf("; flags: %s\n", flags);
    print_counters(v->day_key, v->counters);
    return print_log(ctl, v->log_key, log_count);
}

/*
 * Counters of providers without a ramp, which record --provider feeds;
 * those with nothing counted today are left out.
 */
static int print_provider_counters(struct ctl *ctl, const struct source *src)
{
    const struct rampart_config *cfg = ctl->cfg;
    char key[LIMITER_KEY_MAX];
    long counters[DAY_FIELD_COUNT];

    for (size_t i = 0; i < cfg->provider_count; i++) {
        const char *name = cfg->providers[i].name;

        if (config_provider_ramp(cfg, name) != NULL)
            continue;
        if (keys_day(key, sizeof(key), cfg->redis.prefix, src->address,
                     ctl->today.date, name) != 0 ||
            view_read_day(ctl, key, counters) != 0)
            return -1;
        if (!any_counted(counters))
            continue;
        printf("\nprovider %s of %s, no ramp of its own\n", name, src->address);
        print_counters(key, counters);
    }
    return 0;
}

/* The current hour's counter and the pacing state, when configured. */
static int print_pacing(struct ctl *ctl, const struct source *src)
{
    const struct pacing_config *p = &src->pacing;
    char key[LIMITER_KEY_MAX];
    char when[64];
    long counters[DAY_FIELD_COUNT];
    struct tm tm;
    redisReply *tat;

    if (p->per_hour > 0) {
        if (localtime_r(&ctl->now, &tm) == NULL ||
            keys_hour(key, sizeof(key), ctl->cfg->redis.prefix, src->address,
                      ctl->today.date, tm.tm_hour) != 0 ||
            view_read_day(ctl, key, counters) != 0)
            return -1;
        printf("\nhourly cap %ld of %s\n", p->per_hour, src->address);
        printf("  counters %s\n", key);
        printf("    %-15s %ld\n    %-15s %ld\n", day_fields[DAY_MESSAGES],
               counters[DAY_MESSAGES], day_fields[DAY_RECIPIENTS],
               counters[DAY_RECIPIENTS]);
    }
    if (!p->enabled)
        return 0;
    keys_pace(key, sizeof(key), ctl->cfg->redis.prefix, src->address);
    if ((tat = ctl_redis(ctl, "GET", key, NULL)) == NULL)
        return -1;
    printf("\npacing of %s, send hours %02d:%02d-%02d:%02d%s\n", src->address,
           p->open_minute / 60, p->open_minute % 60, p->close_minute / 60,
           p->close_minute % 60, p->weekdays_only ? " on weekdays" : "");
    if (tat->type == REDIS_REPLY_STRING) {
        ctl_format_time((time_t)strtod(tat->str, NULL), when, sizeof(when));
        printf("  %s: next unit due at %s\n", key, when);
    } else {
        printf("  %s: not set, nothing paced yet\n", key);
    }
    freeReplyObject(tat);
    return 0;
}

static int show_source(struct ctl *ctl, const struct source *src,
                       long log_count)
{
    const struct rampart_config *cfg = ctl->cfg;
    struct ramp_view sv;
    struct ramp_view pv;
    int rc;

    printf("source %s on %s (time zone %s, caps count %s)\n", src->address,
           ctl->today_text, cfg->timezone, config_unit_name(cfg->count));
    rc = view_load(ctl, src, NULL, NULL, &sv);
    if (rc == 0)
        rc = print_ramp(ctl, &sv, NULL, log_count);
    for (size_t i = 0; rc == 0 && i < cfg->provider_ramp_count; i++) {
        rc = view_load(ctl, src, &cfg->provider_ramps[i], &sv, &pv);
        if (rc == 0)
            rc = print_ramp(ctl, &pv, &sv, log_count);
        view_free(&pv);
    }
    view_free(&sv);
    if (rc == 0)
        rc = print_provider_counters(ctl, src);
    if (rc == 0)
        rc = print_pacing(ctl, src);
    return rc;
}

int cmd_show(struct ctl *ctl, const struct command *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"log", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *log_text = NULL;
    const struct source *src;
    long log_count = 10;
    int opt;
    int rc;

    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        switch (opt) {
        case 'l':
            log_text = optarg;
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
    if (log_text != NULL &&
        ctl_parse_long("--log count", log_text, 0, 100000, &log_count) != 0)
        return EX_USAGE;
    if ((rc = ctl_load(ctl)) != EX_OK)
        return rc;
    if ((src = ctl_source(ctl, argv[optind])) == NULL)
        return EX_USAGE;
    if ((rc = ctl_connect(ctl)) != EX_OK)
        return rc;
    return show_source(ctl, src, log_count) == 0 ? EX_OK : EX_UNAVAILABLE;
}
