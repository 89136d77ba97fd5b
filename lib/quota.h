/*
 * quota.h - check or charge one message against every limit of its source
 */
#ifndef RAMPART_QUOTA_H
#define RAMPART_QUOTA_H

#include "config.h"
#include "limiter.h"
#include "store.h"

#include <time.h>

enum quota_action {
    QUOTA_ACCEPT, /* within every limit (and charged, when asked) */
    QUOTA_DEFER   /* refused; nothing was charged */
};

/* Recipients of one message for one provider ramp. */
struct quota_part {
    const struct provider_ramp *ramp;
    long recipients;
};

/*
 * The units of one message.  At RCPT, "recipients" counts the recipients
 * already accepted in the transaction plus the new one, and "parts" holds
 * only the new recipient's provider ramp with its pending count.
 */
struct quota_message {
    long recipients;
    size_t part_count;
    struct quota_part parts[LIMITER_MAX_PROVIDERS];
};

struct quota_outcome {
    enum quota_action action;
    enum limiter_refusal refusal; /* DEFER: why */
    char scope[64];               /* DEFER: the provider refused, or "" */
    long step;                    /* the source's ramp step today */
    long cap;                     /* the source's cap today */
    long count;                   /* the source's day count: after the
                                     step, or at the refusal */
    char key[LIMITER_KEY_MAX];    /* the source's day counter */
    time_t now;                   /* Redis time of the decision */
    time_t retry_at;              /* DEFER: when to try again */
    char reason[512];             /* DEFER: reply text, without the code */
};

/*
 * Decide on "msg" from "src" at Redis time: check it (LIMITER_CHECK),
 * charge it (LIMITER_CHARGE) or explain it without writing
 * (LIMITER_EXPLAIN).  Returns 0 with the outcome, or -1 with the reason in
 * "err" when Redis or the ramp state failed.
 */
int quota_run(struct store *st, const struct rampart_config *cfg,
              const struct source *src, enum limiter_mode mode,
              const struct quota_message *msg, struct quota_outcome *out,
              char *err, size_t errlen);

/*
 * Fill "req" for "msg" from "src" at Redis time "now", computing caps from
 * the schedule named "schedule" ("" for a fixed daily cap; NULL for the
 * source's own).  Returns 0, or -1 with the reason in "err".
 */
int quota_build(const struct rampart_config *cfg, const struct source *src,
                time_t now, enum limiter_mode mode,
                const struct quota_message *msg, const char *schedule,
                struct limiter_request *req, char *err, size_t errlen);

#endif
