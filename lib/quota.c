/*
 * quota.c - check or charge one message against its source's warm-up cap
 */
#include "quota.h"

#include "keys.h"

#include <stdio.h>
#include <string.h>

int quota_build(const struct rampart_config *cfg, const struct source *src,
                time_t now, int charge, long recipients,
                struct limiter_request *req, struct ramp_today *today)
{
    struct limiter_limit *day;

    if (ramp_today(src, now, today) != 0)
        return -1;
    memset(req, 0, sizeof(*req));
    req->charge = charge;
    req->messages = 1;
    req->recipients = recipients;
    req->count = 1;
    day = &req->limits[0];
    if (keys_day(day->key, sizeof(day->key), cfg->redis.prefix, src->address,
                 today->day.date) != 0)
        return -1;
    day->unit = cfg->count;
    day->cap = today->cap;
    day->window_start = today->day.start;
    day->window_end = today->day.end;
    day->expire_at = today->day.end + (time_t)cfg->redis.retention_days * 86400;
    return 0;
}

static void describe_defer(const struct source *src, struct quota_outcome *out)
{
    const struct ramp_today *t = &out->today;
    char clock[64];
    char date[CAL_DATE_TEXT];

    if (t->scheduled && t->ramp_day < 1) {
        /* Before the start date: no room until day 1 begins. */
        out->retry_at = cal_local_time(src->start, 0);
        cal_format_date(src->start, date, sizeof(date));
        if (cal_format_clock(out->retry_at, clock, sizeof(clock)) != 0)
            strcpy(clock, "00:00");
        snprintf(out->reason, sizeof(out->reason),
                 "%s warm-up starts %s, retry after %s %s", src->address, date,
                 date, clock);
        return;
    }
    out->retry_at = t->day.end;
    if (cal_format_clock(out->retry_at, clock, sizeof(clock)) != 0)
        strcpy(clock, "00:00");
    if (t->scheduled)
        snprintf(out->reason, sizeof(out->reason),
                 "%s warm-up day %ld: daily cap %ld reached, retry after %s",
                 src->address, t->ramp_day, out->cap, clock);
    else
        snprintf(out->reason, sizeof(out->reason),
                 "%s daily cap %ld reached, retry after %s", src->address,
                 out->cap, clock);
}

int quota_run(struct store *st, const struct rampart_config *cfg,
              const struct source *src, int charge, long recipients,
              struct quota_outcome *out, char *err, size_t errlen)
{
    struct limiter_request req;
    struct limiter_result res;
    time_t now = store_now(st);

    memset(out, 0, sizeof(*out));

    /*
     * The request names the day by this host's estimate of the Redis
     * clock.  If Redis finds its own time outside that day (around
     * midnight, or before the first reply corrected the estimate), build
     * the request again for the day Redis reported.
     */
    for (int attempt = 0; attempt < 2; attempt++) {
        if (quota_build(cfg, src, now, charge, recipients, &req,
                        &out->today) != 0) {
            snprintf(err, errlen, "cannot compute the calendar day of %lld "
                                  "in time zone %s",
                     (long long)now, cfg->timezone);
            return -1;
        }
        if (store_limit(st, &req, &res, err, errlen) != 0)
            return -1;
        if (res.status != LIMITER_CLOCK)
            break;
        now = res.now;
    }
    if (res.status == LIMITER_CLOCK) {
        snprintf(err, errlen, "Redis time %lld fell outside the day computed "
                              "for it twice; check the time zone data",
                 (long long)res.now);
        return -1;
    }
    strcpy(out->key, req.limits[0].key);
    out->now = res.now;
    out->cap = req.limits[0].cap;
    out->count = res.used[0];
    if (res.status == LIMITER_OK) {
        out->action = QUOTA_ACCEPT;
        return 0;
    }
    out->action = QUOTA_DEFER;
    describe_defer(src, out);
    return 0;
}
