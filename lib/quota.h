/*
 * quota.h - check or charge one message against its source's warm-up cap
 */
#ifndef RAMPART_QUOTA_H
#define RAMPART_QUOTA_H

#include "config.h"
#include "limiter.h"
#include "ramp.h"
#include "store.h"

#include <time.h>

enum quota_action {
    QUOTA_ACCEPT, /* within every limit (and charged, when asked) */
    QUOTA_DEFER   /* a limit has no room; nothing was charged */
};

struct quota_outcome {
    enum quota_action action;
    struct ramp_today today;
    char key[LIMITER_KEY_MAX]; /* the day counter of the source */
    long count;                /* after the step, or at the refusal */
    long cap;
    time_t now;                /* Redis time of the decision */
    time_t retry_at;           /* DEFER: when room comes back */
    char reason[256];          /* DEFER: the reply text, without the code */
};

/*
 * Check (charge = 0) or charge (charge = 1) a message of "recipients"
 * recipients from "src": one message and its recipients, counted against
 * the unit the config names.  A check counts the recipients already
 * accepted in the open transaction plus the new one.  Returns 0 with the
 * outcome, or -1 with the reason in "err" when Redis failed.
 */
int quota_run(struct store *st, const struct rampart_config *cfg,
              const struct source *src, int charge, long recipients,
              struct quota_outcome *out, char *err, size_t errlen);

/*
 * Fill "req" with the limits of "src" at Redis time "now" and store the
 * ramp position in "today".  Returns 0 or -1.
 */
int quota_build(const struct rampart_config *cfg, const struct source *src,
                time_t now, int charge, long recipients,
                struct limiter_request *req, struct ramp_today *today);

#endif
