/*
 * metrics.c - rampartctl metrics: the ramps and today's counters in the
 * Prometheus text exposition format, for node_exporter's textfile
 * collector or a script behind an HTTP endpoint
 *
 * Every value is a gauge: the day counters start again from zero on each
 * local calendar day.  Nothing is printed until every value has been read,
 * so a Redis failure never leaves a partial file.
 */
#include "commands.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* One metric family: its name, help text and value of a ramp. */
struct family {
    const char *name;
    const char *help;
    int field;      /* a day_field, or -1 for a ramp value */
    int ramp_value; /* which ramp value when field is -1 */
};

enum ramp_value { VALUE_STEP, VALUE_CAP, VALUE_PAUSED, VALUE_HELD };

static const struct family families[] = {
    {"rampart_ramp_step",
     "Warm-up step of the ramp; ramps with a fixed daily cap have none.", -1,
     VALUE_STEP},
    {"rampart_cap_today",
     "Today's cap in the configured count unit, with any override and the "
     "provider share applied.",
     -1, VALUE_CAP},
    {"rampart_messages_today", "Messages charged today.", DAY_MESSAGES, 0},
    {"rampart_recipients_today", "Recipients charged today.", DAY_RECIPIENTS,
     0},
    {"rampart_tempfailed_today",
     "Recipients deferred today because a limit had no room, the ramp was "
     "paused or the send hours were closed.",
     DAY_TEMPFAILED, 0},
    {"rampart_delivered_today", "Deliveries recorded for today's mail.",
     DAY_DELIVERED, 0},
    {"rampart_deferred_today", "Deferrals recorded for today's mail.",
     DAY_DEFERRED, 0},
    {"rampart_bounced_today", "Bounces recorded for today's mail.", DAY_BOUNCED,
     0},
    {"rampart_complained_today", "Complaints recorded for today's mail.",
     DAY_COMPLAINED, 0},
    {"rampart_blocked_today", "Block signals recorded for today's mail.",
     DAY_BLOCKED, 0},
    {"rampart_paused", "1 while the ramp is paused, else 0.", -1, VALUE_PAUSED},
    {"rampart_held", "1 while the ramp is held at its step, else 0.", -1,
     VALUE_HELD},
};

/* Print a label value with backslash, quote and newline escaped. */
static void print_label(const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"')
            putchar('\\');
        if (*p == '\n')
            fputs("\\n", stdout);
        else
            putchar(*p);
    }
}

/* Store the value of "f" for "v" in *out.  Returns 0, or -1 for none. */
static int family_value(const struct family *f, const struct ramp_view *v,
                        long *out)
{
    if (f->field >= 0) {
        *out = v->counters[f->field];
        return 0;
    }
    switch (f->ramp_value) {
    case VALUE_STEP:
        *out = v->step;
        return v->fixed ? -1 : 0;
    case VALUE_CAP:
        *out = v->cap;
        return v->cap < 0 ? -1 : 0;
    case VALUE_PAUSED:
        *out = v->paused;
        return 0;
    case VALUE_HELD:
        *out = v->held;
        return 0;
    }
    return -1;
}

static void print_family(const struct family *f, const struct ramp_view *views,
                         size_t count)
{
    long value;

    printf("# HELP %s %s\n# TYPE %s gauge\n", f->name, f->help, f->name);
    for (size_t i = 0; i < count; i++) {
        if (family_value(f, &views[i], &value) != 0)
            continue;
        printf("%s{source=\"", f->name);
        print_label(views[i].src->address);
        if (views[i].ramp != NULL) {
            printf("\",provider=\"");
            print_label(views[i].ramp->provider);
        }
        printf("\"} %ld\n", value);
    }
}

/*
 * Read the views of every source and provider ramp into "views", and warn
 * about each ramp whose cap is unknown (its cap gauge is left out).
 */
static int load_views(struct ctl *ctl, struct ramp_view *views, size_t *count)
{
    const struct rampart_config *cfg = ctl->cfg;

    for (size_t s = 0; s < cfg->source_count; s++) {
        const struct source *src = &cfg->sources[s];
        size_t own = *count;

        if (view_load(ctl, src, NULL, NULL, &views[(*count)++]) != 0)
            return -1;
        for (size_t p = 0; p < cfg->provider_ramp_count; p++)
            if (view_load(ctl, src, &cfg->provider_ramps[p], &views[own],
                          &views[(*count)++]) != 0)
                return -1;
    }
    for (size_t i = 0; i < *count; i++)
        if (views[i].problem[0] != '\0')
            ctl_error("%s%s%s: %s", views[i].src->address,
                      views[i].ramp ? " provider " : "",
                      views[i].ramp ? views[i].ramp->provider : "",
                      views[i].problem);
    return 0;
}

int cmd_metrics(struct ctl *ctl, const struct command *cmd, int argc,
                char **argv)
{
    struct ramp_view *views;
    size_t count = 0;
    int rc;

    if ((rc = ctl_parse_help_only(cmd, argc, argv)) != -1)
        return rc;
    if (optind < argc)
        return ctl_usage(cmd, "unexpected argument \"%s\"", argv[optind]);
    if ((rc = ctl_load(ctl)) != EX_OK || (rc = ctl_connect(ctl)) != EX_OK)
        return rc;
    views = calloc(ctl->cfg->source_count * (1 + ctl->cfg->provider_ramp_count),
                   sizeof(*views));
    if (views == NULL) {
        ctl_error("out of memory");
        return EX_OSERR;
    }
    rc = load_views(ctl, views, &count) == 0 ? EX_OK : EX_UNAVAILABLE;
    for (size_t f = 0; rc == EX_OK && f < sizeof(families) / sizeof(*families);
         f++)
        print_family(&families[f], views, count);
    for (size_t i = 0; i < count; i++)
        view_free(&views[i]);
    free(views);
    return rc;
}
