/*
 * ramp.h - record delivery outcomes and change ramp states in Redis
 *
 * Both go through atomic scripts (outcome.lua, admin.lua), so a change and
 * its log entry land together and never race a decision.
 */
#ifndef RAMPART_RAMP_H
#define RAMPART_RAMP_H

#include "calendar.h"
#include "config.h"
#include "store.h"

#include <time.h>

enum outcome_kind {
    OUTCOME_DELIVERED,
    OUTCOME_DEFERRED,
    OUTCOME_BOUNCED,
    OUTCOME_COMPLAINED,
    OUTCOME_BLOCKED /* a provider's reply that means: stop this IP */
};

/* Parse "delivered", "deferred", "bounced", "complained" or "blocked". */
int outcome_parse(const char *word, enum outcome_kind *out);

/* Return the counter field of an outcome, e.g. "bounced". */
const char *outcome_field(enum outcome_kind kind);

struct outcome_event {
    enum outcome_kind kind;
    long count;
    const char *provider; /* the provider name, or NULL */
    struct cal_date date; /* the sending day the outcome belongs to */
    const char *event_id; /* an id seen twice counts once; or NULL */
    const char *reason;   /* text for the ramp log (blocks); or NULL */
};

/*
 * Add an outcome to the day counters of "source" (and of its provider).
 * A block signal also marks the ramp state the provider belongs to (the
 * provider ramp when one exists, else the source's).  Returns 0 with the
 * source's new count in *count_after, 1 for an event id seen before, -1
 * with the reason in "err".
 */
int ramp_record(struct store *st, const struct rampart_config *cfg,
                const char *source, const struct outcome_event *ev,
                long *count_after, char *err, size_t errlen);

enum ramp_op {
    RAMP_ENROLL, /* set schedule, start and step */
    RAMP_FORGET, /* delete the state: config defaults apply again */
    RAMP_PAUSE,  /* defer all mail */
    RAMP_RESUME,
    RAMP_HOLD, /* keep sending, never advance */
    RAMP_RELEASE,
    RAMP_OVERRIDE, /* replace the cap of one day */
    RAMP_STEP      /* move to a step */
};

struct ramp_change {
    enum ramp_op op;
    const char *provider;  /* a provider ramp, or NULL for the source */
    const char *schedule;  /* ENROLL: a schedule name, "" for fixed */
    struct cal_date start; /* ENROLL */
    long step;             /* ENROLL, STEP */
    const char *reason;    /* PAUSE, HOLD */
    time_t until;          /* PAUSE, HOLD: UTC end, 0 for open-ended */
    long cap;              /* OVERRIDE: the cap, or -1 to clear */
    struct cal_date date;  /* OVERRIDE: the day it applies to */
    const char *note;      /* who made the change, for the log; or NULL */
};

/*
 * Apply "change" to the ramp state of "source".  Returns 0 and stores the
 * step before the change (0 when there was no state) in *previous_step,
 * or -1 with the reason in "err".
 */
int ramp_change(struct store *st, const struct rampart_config *cfg,
                const char *source, const struct ramp_change *change,
                long *previous_step, char *err, size_t errlen);

#endif
