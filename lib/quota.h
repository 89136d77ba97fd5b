/*
 * quota.h - check or charge one message against every limit of its source
 */
#ifndef RAMPART_QUOTA_H
#define RAMPART_QUOTA_H

#include "config.h"
#include "limiter.h"
#include "store.h"

#include <stdbool.h>
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

/* Distinct provider or domain scopes of domain limits per message. */
#define QUOTA_DOMAIN_PARTS_MAX 14

/* Recipients of one message in the scope of one domain limit. */
struct quota_domain_part {
    const struct domain_limit *limit;
    const char *scope; /* the provider name, or the domain for "*" */
    long recipients;
};

/*
 * The units of one message.  At RCPT, "recipients" counts the recipients
 * already accepted in the transaction plus the new one, and "parts" and
 * "domain_parts" hold only the new recipient's scopes with their pending
 * counts.
 */
struct quota_message {
    long recipients;
    size_t part_count;
    struct quota_part parts[LIMITER_MAX_PROVIDERS];
    size_t domain_part_count;
    struct quota_domain_part domain_parts[QUOTA_DOMAIN_PARTS_MAX];
    bool domain_limits_only; /* leave out the source's own limits */
};

struct quota_outcome {
    enum quota_action action;
    enum limiter_refusal refusal; /* DEFER: why */
    char scope[64];               /* DEFER: the provider refused, or "" */
    long step;                    /* the source's ramp step today */
    long cap;                     /* the cap of "key" */
    long count;                   /* the count of "key": after the step,
                                     or at the refusal */
    char key[LIMITER_KEY_MAX];    /* the first limit's counter, or the one
                                     that refused */
    time_t now;                   /* Redis time of the decision */
    time_t retry_at;              /* DEFER: when to try again */
    char reason[512];             /* DEFER: reply text, without the code */
};

/*
 * The result of a transaction's last Redis check, so that the next RCPT of
 * the same transaction can be checked without a Redis round trip.
 * The end-of-message charge always goes to Redis and stays exact: a
 * transaction that lost its room to another one in between is deferred
 * there.  Clear it (valid = 0) when a transaction starts.
 */
struct quota_cache {
    int valid;
    long step;
    size_t count;
    struct quota_cached_limit {
        char key[LIMITER_KEY_MAX];
        enum count_unit unit;
        long used; /* the count Redis returned */
        long cap;
        time_t window_start;
        time_t window_end;
    } limits[LIMITER_MAX_LIMITS];
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
 * quota_run() with a transaction's cache.  A check is decided without Redis
 * when the cache has a count for each of its limits and each has room.
 * Pacing is never decided from the cache, because it depends on the time
 * of each check.  Every other check goes to Redis and refreshes the cache.
 */
int quota_run_cached(struct store *st, const struct rampart_config *cfg,
                     const struct source *src, enum limiter_mode mode,
                     const struct quota_message *msg, struct quota_cache *cache,
                     struct quota_outcome *out, char *err, size_t errlen);

/*
 * Fill "req" for "msg" from "src" at Redis time "now", computing caps from
 * the schedule named "schedule" ("" for a fixed daily cap; NULL for the
 * source's own).  Returns 0, or -1 with the reason in "err".
 */
int quota_build(const struct rampart_config *cfg, const struct source *src,
                time_t now, enum limiter_mode mode,
                const struct quota_message *msg, const char *schedule,
                struct limiter_request *req, char *err, size_t errlen);

/*
 * Return the provider ramp that recipients at the normalized "domain"
 * count against ("default" for domains no provider lists), or NULL.
 */
const struct provider_ramp *quota_ramp_of(const struct rampart_config *cfg,
                                          const char *domain);

/*
 * After a LIMITER_CLOCK or LIMITER_SCHEDULE reply, set the time (and the
 * schedule name) to build the request again with, and return 1; return 0
 * for a final reply.
 */
int quota_retry(const struct limiter_result *res, time_t *now, char *schedule,
                size_t len);

/* Turn a final script reply into the outcome and its reply text. */
void quota_finish(const struct rampart_config *cfg, const struct source *src,
                  const struct limiter_request *req,
                  const struct limiter_result *res, struct quota_outcome *out);

#endif
