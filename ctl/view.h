/*
 * view.h - one ramp state and today's counters, read from Redis and
 * interpreted the way the decision script (limit.lua) will see them
 */
#ifndef RAMPARTCTL_VIEW_H
#define RAMPARTCTL_VIEW_H

#include "ctl.h"
#include "limiter.h"

/* The fields of a day counter hash, in the order of ramp_view.counters. */
enum day_field {
    DAY_MESSAGES,
    DAY_RECIPIENTS,
    DAY_TEMPFAILED,
    DAY_DELIVERED,
    DAY_DEFERRED,
    DAY_BOUNCED,
    DAY_COMPLAINED,
    DAY_BLOCKED,
    DAY_FIELD_COUNT
};

extern const char *const day_fields[DAY_FIELD_COUNT];

/* A ramp state: the source's own, or one of its provider ramps. */
struct ramp_view {
    const struct source *src;
    const struct provider_ramp *ramp; /* NULL for the source's own ramp */
    char state_key[LIMITER_KEY_MAX];
    char log_key[LIMITER_KEY_MAX];
    char day_key[LIMITER_KEY_MAX];
    redisReply *state;    /* HGETALL of state_key: field, value, ... */
    int has_state;        /* 0: the config's defaults apply */
    const char *schedule; /* the schedule name, "" for a fixed daily cap */
    int fixed;
    long step;
    long cap; /* today's cap, override and share applied */
    char problem[LIMITER_KEY_MAX + 256]; /* why the cap is unknown (-1) */
    const char *start;                /* the first sending date, "YYYY-MM-DD" */
    char config_start[CAL_DATE_TEXT]; /* start of a state not yet made */
    long counters[DAY_FIELD_COUNT];
    long used;       /* today's units: messages or recipients */
    int paused;      /* a pause in force now */
    int held;        /* a hold in force now */
    int override;    /* override_cap applies today */
    int not_started; /* today is before the start date */
    int day_begun;   /* a decision has moved the ramp to today */
};

/*
 * Read the ramp state of "src" ("ramp" NULL) or of one of its provider
 * ramps, with today's counters.  A provider ramp takes its schedule from
 * "source_view", the source's own view.  Returns 0, or -1 after printing
 * the Redis failure.
 */
int view_load(struct ctl *ctl, const struct source *src,
              const struct provider_ramp *ramp,
              const struct ramp_view *source_view, struct ramp_view *v);

void view_free(struct ramp_view *v);

/*
 * Read the fields of the day counter hash "key" (0 for a missing one).
 * Returns 0, or -1 after printing the Redis failure.
 */
int view_read_day(struct ctl *ctl, const char *key,
                  long counters[DAY_FIELD_COUNT]);

/* Return a field of the state hash, or NULL when it is not set. */
const char *view_field(const struct ramp_view *v, const char *field);

/*
 * Return the units "v" may still send today: 0 while it or the source
 * ("source_view", NULL for the source itself) is paused or not started,
 * -1 when the cap is unknown.
 */
long view_left(const struct ramp_view *v, const struct ramp_view *source_view);

/* Write the flags of "v", e.g. "paused, override", or "-" when none. */
void view_flags(const struct ramp_view *v, char *buf, size_t len);

#endif
