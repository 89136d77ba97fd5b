/*
 * ramp.c - record delivery outcomes and change ramp states in Redis
 */
#include "ramp.h"

#include "keys.h"
#include "limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_words[] = {"delivered", "deferred", "bounced",
                                            "complained", "blocked"};

int outcome_parse(const char *word, enum outcome_kind *out)
{
    for (size_t i = 0; i < sizeof(outcome_words) / sizeof(*outcome_words); i++)
        if (strcmp(word, outcome_words[i]) == 0) {
            *out = (enum outcome_kind)i;
            return 0;
        }
    return -1;
}

const char *outcome_field(enum outcome_kind kind)
{
    return outcome_words[kind];
}

/* Fixed-size argument vector for one script call. */
struct script_args {
    int argc;
    const char *argv[24];
    size_t argvlen[24];
    char numbers[24][32];
};

static void arg_text(struct script_args *a, const char *text)
{
    a->argv[a->argc] = text;
    a->argvlen[a->argc] = strlen(text);
    a->argc++;
}

static void arg_long(struct script_args *a, long long value)
{
    snprintf(a->numbers[a->argc], sizeof(a->numbers[0]), "%lld", value);
    arg_text(a, a->numbers[a->argc]);
}

/* Reply {"status", number}: store the status text and the number. */
static int read_pair(redisReply *reply, char *status, size_t len, long *number,
                     char *err, size_t errlen)
{
    const redisReply *n;

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "Redis error: %s", reply->str);
        return -1;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        snprintf(err, errlen, "unexpected reply from a rampart script");
        return -1;
    }
    snprintf(status, len, "%s", reply->element[0]->str);
    n = reply->element[1];
    *number = n->type == REDIS_REPLY_INTEGER  ? (long)n->integer
              : n->type == REDIS_REPLY_STRING ? strtol(n->str, NULL, 10)
                                              : 0;
    return 0;
}

/* The ramp state a provider's outcomes judge: its own ramp, if any. */
static const char *ramp_provider(const struct rampart_config *cfg,
                                 const char *provider)
{
    if (provider == NULL)
        return NULL;
    if (config_provider_ramp(cfg, provider) != NULL)
        return provider;
    return NULL;
}

/* Format a UTC time as local "YYYY-MM-DD HH:MM ZONE" for the ramp log. */
static void local_text(time_t t, char *buf, size_t len)
{
    struct cal_day day;
    char clock[64];

    if (cal_day_at(t, &day) != 0 || cal_format_clock(t, clock, sizeof(clock)))
        snprintf(buf, len, "%lld", (long long)t);
    else {
        cal_format_date(day.date, buf, len);
        snprintf(buf + strlen(buf), len - strlen(buf), " %s", clock);
    }
}

int ramp_record(struct store *st, const struct rampart_config *cfg,
                const char *source, const struct outcome_event *ev,
                long *count_after, char *err, size_t errlen)
{
    const char *prefix = cfg->redis.prefix;
    const char *judged = ramp_provider(cfg, ev->provider);
    char day[LIMITER_KEY_MAX], state[LIMITER_KEY_MAX], log[LIMITER_KEY_MAX];
    char provider_day[LIMITER_KEY_MAX] = "", event[LIMITER_KEY_MAX] = "";
    char date[CAL_DATE_TEXT];
    struct script_args a = {.argc = 2};
    time_t now = store_now(st);
    time_t day_end = cal_local_time(
        cal_civil_from_days(cal_days_from_civil(ev->date) + 1), 0);
    long retention = (long)cfg->redis.retention_days * 86400;
    long pause_until = 0;
    char until[96];
    char status[16];
    redisReply *reply;
    int rc;

    /* A block pause ends by the Redis clock, not this host's. */
    if (store_sync_clock(st, cfg->test_clock_offset, err, errlen) != 0)
        return -1;
    now = store_now(st);
    if (keys_day(day, sizeof(day), prefix, source, ev->date, NULL) != 0 ||
        keys_ramp(state, sizeof(state), prefix, source, judged) != 0 ||
        keys_ramp_log(log, sizeof(log), prefix, source, judged) != 0 ||
        (ev->provider != NULL &&
         keys_day(provider_day, sizeof(provider_day), prefix, source, ev->date,
                  ev->provider) != 0) ||
        (ev->event_id != NULL &&
         keys_event(event, sizeof(event), prefix, source, ev->event_id) != 0)) {
        snprintf(err, errlen, "key names for %s are too long", source);
        return -1;
    }
    if (cfg->ramp.block_pause_hours > 0)
        pause_until = (long)now + cfg->ramp.block_pause_hours * 3600L;
    cal_format_date(ev->date, date, sizeof(date));

    arg_long(&a, 5);
    arg_text(&a, day);
    arg_text(&a, state);
    arg_text(&a, log);
    arg_text(&a, provider_day);
    arg_text(&a, event);
    arg_text(&a, outcome_field(ev->kind));
    arg_long(&a, ev->count);
    arg_long(&a, (long long)day_end + retention);
    arg_text(&a, cfg->ramp.on_block == BLOCK_PAUSE  ? "pause"
                 : cfg->ramp.on_block == BLOCK_HOLD ? "hold"
                                                    : "step_down");
    arg_long(&a, pause_until);
    arg_long(&a, (long long)now + retention);
    arg_text(&a, date);
    arg_text(&a, ev->reason ? ev->reason : "");
    arg_long(&a, cfg->ramp.history);
    local_text((time_t)pause_until, until, sizeof(until));
    arg_text(&a, until);

    reply = store_eval(st, outcome_script, outcome_script_sha1, a.argc, a.argv,
                       a.argvlen, err, errlen);
    if (reply == NULL)
        return -1;
    rc = read_pair(reply, status, sizeof(status), count_after, err, errlen);
    freeReplyObject(reply);
    if (rc != 0)
        return -1;
    return strcmp(status, "duplicate") == 0 ? 1 : 0;
}

static const char *op_word(enum ramp_op op)
{
    static const char *const words[] = {"enroll",   "forget", "pause",
                                        "resume",   "hold",   "release",
                                        "override", "step"};

    return words[op];
}

int ramp_change(struct store *st, const struct rampart_config *cfg,
                const char *source, const struct ramp_change *change,
                long *previous_step, char *err, size_t errlen)
{
    char state[LIMITER_KEY_MAX], log[LIMITER_KEY_MAX];
    char today[CAL_DATE_TEXT], day[CAL_DATE_TEXT], start[CAL_DATE_TEXT];
    char until[96];
    struct script_args a = {.argc = 2};
    const struct source *src = config_find_source(cfg, source);
    struct cal_day now;
    char status[16];
    redisReply *reply;
    int rc;

    if (keys_ramp(state, sizeof(state), cfg->redis.prefix, source,
                  change->provider) != 0 ||
        keys_ramp_log(log, sizeof(log), cfg->redis.prefix, source,
                      change->provider) != 0) {
        snprintf(err, errlen, "key names for %s are too long", source);
        return -1;
    }

    /* The log is dated by the Redis clock, whatever day a change names. */
    if (store_sync_clock(st, cfg->test_clock_offset, err, errlen) != 0 ||
        cal_day_at(store_now(st), &now) != 0)
        return -1;
    cal_format_date(now.date, today, sizeof(today));
    arg_long(&a, 2);
    arg_text(&a, state);
    arg_text(&a, log);
    arg_text(&a, op_word(change->op));
    arg_text(&a, today);
    arg_long(&a, cfg->ramp.history);
    arg_text(&a, change->note ? change->note : "");
    switch (change->op) {
    case RAMP_ENROLL:
        cal_format_date(change->start, start, sizeof(start));
        arg_text(&a, change->schedule);
        arg_text(&a, start);
        arg_long(&a, change->step);
        break;
    case RAMP_PAUSE:
    case RAMP_HOLD:
        local_text(change->until, until, sizeof(until));
        arg_text(&a, change->reason ? change->reason : "no reason given");
        arg_long(&a, (long long)change->until);
        arg_text(&a, until);
        break;
    case RAMP_OVERRIDE:
        cal_format_date(change->date, day, sizeof(day));
        if (change->cap < 0)
            arg_text(&a, "");
        else
            arg_long(&a, change->cap);
        arg_text(&a, day);
        break;
    case RAMP_STEP:
        /* A state that does not exist yet starts from the config. */
        cal_format_date(src ? src->start : now.date, start, sizeof(start));
        arg_long(&a, change->step);
        arg_text(&a, src && src->schedule ? src->schedule->name : "");
        arg_text(&a, start);
        break;
    case RAMP_FORGET:
    case RAMP_RESUME:
    case RAMP_RELEASE:
        break;
    }
    reply = store_eval(st, admin_script, admin_script_sha1, a.argc, a.argv,
                       a.argvlen, err, errlen);
    if (reply == NULL)
        return -1;
    rc = read_pair(reply, status, sizeof(status), previous_step, err, errlen);
    freeReplyObject(reply);
    return rc;
}
