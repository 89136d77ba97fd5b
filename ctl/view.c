/*
 * view.c - one ramp state and today's counters, read from Redis and
 * interpreted the way the decision script (limit.lua) will see them
 */
#include "view.h"

#include "keys.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const day_fields[DAY_FIELD_COUNT] = {
    "messages", "recipients", "tempfailed", "delivered",
    "deferred", "bounced",    "complained", "blocked"};

const char *view_field(const struct ramp_view *v, const char *field)
{
    const redisReply *r = v->state;

    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return NULL;
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING &&
            r->element[i + 1]->type == REDIS_REPLY_STRING &&
            strcmp(r->element[i]->str, field) == 0)
            return r->element[i + 1]->str;
    return NULL;
}

/* Parse a whole number field.  Returns 0, or -1 when missing or invalid. */
static int field_long(const struct ramp_view *v, const char *field, long *out)
{
    const char *text = view_field(v, field);
    char *end;

    if (text == NULL || *text == '\0')
        return -1;
    *out = strtol(text, &end, 10);
    return *end == '\0' ? 0 : -1;
}

/* A pause or hold in force: set, and its end (if any) still ahead. */
static int flag_active(const struct ramp_view *v, const char *flag, time_t now)
{
    const char *set = view_field(v, flag);
    char until_field[32];
    long until;

    if (set == NULL || strcmp(set, "1") != 0)
        return 0;
    snprintf(until_field, sizeof(until_field), "%s_until", flag);
    if (field_long(v, until_field, &until) != 0 || until <= 0)
        return 1;
    return now < (time_t)until;
}

int view_read_day(struct ctl *ctl, const char *key,
                  long counters[DAY_FIELD_COUNT])
{
    redisReply *reply =
        ctl_redis(ctl, "HMGET", key, day_fields[0], day_fields[1],
                  day_fields[2], day_fields[3], day_fields[4], day_fields[5],
                  day_fields[6], day_fields[7], NULL);

    if (reply == NULL)
        return -1;
    if (reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != DAY_FIELD_COUNT) {
        ctl_error("unexpected reply to HMGET %s", key);
        freeReplyObject(reply);
        return -1;
    }
    for (size_t i = 0; i < DAY_FIELD_COUNT; i++)
        counters[i] = reply->element[i]->type == REDIS_REPLY_STRING
                          ? strtol(reply->element[i]->str, NULL, 10)
                          : 0;
    freeReplyObject(reply);
    return 0;
}

/*
 * The cap of the state's step before any override: the one the state
 * stores when a decision computed it today from the current schedule,
 * else the one the schedule gives for the step.
 */
static void base_cap(struct ctl *ctl, struct ramp_view *v)
{
    const struct schedule *sched = NULL;
    char spec[LIMITER_SPEC_MAX];
    const char *state_spec = view_field(v, "spec");
    long state_cap;
    int rc;

    v->fixed = v->schedule[0] == '\0';
    if (v->fixed && v->src->schedule != NULL) {
        snprintf(v->problem, sizeof(v->problem),
                 "the ramp state says fixed daily cap, but %s gives no "
                 "daily_cap; run rampartctl enroll %s --schedule %s",
                 ctl->cfg->path, v->src->address, v->src->schedule->name);
        return;
    }
    if (!v->fixed && (sched = ctl_schedule(ctl->cfg, v->schedule)) == NULL) {
        snprintf(v->problem, sizeof(v->problem),
                 "the ramp state names schedule \"%s\", which %s does not "
                 "define; define it or run rampartctl enroll %s",
                 v->schedule, ctl->cfg->path, v->src->address);
        return;
    }
    rc = sched ? sched_spec(sched, spec, sizeof(spec))
               : sched_spec_fixed(v->src->daily_cap, spec, sizeof(spec));
    if (rc == 0 && v->day_begun && state_spec != NULL &&
        strcmp(state_spec, spec) == 0 && field_long(v, "cap", &state_cap) == 0)
        v->cap = state_cap;
    else
        v->cap = sched ? sched_cap(sched, v->step) : v->src->daily_cap;
}

static void interpret(struct ctl *ctl, struct ramp_view *v,
                      const struct ramp_view *source_view)
{
    const char *text;
    long override_cap;

    v->has_state = view_field(v, "step") != NULL;
    v->step = v->src->initial_step;
    if (v->has_state && field_long(v, "step", &v->step) != 0) {
        snprintf(
            v->problem, sizeof(v->problem),
            "field step of %s holds \"%.64s\", not an integer; fix it with "
            "rampartctl set-step",
            v->state_key, view_field(v, "step"));
        v->cap = -1;
    }
    text = view_field(v, "start");
    if (v->has_state && text == NULL && v->problem[0] == '\0') {
        snprintf(v->problem, sizeof(v->problem),
                 "%s has a step but no start date, so every decision for the "
                 "source fails; repair it with rampartctl set-step",
                 v->state_key);
        v->cap = -1;
    }
    if (text == NULL) {
        /* A new state takes the config's start date. */
        cal_format_date(v->src->start, v->config_start,
                        sizeof(v->config_start));
        text = v->config_start;
    }
    v->start = text;
    text = view_field(v, "day");
    v->day_begun = text != NULL && strcmp(text, ctl->today_text) == 0;
    v->not_started = strcmp(ctl->today_text, v->start) < 0;
    v->paused = flag_active(v, "paused", ctl->now);
    v->held = flag_active(v, "held", ctl->now);

    if (source_view != NULL)
        v->schedule = source_view->schedule;
    else if ((text = view_field(v, "schedule")) != NULL)
        v->schedule = text;
    else
        v->schedule = v->src->schedule ? v->src->schedule->name : "";
    if (v->cap < 0)
        return;
    base_cap(ctl, v);
    if (v->problem[0] != '\0') {
        v->cap = -1;
        return;
    }
    text = view_field(v, "override_day");
    if (text != NULL && strcmp(text, ctl->today_text) == 0 &&
        field_long(v, "override_cap", &override_cap) == 0) {
        v->cap = override_cap;
        v->override = 1;
    }
    if (v->ramp != NULL)
        v->cap = (long)floor(v->ramp->share * (double)v->cap);
}

int view_load(struct ctl *ctl, const struct source *src,
              const struct provider_ramp *ramp,
              const struct ramp_view *source_view, struct ramp_view *v)
{
    const char *prefix = ctl->cfg->redis.prefix;
    const char *provider = ramp ? ramp->provider : NULL;

    memset(v, 0, sizeof(*v));
    v->src = src;
    v->ramp = ramp;
    if (keys_ramp(v->state_key, sizeof(v->state_key), prefix, src->address,
                  provider) != 0 ||
        keys_ramp_log(v->log_key, sizeof(v->log_key), prefix, src->address,
                      provider) != 0 ||
        keys_day(v->day_key, sizeof(v->day_key), prefix, src->address,
                 ctl->today.date, provider) != 0) {
        ctl_error("the key names of %s are too long", src->address);
        return -1;
    }
    v->state = ctl_redis(ctl, "HGETALL", v->state_key, NULL);
    if (v->state == NULL || view_read_day(ctl, v->day_key, v->counters) != 0)
        return -1;
    v->used = v->counters[ctl->cfg->count == UNIT_MESSAGES ? DAY_MESSAGES
                                                           : DAY_RECIPIENTS];
    interpret(ctl, v, source_view);
    return 0;
}

void view_free(struct ramp_view *v)
{
    if (v->state != NULL)
        freeReplyObject(v->state);
    v->state = NULL;
}

long view_left(const struct ramp_view *v, const struct ramp_view *source_view)
{
    if (v->cap < 0)
        return -1;
    if (v->paused || v->not_started ||
        (source_view != NULL &&
         (source_view->paused || source_view->not_started)))
        return 0;
    return v->cap > v->used ? v->cap - v->used : 0;
}

void view_flags(const struct ramp_view *v, char *buf, size_t len)
{
    const char *flags[8];
    size_t n = 0;

    if (v->not_started)
        flags[n++] = "not started";
    if (v->paused)
        flags[n++] = "paused";
    if (v->held)
        flags[n++] = "held";
    if (v->override)
        flags[n++] = "override";
    if (!v->has_state)
        flags[n++] = "no state";
    else if (!v->day_begun && !v->not_started)
        flags[n++] = "no decision today";
    if (v->cap < 0)
        flags[n++] = "cap unknown";
    snprintf(buf, len, "%s", n ? flags[0] : "-");
    for (size_t i = 1; i < n; i++)
        snprintf(buf + strlen(buf), len - strlen(buf), ", %s", flags[i]);
}
