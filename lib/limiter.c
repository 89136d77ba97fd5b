/*
 * limiter.c - the arguments and the reply of the limiter script (limit.lua)
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

static void push_long(struct limiter_argv *out, long long value)
{
    char *buf = out->numbers[out->argc];
    int len = snprintf(buf, sizeof(out->numbers[0]), "%lld", value);

    push(out, buf, (size_t)len);
}

void limiter_build(const struct limiter_request *req, int use_eval,
                   struct limiter_argv *out)
{
    out->argc = 0;
    if (use_eval) {
        push_str(out, "EVAL");
        push_str(out, limiter_script);
    } else {
        push_str(out, "EVALSHA");
        push_str(out, limiter_script_sha1);
    }
    push_long(out, (long long)req->count);
    for (size_t i = 0; i < req->count; i++)
        push_str(out, req->limits[i].key);
    push_str(out, req->charge ? "charge" : "check");
    push_long(out, req->messages);
    push_long(out, req->recipients);
    for (size_t i = 0; i < req->count; i++) {
        const struct limiter_limit *l = &req->limits[i];

        push_long(out, (long long)l->window_start);
        push_long(out, (long long)l->window_end);
        push_long(out, (long long)l->expire_at);
        push_str(out, l->unit == UNIT_MESSAGES ? "m" : "r");
        push_long(out, l->cap);
    }
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

static int parse_ok(const redisReply *reply, const struct limiter_request *req,
                    struct limiter_result *out)
{
    if (reply->elements != 3 + req->count)
        return -1;
    for (size_t i = 0; i < req->count; i++)
        if (element_long(reply, 3 + i, &out->used[i]) != 0)
            return -1;
    return 0;
}

static int parse_over(const redisReply *reply,
                      const struct limiter_request *req,
                      struct limiter_result *out)
{
    long index;
    long used;
    long cap;

    if (reply->elements != 6 || element_long(reply, 3, &index) != 0 ||
        element_long(reply, 4, &used) != 0 ||
        element_long(reply, 5, &cap) != 0)
        return -1;
    if (index < 1 || (size_t)index > req->count)
        return -1;
    out->over_index = (size_t)index - 1;
    out->used[out->over_index] = used;
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
                 "unexpected reply from the limiter script (type %d, %zu "
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
    }
    if (rc != 0)
        snprintf(err, errlen,
                 "unexpected reply from the limiter script: status \"%.32s\" "
                 "with %zu elements",
                 status->str, reply->elements);
    return rc;
}
