/*
 * limiter.c - the arguments and the reply of the decision script (limit.lua)
 */
#include "limiter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void push(struct limiter_argv *out, const char *s, size_t len)
{
    out->argv[out->argc] = s;
    out->argvlen[out->argc] = len;
    out->argc++;
}

static void push_str(struct limiter_argv *out, const char *s)
{
    push(out, s, strlen(s));
}

/* Write "value" in decimal; snprintf() costs more than the rest of a
 * request's arguments together. */
static size_t format_long(char *buf, long long value)
{
    char digits[24];
    size_t n = 0;
    size_t len = 0;
    unsigned long long v = value < 0 ? 0ULL - (unsigned long long)value
                                     : (unsigned long long)value;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0)
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = digits[--n];
    buf[len] = '\0';
    return len;
}

static void push_long(struct limiter_argv *out, long long value)
{
    char *buf = out->numbers[out->argc];

    push(out, buf, format_long(buf, value));
}

/* Push a copy of a short text, kept in the argument's number slot. */
static void push_copy(struct limiter_argv *out, const char *text)
{
    char *buf = out->numbers[out->argc];

    snprintf(buf, sizeof(out->numbers[0]), "%s", text);
    push(out, buf, strlen(buf));
}

static void push_double(struct limiter_argv *out, double value)
{
    char *buf = out->numbers[out->argc];
    int len;

    /* Caps are whole numbers; only shares and rates need %.17g. */
    if (value == (double)(long long)value && value < 1e15 && value > -1e15) {
        push_long(out, (long long)value);
        return;
    }
    len = snprintf(buf, sizeof(out->numbers[0]), "%.17g", value);
    push(out, buf, (size_t)len);
}

static const char *mode_word(enum limiter_mode mode)
{
    switch (mode) {
    case LIMITER_CHARGE:
        return "charge";
    case LIMITER_EXPLAIN:
        return "explain";
    case LIMITER_CHECK:
        break;
    }
    return "check";
}

static const char *block_word(enum block_action action)
{
    switch (action) {
    case BLOCK_HOLD:
        return "hold";
    case BLOCK_PAUSE:
        return "pause";
    case BLOCK_STEP_DOWN:
        break;
    }
    return "step_down";
}

static void push_ramp(struct limiter_argv *out, const struct limiter_ramp *r)
{
    if (r->skip) {
        push_str(out, "-");
        return;
    }
    push_str(out, "ramp");
    push_str(out, r->state_key);
    push_str(out, r->log_key);
    push_str(out, r->day_prefix);
    push_str(out, r->start);
    push_long(out, r->initial_step);
    push_str(out, r->schedule);
    push_str(out, r->spec);
    push_str(out, config_unit_name(r->unit));
    push_double(out, r->gates->advance_min_use);
    push_double(out, r->gates->max_bounce_rate);
    push_double(out, r->gates->max_complaint_rate);
    push_str(out, block_word(r->gates->on_block));
    push_long(out, r->gates->block_step_down);
    push_long(out, r->gates->history);
}

static void push_limit(struct limiter_argv *out, const struct limiter_limit *l)
{
    static const char *const kinds[] = {"n", "ip", "provider"};

    push_long(out, (long long)l->window_start);
    push_long(out, (long long)l->window_end);
    push_long(out, (long long)l->expire_at);
    push_str(out, l->unit == UNIT_MESSAGES ? "m" : "r");
    push_str(out, kinds[l->cap_kind]);
    push_double(out, l->cap_value);
    push_long(out, l->messages);
    push_long(out, l->recipients);
}

static void push_pacing(struct limiter_argv *out,
                        const struct limiter_pacing *p)
{
    if (!p->enabled) {
        push_str(out, "-");
        return;
    }
    push_str(out, "pace");
    push_str(out, p->key);
    push_long(out, (long long)p->open);
    push_long(out, (long long)p->close);
    push_long(out, (long long)p->next_open);
    push_long(out, p->burst);
    push_long(out, p->units);
    push_long(out, (long long)p->expire_at);
}

void limiter_build(const struct limiter_request *req, int use_eval,
                   struct limiter_argv *out)
{
    char date[CAL_DATE_TEXT];

    out->argc = 0;
    if (use_eval) {
        push_str(out, "EVAL");
        push_str(out, limit_script);
    } else {
        push_str(out, "EVALSHA");
        push_str(out, limit_script_sha1);
    }
    push_long(out, (long long)req->count);
    for (size_t i = 0; i < req->count; i++)
        push_str(out, req->limits[i].key);

    push_str(out, mode_word(req->mode));
    push_long(out, req->clock_offset);
    cal_format_date(req->day.date, date, sizeof(date));
    push_copy(out, date);
    push_long(out, (long long)req->day.start);
    push_long(out, (long long)req->day.end);
    push_ramp(out, &req->ramp);

    push_long(out, (long long)req->provider_count);
    for (size_t i = 0; i < req->provider_count; i++) {
        push_str(out, req->providers[i].name);
        push_double(out, req->providers[i].share);
    }
    push_long(out, (long long)req->count);
    for (size_t i = 0; i < req->count; i++)
        push_limit(out, &req->limits[i]);
    push_pacing(out, &req->pacing);
}

/* Read element "i" as an integer (Lua numbers arrive as integers). */
static int element_long(const redisReply *reply, size_t i, long *out)
{
    const redisReply *e;
    char *end;

    if (i >= reply->elements)
        return -1;
    e = reply->element[i];
    if (e->type == REDIS_REPLY_INTEGER) {
        *out = (long)e->integer;
        return 0;
    }
    if (e->type == REDIS_REPLY_STRING) {
        *out = strtol(e->str, &end, 10);
        return *end == '\0' && end != e->str ? 0 : -1;
    }
    return -1;
}

static int element_text(const redisReply *reply, size_t i, char *out,
                        size_t len)
{
    const redisReply *e;

    if (i >= reply->elements)
        return -1;
    e = reply->element[i];
    if (e->type != REDIS_REPLY_STRING)
        return -1;
    snprintf(out, len, "%s", e->str);
    return 0;
}

static int parse_ok(const redisReply *reply, const struct limiter_request *req,
                    struct limiter_result *out)
{
    if (reply->elements != 5 + 2 * req->count ||
        element_long(reply, 3, &out->step) != 0 ||
        element_long(reply, 4, &out->cap) != 0)
        return -1;
    for (size_t i = 0; i < req->count; i++)
        if (element_long(reply, 5 + i, &out->used[i]) != 0 ||
            element_long(reply, 5 + req->count + i, &out->caps[i]) != 0)
            return -1;
    return 0;
}

static int parse_over(const redisReply *reply,
                      const struct limiter_request *req,
                      struct limiter_result *out)
{
    static const char *const words[] = {"start", "paused", "window", "limit",
                                        "pace"};
    char what[16];
    long index;
    long retry_at;
    size_t i;

    if (reply->elements != 11 ||
        element_text(reply, 3, what, sizeof(what)) != 0 ||
        element_long(reply, 4, &index) != 0 ||
        element_long(reply, 5, &out->over_used) != 0 ||
        element_long(reply, 6, &out->over_cap) != 0 ||
        element_long(reply, 7, &retry_at) != 0 ||
        element_long(reply, 8, &out->step) != 0 ||
        element_text(reply, 9, out->detail, sizeof(out->detail)) != 0 ||
        element_long(reply, 10, &out->cap) != 0)
        return -1;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(what, words[i]) == 0)
            break;
    if (i == sizeof(words) / sizeof(words[0]))
        return -1;
    out->refusal = (enum limiter_refusal)i;
    out->retry_at = (time_t)retry_at;
    if (out->refusal == REFUSED_PAUSED) {
        if (index < 0 || (size_t)index > req->provider_count)
            return -1;
        out->paused_provider = (size_t)index;
    }
    if (out->refusal == REFUSED_LIMIT) {
        if (index < 1 || (size_t)index > req->count)
            return -1;
        out->over_index = (size_t)index - 1;
        out->used[out->over_index] = out->over_used;
    }
    return 0;
}

int limiter_parse(const redisReply *reply, const struct limiter_request *req,
                  struct limiter_result *out, char *err, size_t errlen)
{
    const redisReply *status;
    long sec;
    long usec;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (reply->type == REDIS_REPLY_ERROR) {
        int auth = strstr(reply->str, "NOAUTH") != NULL ||
                   strstr(reply->str, "unauthenticated") != NULL;

        snprintf(err, errlen, "Redis error: %s%s", reply->str,
                 auth ? "; the server requires a password: set "
                        "redis.password_file"
                      : "");
        return -1;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        element_long(reply, 1, &sec) != 0 ||
        element_long(reply, 2, &usec) != 0) {
        snprintf(err, errlen,
                 "unexpected reply from the decision script (type %d, %zu "
                 "elements); check that the Redis server runs Redis >= 5",
                 reply->type, reply->elements);
        return -1;
    }
    out->now = (time_t)sec;
    out->now_usec = usec;
    status = reply->element[0];
    if (strcmp(status->str, "ok") == 0) {
        out->status = LIMITER_OK;
        rc = parse_ok(reply, req, out);
    } else if (strcmp(status->str, "over") == 0) {
        out->status = LIMITER_OVER;
        rc = parse_over(reply, req, out);
    } else if (strcmp(status->str, "clock") == 0) {
        out->status = LIMITER_CLOCK;
        rc = reply->elements == 3 ? 0 : -1;
    } else if (strcmp(status->str, "schedule") == 0) {
        out->status = LIMITER_SCHEDULE;
        rc = reply->elements == 4
                 ? element_text(reply, 3, out->detail, sizeof(out->detail))
                 : -1;
    }
    if (rc != 0)
        snprintf(err, errlen,
                 "unexpected reply from the decision script: status "
                 "\"%.32s\" with %zu elements",
                 status->str, reply->elements);
    return rc;
}
