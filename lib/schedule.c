/*
 * schedule.c - warm-up schedules: the cap of each ramp day
 */
#include "schedule.h"

#include <math.h>
#include <stdio.h>

static long clamp_target(const struct schedule *s, long cap)
{
    if (s->target > 0 && cap > s->target)
        return s->target;
    return cap;
}

static long weekly_cap(const struct schedule *s, long day)
{
    long week = (day - 1) / 7 + 1; /* week k covers days 7k-6 .. 7k */
    long last = s->table[s->table_len - 1];
    long extra_weeks;

    if ((size_t)week <= s->table_len)
        return clamp_target(s, s->table[week - 1]);
    extra_weeks = week - (long)s->table_len;
    if (s->add_per_week == 0)
        return clamp_target(s, last);

    /* Stop before the multiplication could overflow a long. */
    if (extra_weeks > (SCHED_CAP_MAX - last) / s->add_per_week)
        return clamp_target(s, SCHED_CAP_MAX);
    return clamp_target(s, last + extra_weeks * s->add_per_week);
}

static long doubling_cap(const struct schedule *s, long day)
{
    long steps = (day - 1) / s->every_days;
    double cap = (double)s->start * pow(s->factor, (double)steps);

    if (!isfinite(cap) || cap >= (double)SCHED_CAP_MAX)
        return clamp_target(s, SCHED_CAP_MAX);
    return clamp_target(s, (long)floor(cap));
}

long sched_cap(const struct schedule *s, long day)
{
    if (day < 1)
        return 0;
    switch (s->kind) {
    case SCHED_FLAT:
        return s->per_day;
    case SCHED_DAILY:
        if ((size_t)day <= s->table_len)
            return s->table[day - 1];
        return s->table[s->table_len - 1];
    case SCHED_WEEKLY:
        return weekly_cap(s, day);
    case SCHED_DOUBLING:
        return doubling_cap(s, day);
    }
    return 0;
}

const char *sched_kind_name(enum sched_kind kind)
{
    switch (kind) {
    case SCHED_FLAT:
        return "flat";
    case SCHED_DAILY:
        return "daily";
    case SCHED_WEEKLY:
        return "weekly";
    case SCHED_DOUBLING:
        return "doubling";
    }
    return "unknown";
}

/* Write "kind:a,b,c" for a table schedule; returns the length or -1. */
static int spec_table(const struct schedule *s, const char *kind, char *buf,
                      size_t len)
{
    size_t used;
    int n = snprintf(buf, len, "%s:", kind);

    if (n < 0 || (size_t)n >= len)
        return -1;
    used = (size_t)n;
    for (size_t i = 0; i < s->table_len; i++) {
        n = snprintf(buf + used, len - used, i ? ",%ld" : "%ld", s->table[i]);
        if (n < 0 || (size_t)n >= len - used)
            return -1;
        used += (size_t)n;
    }
    return (int)used;
}

int sched_spec(const struct schedule *s, char *buf, size_t len)
{
    int used;
    int n = -1;

    switch (s->kind) {
    case SCHED_FLAT:
        n = snprintf(buf, len, "flat:%ld", s->per_day);
        break;
    case SCHED_DAILY:
        return spec_table(s, "daily", buf, len) < 0 ? -1 : 0;
    case SCHED_WEEKLY:
        used = spec_table(s, "weekly", buf, len);
        if (used < 0)
            return -1;
        buf += used;
        len -= (size_t)used;
        n = snprintf(buf, len, ":%ld:%ld", s->add_per_week, s->target);
        break;
    case SCHED_DOUBLING:
        n = snprintf(buf, len, "doubling:%ld:%.17g:%ld:%ld", s->start,
                     s->factor, s->every_days, s->target);
        break;
    }
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int sched_spec_fixed(long cap, char *buf, size_t len)
{
    int n = snprintf(buf, len, "fixed:%ld", cap);

    return n < 0 || (size_t)n >= len ? -1 : 0;
}
