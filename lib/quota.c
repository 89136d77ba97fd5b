/*
 * quota.c - check or charge one message against every limit of its source
 *
 * The C side computes the calendar: the local day, the hour and the send
 * window around the Redis time it expects.  The decision script checks
 * that Redis time really falls inside them and answers "clock" otherwise,
 * in which case the request is built again for the time Redis reported.
 */
#include "quota.h"

#include "keys.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* Counters outlive their window by this long, for ops to look back. */
#define HOUR_KEEP (2 * 86400)

static const struct schedule *find_schedule(const struct rampart_config *cfg,
                                            const char *name)
{
    for (size_t i = 0; i < cfg->schedule_count; i++)
        if (strcmp(cfg->schedules[i].name, name) == 0)
            return &cfg->schedules[i];
    return NULL;
}

static int fill_ramp(const struct rampart_config *cfg, const struct source *src,
                     const char *schedule, struct limiter_ramp *r, char *err,
                     size_t errlen)
{
    const struct schedule *sched = src->schedule;
    const char *prefix = cfg->redis.prefix;

    if (schedule != NULL && *schedule != '\0') {
        sched = find_schedule(cfg, schedule);
        if (sched == NULL) {
            snprintf(err, errlen,
                     "the ramp state of %s names schedule \"%s\", which "
                     "rampart.conf does not define; define it or run "
                     "rampartctl enroll %s --schedule NAME",
                     src->address, schedule, src->address);
            return -1;
        }
    } else if (schedule != NULL) {
        sched = NULL;
        if (src->schedule != NULL) {
            snprintf(err, errlen,
                     "the ramp state of %s says fixed daily cap, but "
                     "rampart.conf gives it no daily_cap; run rampartctl "
                     "enroll %s --schedule %s",
                     src->address, src->address, src->schedule->name);
            return -1;
        }
    }
    if (keys_ramp(r->state_key, sizeof(r->state_key), prefix, src->address,
                  NULL) != 0 ||
        keys_ramp_log(r->log_key, sizeof(r->log_key), prefix, src->address,
                      NULL) != 0 ||
        keys_day_prefix(r->day_prefix, sizeof(r->day_prefix), prefix,
                        src->address) != 0) {
        snprintf(err, errlen, "key names of %s are too long", src->address);
        return -1;
    }
    cal_format_date(src->start, r->start, sizeof(r->start));
    r->initial_step = src->initial_step;
    r->schedule = sched ? sched->name : "";
    if ((sched ? sched_spec(sched, r->spec, sizeof(r->spec))
               : sched_spec_fixed(src->daily_cap, r->spec, sizeof(r->spec))) !=
        0) {
        snprintf(err, errlen, "schedule %s has too many entries", r->schedule);
        return -1;
    }
    r->unit = cfg->count;
    r->gates = &cfg->ramp;
    return 0;
}

static struct limiter_limit *add_limit(struct limiter_request *req)
{
    struct limiter_limit *l;

    if (req->count == LIMITER_MAX_LIMITS)
        return NULL;
    l = &req->limits[req->count++];
    memset(l, 0, sizeof(*l));
    return l;
}

/* The local clock hour that contains "now": its number and interval. */
/*
 * The local clock hour that contains "now": its number and interval.  On
 * the day clocks go back, the repeated hour is two windows of one real
 * hour each; the second gets hour + 24, which keys name "THHb".
 */
static int hour_window(const struct cal_day *day, time_t now, int *hour,
                       time_t *start, time_t *end)
{
    struct tm tm;
    time_t from;
    time_t to;
    int h;

    if (localtime_r(&now, &tm) == NULL)
        return -1;
    h = tm.tm_hour;
    from = cal_local_time(day->date, (long)h * 3600);
    to = cal_local_time(day->date, (long)(h + 1) * 3600);
    if (from == (time_t)-1 || to == (time_t)-1 || now < from || now >= to)
        return -1;
    *hour = h;
    *start = from;
    *end = to;
    if (to - from > 3600) {
        if (now < from + 3600) {
            *end = from + 3600;
        } else {
            *hour = h + 24;
            *start = from + 3600;
        }
    }
    return 0;
}

static int is_weekend(struct cal_date d)
{
    long weekday = (cal_days_from_civil(d) + 4) % 7; /* 0 is Sunday */

    return weekday == 0 || weekday == 6;
}

/* Today's send window and the first window opening after "now". */
static void fill_pacing(const struct rampart_config *cfg,
                        const struct source *src, time_t now, long units,
                        struct limiter_request *req)
{
    const struct pacing_config *p = &src->pacing;
    struct limiter_pacing *out = &req->pacing;
    long today = cal_days_from_civil(req->day.date);

    out->enabled = 1;
    keys_pace(out->key, sizeof(out->key), cfg->redis.prefix, src->address);
    out->burst = p->burst;
    out->units = units;
    out->expire_at = req->day.end + 86400;
    if (p->weekdays_only && is_weekend(req->day.date)) {
        out->open = req->day.start;
        out->close = req->day.start;
    } else {
        out->open = cal_local_time(req->day.date, p->open_minute * 60L);
        out->close = cal_local_time(req->day.date, p->close_minute * 60L);
    }
    out->next_open = 0;
    for (long d = today; d <= today + 8 && out->next_open == 0; d++) {
        struct cal_date date = cal_civil_from_days(d);
        time_t open = cal_local_time(date, p->open_minute * 60L);

        if (!(p->weekdays_only && is_weekend(date)) && open > now)
            out->next_open = open;
    }
}

static int add_hour_limit(const struct rampart_config *cfg,
                          const struct source *src, time_t now,
                          const struct quota_message *msg,
                          struct limiter_request *req)
{
    struct limiter_limit *l = add_limit(req);
    int hour;

    if (l == NULL ||
        hour_window(&req->day, now, &hour, &l->window_start, &l->window_end) !=
            0 ||
        keys_hour(l->key, sizeof(l->key), cfg->redis.prefix, src->address,
                  req->day.date, hour) != 0)
        return -1;
    l->kind = LIMIT_SOURCE_HOUR;
    l->unit = cfg->count;
    l->cap_kind = LIMITER_CAP_FIXED;
    l->cap_value = (double)src->pacing.per_hour;
    l->messages = 1;
    l->recipients = msg->recipients;
    l->expire_at = l->window_end + HOUR_KEEP;
    return 0;
}

static int add_provider_limits(const struct rampart_config *cfg,
                               const struct source *src,
                               const struct quota_message *msg,
                               struct limiter_request *req)
{
    for (size_t i = 0; i < msg->part_count; i++) {
        const struct quota_part *part = &msg->parts[i];
        struct limiter_limit *l = add_limit(req);

        if (l == NULL || req->provider_count == LIMITER_MAX_PROVIDERS ||
            keys_day(l->key, sizeof(l->key), cfg->redis.prefix, src->address,
                     req->day.date, part->ramp->provider) != 0)
            return -1;
        req->providers[req->provider_count].name = part->ramp->provider;
        req->providers[req->provider_count].share = part->ramp->share;
        req->provider_count++;
        l->kind = LIMIT_PROVIDER_RAMP;
        l->scope = part->ramp->provider;
        l->unit = cfg->count;
        l->cap_kind = LIMITER_CAP_PROVIDER;
        l->cap_value = (double)req->provider_count;
        l->messages = 1;
        l->recipients = part->recipients;
        l->window_start = req->day.start;
        l->window_end = req->day.end;
        l->expire_at = req->day.end + (time_t)cfg->redis.retention_days * 86400;
    }
    return 0;
}

/* Add one domain limit on the policy counter of its scope. */
static int add_policy_limit(const struct rampart_config *cfg,
                            const struct source *src,
                            const struct quota_domain_part *part,
                            enum limiter_kind kind,
                            enum limiter_cap_kind cap_kind, double cap,
                            time_t now, struct limiter_request *req)
{
    struct limiter_limit *l = add_limit(req);
    int hour = -1;

    if (l == NULL)
        return -1;
    l->kind = kind;
    l->scope = part->scope;
    l->unit = part->limit->unit;
    l->cap_kind = cap_kind;
    l->cap_value = cap;
    l->messages = 1;
    l->recipients = part->recipients;
    if (kind == LIMIT_POLICY_HOUR) {
        if (hour_window(&req->day, now, &hour, &l->window_start,
                        &l->window_end) != 0)
            return -1;
        l->expire_at = l->window_end + HOUR_KEEP;
    } else {
        l->window_start = req->day.start;
        l->window_end = req->day.end;
        l->expire_at = req->day.end + (time_t)cfg->redis.retention_days * 86400;
    }
    return keys_policy(l->key, sizeof(l->key), cfg->redis.prefix, src->address,
                       part->scope, req->day.date, hour);
}

static int add_domain_limits(const struct rampart_config *cfg,
                             const struct source *src, time_t now,
                             const struct quota_message *msg,
                             struct limiter_request *req)
{
    for (size_t i = 0; i < msg->domain_part_count; i++) {
        const struct quota_domain_part *part = &msg->domain_parts[i];
        const struct domain_limit *dl = part->limit;

        if ((dl->per_hour > 0 &&
             add_policy_limit(cfg, src, part, LIMIT_POLICY_HOUR,
                              LIMITER_CAP_FIXED, (double)dl->per_hour, now,
                              req) != 0) ||
            (dl->per_day > 0 &&
             add_policy_limit(cfg, src, part, LIMIT_POLICY_DAY,
                              LIMITER_CAP_FIXED, (double)dl->per_day, now,
                              req) != 0) ||
            (dl->share_of_cap > 0.0 &&
             add_policy_limit(cfg, src, part, LIMIT_POLICY_DAY,
                              LIMITER_CAP_SOURCE, dl->share_of_cap, now,
                              req) != 0))
            return -1;
    }
    return 0;
}

/* Whether a domain limit of "msg" is a share of the source's cap. */
static int needs_source_cap(const struct quota_message *msg)
{
    for (size_t i = 0; i < msg->domain_part_count; i++)
        if (msg->domain_parts[i].limit->share_of_cap > 0.0)
            return 1;
    return 0;
}

int quota_build(const struct rampart_config *cfg, const struct source *src,
                time_t now, enum limiter_mode mode,
                const struct quota_message *msg, const char *schedule,
                struct limiter_request *req, char *err, size_t errlen)
{
    struct limiter_limit *day;

    /* The limits are cleared one by one as add_limit() hands them out. */
    memset(req, 0, offsetof(struct limiter_request, limits));
    memset(&req->pacing, 0, sizeof(req->pacing));
    req->mode = mode;
    req->clock_offset = cfg->test_clock_offset;
    if (cal_day_at(now, &req->day) != 0) {
        snprintf(err, errlen,
                 "cannot compute the calendar day of %lld in time zone %s",
                 (long long)now, cfg->timezone);
        return -1;
    }
    if (msg->domain_limits_only && !needs_source_cap(msg)) {
        req->ramp.skip = 1;
    } else if (fill_ramp(cfg, src, schedule, &req->ramp, err, errlen) != 0) {
        return -1;
    }

    if (msg->domain_limits_only) {
        if (add_domain_limits(cfg, src, now, msg, req) != 0)
            goto too_many;
        return 0;
    }

    day = add_limit(req);
    keys_day(day->key, sizeof(day->key), cfg->redis.prefix, src->address,
             req->day.date, NULL);
    day->kind = LIMIT_SOURCE_DAY;
    day->unit = cfg->count;
    day->cap_kind = LIMITER_CAP_SOURCE;
    day->cap_value = 1.0;
    day->messages = 1;
    day->recipients = msg->recipients;
    day->window_start = req->day.start;
    day->window_end = req->day.end;
    day->expire_at = req->day.end + (time_t)cfg->redis.retention_days * 86400;

    if ((src->pacing.per_hour > 0 &&
         add_hour_limit(cfg, src, now, msg, req) != 0) ||
        add_provider_limits(cfg, src, msg, req) != 0 ||
        add_domain_limits(cfg, src, now, msg, req) != 0)
        goto too_many;
    if (src->pacing.enabled)
        fill_pacing(cfg, src, now,
                    cfg->count == UNIT_MESSAGES ? 1 : msg->recipients, req);
    return 0;

too_many:
    snprintf(err, errlen,
             "cannot build the limits of %s at %lld: more than %d limits or "
             "key names too long",
             src->address, (long long)now, LIMITER_MAX_LIMITS);
    return -1;
}

/*
 * "HH:MM ZONE" when "t" is today or the next midnight, else with a date.
 * The minute is rounded up, so the time shown is never before "t".
 */
static void format_retry(time_t t, const struct cal_day *day, char *buf,
                         size_t len)
{
    char clock[64];
    struct cal_day at;

    t = (t + 59) / 60 * 60;

    if (cal_format_clock(t, clock, sizeof(clock)) != 0)
        snprintf(clock, sizeof(clock), "%lld", (long long)t);
    if (t == day->end || cal_day_at(t, &at) != 0 ||
        cal_days_from_civil(at.date) == cal_days_from_civil(day->date)) {
        snprintf(buf, len, "%s", clock);
        return;
    }
    cal_format_date(at.date, buf, len);
    snprintf(buf + strlen(buf), len - strlen(buf), " %s", clock);
}

static void describe_limit(const struct source *src,
                           const struct limiter_request *req,
                           const struct limiter_result *res,
                           struct quota_outcome *out, char *retry,
                           size_t retry_len)
{
    const struct limiter_limit *l = &req->limits[res->over_index];
    const char *scope = l->scope ? l->scope : "";

    out->retry_at = l->window_end;
    format_retry(out->retry_at, &req->day, retry, retry_len);
    snprintf(out->scope, sizeof(out->scope), "%s", scope);
    switch (l->kind) {
    case LIMIT_SOURCE_DAY:
        if (src->schedule != NULL)
            snprintf(out->reason, sizeof(out->reason),
                     "%s warm-up day %ld: daily cap %ld reached, retry after "
                     "%s",
                     src->address, res->step, res->over_cap, retry);
        else
            snprintf(out->reason, sizeof(out->reason),
                     "%s daily cap %ld reached, retry after %s", src->address,
                     res->over_cap, retry);
        break;
    case LIMIT_SOURCE_HOUR:
        snprintf(out->reason, sizeof(out->reason),
                 "%s hourly cap %ld reached, retry after %s", src->address,
                 res->over_cap, retry);
        break;
    case LIMIT_PROVIDER_RAMP:
        snprintf(out->reason, sizeof(out->reason),
                 "%s %s warm-up daily cap %ld reached, retry after %s",
                 src->address, scope, res->over_cap, retry);
        break;
    case LIMIT_POLICY_HOUR:
    case LIMIT_POLICY_DAY:
        snprintf(out->reason, sizeof(out->reason),
                 "%s limit for %s: %ld %s per %s reached, retry after %s",
                 src->address, scope, res->over_cap, config_unit_name(l->unit),
                 l->kind == LIMIT_POLICY_HOUR ? "hour" : "day", retry);
        break;
    }
}

/*
 * Copy text that came from Redis (a pause reason) into an SMTP reply:
 * libmilter drops a reply that contains '%', and control characters would
 * break the reply line.
 */
static void reply_safe(const char *in, char *out, size_t len)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i + 1 < len; i++)
        out[i] = (in[i] < ' ' || in[i] > '~' || in[i] == '%') ? '?' : in[i];
    out[i] = '\0';
}

static void describe_refusal(const struct rampart_config *cfg,
                             const struct source *src,
                             const struct limiter_request *req,
                             const struct limiter_result *res,
                             struct quota_outcome *out)
{
    const struct pacing_config *p = &src->pacing;
    char retry[96];
    char hours[32];
    char detail[sizeof(res->detail)];
    struct cal_date start;

    snprintf(hours, sizeof(hours), "%02d:%02d-%02d:%02d", p->open_minute / 60,
             p->open_minute % 60, p->close_minute / 60, p->close_minute % 60);
    out->retry_at = res->retry_at;
    if (out->retry_at > 0)
        format_retry(out->retry_at, &req->day, retry, sizeof(retry));
    switch (res->refusal) {
    case REFUSED_START:
        if (cal_parse_date(res->detail, &start) == 0)
            out->retry_at = cal_local_time(start, 0);
        format_retry(out->retry_at, &req->day, retry, sizeof(retry));
        snprintf(out->reason, sizeof(out->reason),
                 "%s warm-up starts %.10s, retry after %s", src->address,
                 res->detail, retry);
        break;
    case REFUSED_PAUSED:
        if (res->paused_provider > 0)
            snprintf(out->scope, sizeof(out->scope), "%s",
                     req->providers[res->paused_provider - 1].name);
        reply_safe(res->detail, detail, sizeof(detail));
        snprintf(out->reason, sizeof(out->reason), "%s paused: %.160s, %s%s",
                 src->address, detail,
                 out->retry_at > 0 ? "retry after " : "retry later",
                 out->retry_at > 0 ? retry : "");
        break;
    case REFUSED_WINDOW:
        snprintf(out->reason, sizeof(out->reason),
                 "%s sends %s%s only, retry after %s", src->address,
                 p->weekdays_only ? "on weekdays " : "", hours, retry);
        break;
    case REFUSED_PACE:
        snprintf(out->reason, sizeof(out->reason),
                 "%s pacing: daily cap %ld spread over %s, retry after %s",
                 src->address, res->over_cap, hours, retry);
        break;
    case REFUSED_LIMIT:
        describe_limit(src, req, res, out, retry, sizeof(retry));
        break;
    }
}

int quota_retry(const struct limiter_result *res, time_t *now, char *schedule,
                size_t len)
{
    if (res->status != LIMITER_CLOCK && res->status != LIMITER_SCHEDULE)
        return 0;
    *now = res->now;
    if (res->status == LIMITER_SCHEDULE)
        snprintf(schedule, len, "%s", res->detail);
    return 1;
}

void quota_finish(const struct rampart_config *cfg, const struct source *src,
                  const struct limiter_request *req,
                  const struct limiter_result *res, struct quota_outcome *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->key, sizeof(out->key), "%s",
             req->count > 0 ? req->limits[0].key : "");
    out->now = res->now;
    out->step = res->step;
    out->cap = res->cap;
    out->count = res->used[0];
    if (res->status == LIMITER_OK) {
        out->action = QUOTA_ACCEPT;
        return;
    }
    out->action = QUOTA_DEFER;
    out->refusal = res->refusal;
    if (res->refusal == REFUSED_LIMIT) {
        /* Log the limit that refused, not the source's day counter. */
        snprintf(out->key, sizeof(out->key), "%s",
                 req->limits[res->over_index].key);
        out->count = res->over_used;
        out->cap = res->over_cap;
    }
    describe_refusal(cfg, src, req, res, out);
}

const struct provider_ramp *quota_ramp_of(const struct rampart_config *cfg,
                                          const char *domain)
{
    const struct provider *provider;

    if (cfg->provider_ramp_count == 0)
        return NULL;
    provider = config_provider_of(cfg, domain);
    return config_provider_ramp(cfg, provider ? provider->name : "default");
}

/* Decide a check from the cache.  Returns 1 when the cache was enough. */
static int check_from_cache(const struct limiter_request *req,
                            const struct quota_cache *cache, time_t now,
                            struct quota_outcome *out)
{
    const struct quota_cached_limit *first = NULL;

    for (size_t i = 0; i < req->count; i++) {
        const struct limiter_limit *l = &req->limits[i];
        const struct quota_cached_limit *c = NULL;
        long amount = l->unit == UNIT_MESSAGES ? l->messages : l->recipients;

        for (size_t k = 0; k < cache->count && c == NULL; k++)
            if (cache->limits[k].unit == l->unit &&
                strcmp(cache->limits[k].key, l->key) == 0)
                c = &cache->limits[k];
        if (c == NULL || now < c->window_start || now >= c->window_end ||
            c->used + amount > c->cap)
            return 0;
        if (i == 0)
            first = c;
    }
    memset(out, 0, sizeof(*out));
    out->action = QUOTA_ACCEPT;
    out->now = now;
    out->step = cache->step;
    if (first != NULL) {
        snprintf(out->key, sizeof(out->key), "%s", first->key);
        out->count = first->used;
        out->cap = first->cap;
    }
    return 1;
}

static void fill_cache(const struct limiter_request *req,
                       const struct limiter_result *res,
                       struct quota_cache *cache)
{
    cache->valid = res->status == LIMITER_OK && !req->pacing.enabled;
    cache->step = res->step;
    cache->count = req->count;
    for (size_t i = 0; i < req->count && cache->valid; i++) {
        struct quota_cached_limit *c = &cache->limits[i];
        const struct limiter_limit *l = &req->limits[i];

        snprintf(c->key, sizeof(c->key), "%s", l->key);
        c->unit = l->unit;
        c->used = res->used[i];
        c->cap = res->caps[i];
        c->window_start = l->window_start;
        c->window_end = l->window_end;
    }
}

int quota_run_cached(struct store *st, const struct rampart_config *cfg,
                     const struct source *src, enum limiter_mode mode,
                     const struct quota_message *msg, struct quota_cache *cache,
                     struct quota_outcome *out, char *err, size_t errlen)
{
    struct limiter_request req;
    struct limiter_result res;
    time_t now = store_now(st);
    char schedule[sizeof(res.detail)];
    const char *named = NULL;

    if (mode == LIMITER_CHECK && cache != NULL && cache->valid &&
        !src->pacing.enabled &&
        quota_build(cfg, src, now, mode, msg, NULL, &req, err, errlen) == 0 &&
        check_from_cache(&req, cache, now, out))
        return 0;

    /*
     * The request names the day by this host's estimate of the Redis
     * clock, and caps by the schedule the config gives.  When Redis finds
     * its time outside that day, or the ramp state names another schedule,
     * build the request again from what the script reported.
     */
    for (int attempt = 0;; attempt++) {
        if (quota_build(cfg, src, now, mode, msg, named, &req, err, errlen) !=
            0)
            return -1;
        if (store_limit(st, &req, &res, err, errlen) != 0)
            return -1;
        if (!quota_retry(&res, &now, schedule, sizeof(schedule)))
            break;
        if (res.status == LIMITER_SCHEDULE)
            named = schedule;
        if (attempt == 2) {
            snprintf(err, errlen,
                     "the decision script asked to retry three times (last: "
                     "%s at Redis time %lld); check the time zone data",
                     res.status == LIMITER_CLOCK ? "clock" : "schedule",
                     (long long)res.now);
            return -1;
        }
    }
    if (cache != NULL && mode == LIMITER_CHECK)
        fill_cache(&req, &res, cache);
    quota_finish(cfg, src, &req, &res, out);
    return 0;
}

int quota_run(struct store *st, const struct rampart_config *cfg,
              const struct source *src, enum limiter_mode mode,
              const struct quota_message *msg, struct quota_outcome *out,
              char *err, size_t errlen)
{
    return quota_run_cached(st, cfg, src, mode, msg, NULL, out, err, errlen);
}
