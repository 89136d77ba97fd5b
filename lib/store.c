/*
 * store.c - blocking Redis calls with a deadline, over a connection pool
 */
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

/* Idle connections kept for reuse; more are closed when returned. */
#define STORE_IDLE_MAX 64

/* A connection and the receive timeout last set on its socket. */
struct pooled {
    redisContext *c;
    long timeout_ms; /* -1: not set by this file yet */
};

struct store {
    struct endpoint endpoint;
    int timeout_ms;
    int database;
    char *username;
    char *password;

    pthread_mutex_t lock; /* protects idle and idle_count */
    struct pooled idle[STORE_IDLE_MAX];
    size_t idle_count;

    atomic_llong clock_offset_ms; /* Redis time minus local time */
};

/* Milliseconds left until "deadline" on the monotonic clock. */
static long remaining_ms(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 +
           (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

static void set_deadline(struct timespec *deadline, int timeout_ms)
{
    clock_gettime(CLOCK_MONOTONIC, deadline);
    deadline->tv_sec += timeout_ms / 1000;
    deadline->tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (deadline->tv_nsec >= 1000000000) {
        deadline->tv_sec++;
        deadline->tv_nsec -= 1000000000;
    }
}

static struct timeval ms_to_timeval(long ms)
{
    struct timeval tv;

    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

struct store *store_open(const struct redis_config *rc)
{
    struct store *st = calloc(1, sizeof(*st));

    if (st == NULL)
        return NULL;
    st->endpoint = rc->endpoint;
    st->timeout_ms = rc->timeout_ms;
    st->database = rc->database;
    st->username = rc->username ? strdup(rc->username) : NULL;
    st->password = rc->password ? strdup(rc->password) : NULL;
    pthread_mutex_init(&st->lock, NULL);
    atomic_init(&st->clock_offset_ms, 0);
    return st;
}

void store_close(struct store *st)
{
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->idle_count; i++)
        redisFree(st->idle[i].c);
    pthread_mutex_destroy(&st->lock);
    free(st->username);
    if (st->password != NULL) {
        explicit_bzero(st->password, strlen(st->password));
        free(st->password);
    }
    free(st);
}

/* Describe a context error; hiredis reports a timeout as EAGAIN. */
static void context_error(const struct store *st, const redisContext *c,
                          char *err, size_t errlen)
{
    const char *where = st->endpoint.kind == ENDPOINT_UNIX ? st->endpoint.path
                                                           : st->endpoint.host;

    if (c == NULL)
        snprintf(err, errlen, "cannot reach Redis at %s: out of memory", where);
    else if (c->err == REDIS_ERR_IO &&
             (strstr(c->errstr, "temporarily unavailable") != NULL ||
              strstr(c->errstr, "timed out") != NULL))
        snprintf(err, errlen, "Redis at %s timed out after %d ms", where,
                 st->timeout_ms);
    else
        snprintf(err, errlen, "Redis at %s failed: %s", where, c->errstr);
}

/*
 * Send one command within the deadline.  The socket timeout is set only
 * when it differs from the one set before by more than a few
 * milliseconds: two setsockopt() calls per command cost more than the
 * rest of the client side.
 */
static redisReply *command_on(struct pooled *p, const struct timespec *deadline,
                              int argc, const char **argv,
                              const size_t *argvlen)
{
    long left = remaining_ms(deadline);

    if (left <= 0) {
        p->c->err = REDIS_ERR_IO;
        snprintf(p->c->errstr, sizeof(p->c->errstr),
                 "Resource temporarily unavailable");
        errno = EAGAIN;
        return NULL;
    }
    if (p->timeout_ms < 0 || p->timeout_ms > left + 5 ||
        p->timeout_ms < left - 5) {
        if (redisSetTimeout(p->c, ms_to_timeval(left)) != REDIS_OK)
            return NULL;
        p->timeout_ms = left;
    }
    return redisCommandArgv(p->c, argc, argv, argvlen);
}

/* AUTH and SELECT on a new connection.  The password is never copied out. */
static int prepare(struct store *st, struct pooled *p,
                   const struct timespec *deadline, char *err, size_t errlen)
{
    redisContext *c = p->c;
    const char *argv[3];
    size_t argvlen[3];
    char db[16];
    int argc = 0;
    redisReply *reply;

    if (st->password != NULL) {
        argv[argc++] = "AUTH";
        if (st->username != NULL)
            argv[argc++] = st->username;
        argv[argc++] = st->password;
        for (int i = 0; i < argc; i++)
            argvlen[i] = strlen(argv[i]);
        reply = command_on(p, deadline, argc, argv, argvlen);
        if (reply == NULL) {
            context_error(st, c, err, errlen);
            return -1;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen,
                     "Redis AUTH failed: %.200s; check redis.username and "
                     "the contents of redis.password_file",
                     reply->str);
            freeReplyObject(reply);
            return -1;
        }
        freeReplyObject(reply);
    }
    if (st->database != 0) {
        snprintf(db, sizeof(db), "%d", st->database);
        argv[0] = "SELECT";
        argv[1] = db;
        argvlen[0] = 6;
        argvlen[1] = strlen(db);
        reply = command_on(p, deadline, 2, argv, argvlen);
        if (reply == NULL) {
            context_error(st, c, err, errlen);
            return -1;
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            snprintf(err, errlen, "Redis SELECT %d failed: %.200s",
                     st->database, reply->str);
            freeReplyObject(reply);
            return -1;
        }
        freeReplyObject(reply);
    }
    return 0;
}

static int connect_new(struct store *st, const struct timespec *deadline,
                       struct pooled *p, char *err, size_t errlen)
{
    long left = remaining_ms(deadline);

    p->c = NULL;
    p->timeout_ms = -1;
    if (left <= 0) {
        snprintf(err, errlen, "Redis timed out after %d ms", st->timeout_ms);
        return -1;
    }
    if (st->endpoint.kind == ENDPOINT_UNIX)
        p->c =
            redisConnectUnixWithTimeout(st->endpoint.path, ms_to_timeval(left));
    else
        p->c = redisConnectWithTimeout(st->endpoint.host, st->endpoint.port,
                                       ms_to_timeval(left));
    if (p->c == NULL || p->c->err) {
        context_error(st, p->c, err, errlen);
        if (p->c != NULL)
            redisFree(p->c);
        p->c = NULL;
        return -1;
    }
    if (prepare(st, p, deadline, err, errlen) != 0) {
        redisFree(p->c);
        p->c = NULL;
        return -1;
    }
    return 0;
}

/* Take an idle connection; returns 0 when the pool is empty. */
static int take_idle(struct store *st, struct pooled *p)
{
    int found = 0;

    pthread_mutex_lock(&st->lock);
    if (st->idle_count > 0) {
        *p = st->idle[--st->idle_count];
        found = 1;
    }
    pthread_mutex_unlock(&st->lock);
    return found;
}

/* Return "p" to the pool, or close it when broken or the pool is full. */
static void give_back(struct store *st, struct pooled *p)
{
    if (p->c->err == 0) {
        pthread_mutex_lock(&st->lock);
        if (st->idle_count < STORE_IDLE_MAX) {
            st->idle[st->idle_count++] = *p;
            p->c = NULL;
        }
        pthread_mutex_unlock(&st->lock);
    }
    if (p->c != NULL)
        redisFree(p->c);
}

/* A pooled connection the server closed while idle (e.g. a restart). */
static int stale_connection(const redisContext *c)
{
    return c->err == REDIS_ERR_EOF ||
           (c->err == REDIS_ERR_IO && (errno == ECONNRESET || errno == EPIPE));
}

static redisReply *command_deadline(struct store *st,
                                    const struct timespec *deadline, int argc,
                                    const char **argv, const size_t *argvlen,
                                    char *err, size_t errlen)
{
    struct pooled p;
    int pooled = take_idle(st, &p);
    redisReply *reply;

    if (!pooled && connect_new(st, deadline, &p, err, errlen) != 0)
        return NULL;
    reply = command_on(&p, deadline, argc, argv, argvlen);

    /*
     * A connection that sat in the pool across a Redis restart fails at
     * once with EOF or a reset; the command never reached the new server,
     * so one retry on a new connection cannot charge twice.
     */
    if (reply == NULL && pooled && stale_connection(p.c)) {
        redisFree(p.c);
        if (connect_new(st, deadline, &p, err, errlen) != 0)
            return NULL;
        reply = command_on(&p, deadline, argc, argv, argvlen);
    }
    if (reply == NULL)
        context_error(st, p.c, err, errlen);
    give_back(st, &p);
    return reply;
}

redisReply *store_command(struct store *st, int argc, const char **argv,
                          const size_t *argvlen, char *err, size_t errlen)
{
    struct timespec deadline;

    set_deadline(&deadline, st->timeout_ms);
    return command_deadline(st, &deadline, argc, argv, argvlen, err, errlen);
}

/* Run an EVALSHA within "deadline", falling back to EVAL on NOSCRIPT. */
static redisReply *eval_deadline(struct store *st,
                                 const struct timespec *deadline,
                                 const char *text, const char *sha1, int argc,
                                 const char **argv, size_t *argvlen, char *err,
                                 size_t errlen)
{
    redisReply *reply;

    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = sha1;
    argvlen[1] = strlen(sha1);
    reply = command_deadline(st, deadline, argc, argv, argvlen, err, errlen);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR &&
        strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply);
        argv[0] = "EVAL";
        argvlen[0] = 4;
        argv[1] = text;
        argvlen[1] = strlen(text);
        reply =
            command_deadline(st, deadline, argc, argv, argvlen, err, errlen);
    }
    return reply;
}

redisReply *store_eval(struct store *st, const char *text, const char *sha1,
                       int argc, const char **argv, size_t *argvlen, char *err,
                       size_t errlen)
{
    struct timespec deadline;

    set_deadline(&deadline, st->timeout_ms);
    return eval_deadline(st, &deadline, text, sha1, argc, argv, argvlen, err,
                         errlen);
}

int store_limit(struct store *st, const struct limiter_request *req,
                struct limiter_result *res, char *err, size_t errlen)
{
    struct timespec deadline;
    struct limiter_argv args;
    redisReply *reply;
    int rc;

    set_deadline(&deadline, st->timeout_ms);
    limiter_build(req, 0, &args);
    reply = eval_deadline(st, &deadline, limit_script, limit_script_sha1,
                          args.argc, args.argv, args.argvlen, err, errlen);
    if (reply == NULL)
        return -1;
    rc = limiter_parse(reply, req, res, err, errlen);
    freeReplyObject(reply);
    if (rc == 0)
        store_observe_time(st, res->now, res->now_usec);
    return rc;
}

void store_observe_time(struct store *st, time_t sec, long usec)
{
    struct timespec local;
    long long redis_ms = (long long)sec * 1000 + usec / 1000;
    long long local_ms;

    clock_gettime(CLOCK_REALTIME, &local);
    local_ms = (long long)local.tv_sec * 1000 + local.tv_nsec / 1000000;
    atomic_store(&st->clock_offset_ms, redis_ms - local_ms);
}

time_t store_now(struct store *st)
{
    struct timespec local;
    long long ms;

    clock_gettime(CLOCK_REALTIME, &local);
    ms = (long long)local.tv_sec * 1000 + local.tv_nsec / 1000000 +
         atomic_load(&st->clock_offset_ms);
    return (time_t)(ms / 1000);
}

int store_sync_clock(struct store *st, long offset, char *err, size_t errlen)
{
    const char *argv[] = {"TIME"};
    size_t argvlen[] = {4};
    redisReply *reply = store_command(st, 1, argv, argvlen, err, errlen);
    int ok;

    if (reply == NULL)
        return -1;
    ok = reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
         reply->element[0]->type == REDIS_REPLY_STRING &&
         reply->element[1]->type == REDIS_REPLY_STRING;
    if (ok)
        store_observe_time(
            st, (time_t)strtoll(reply->element[0]->str, NULL, 10) + offset,
            strtol(reply->element[1]->str, NULL, 10));
    else
        snprintf(err, errlen, "unexpected reply to TIME from Redis");
    freeReplyObject(reply);
    return ok ? 0 : -1;
}
