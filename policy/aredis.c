/*
 * aredis.c - event-driven Redis calls with pipelining, deadlines and
 * reconnection, for rampart-policyd
 */
#include "aredis.h"

#include "log.h"

#include <adapters/libevent.h>
#include <async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCRIPTS_MAX    4
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

/* One call under way, in the order the calls were sent. */
struct call {
    struct call *next;
    struct aredis *r;
    aredis_callback *cb;
    void *arg;
    struct timespec deadline;
};

struct aredis {
    struct event_base *base;
    struct endpoint endpoint;
    int timeout_ms;
    int database;
    char *username;
    char *password;
    const char *script_text[SCRIPTS_MAX];
    const char *script_sha1[SCRIPTS_MAX];
    size_t script_count;

    redisAsyncContext *ac; /* NULL while disconnected */
    int up;                /* the connect callback reported success */
    struct call *head;     /* oldest call under way */
    struct call *tail;
    size_t pending;
    struct event *tick; /* deadlines and reconnection */
    struct timespec connect_started;
    struct timespec reconnect_at;
    int backoff_ms;
    int freeing;
    char *command; /* the RESP text of the call being sent, reused */
    size_t command_len;
    size_t command_size;
};

static struct log_repeat redis_errors = LOG_REPEAT_INIT(60, "Redis errors");

static void now_plus(struct timespec *t, long ms)
{
    clock_gettime(CLOCK_MONOTONIC, t);
    t->tv_sec += ms / 1000;
    t->tv_nsec += (ms % 1000) * 1000000L;
    if (t->tv_nsec >= 1000000000L) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000L;
    }
}

static int passed(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec ||
           (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Remove "c" from the calls under way.  Redis replies in order, so it is
 * normally the oldest. */
static void unlink_call(struct aredis *r, struct call *c)
{
    struct call **p = &r->head;
    struct call *prev = NULL;

    while (*p != NULL && *p != c) {
        prev = *p;
        p = &(*p)->next;
    }
    if (*p == NULL)
        return;
    *p = c->next;
    if (r->tail == c)
        r->tail = prev;
    r->pending--;
}

static void on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
    struct call *c = privdata;
    struct aredis *r = c->r;
    redisReply *reply = reply_ptr;
    char err[256];

    (void)ac;
    unlink_call(r, c);
    if (reply == NULL) {
        snprintf(err, sizeof(err),
                 "Redis connection lost or timed out after "
                 "%d ms",
                 r->timeout_ms);
        c->cb(NULL, err, c->arg);
    } else {
        c->cb(reply, NULL, c->arg);
    }
    free(c);
}

/* Replies to AUTH, SELECT and SCRIPT LOAD sent on a new connection. */
static void on_setup_reply(redisAsyncContext *ac, void *reply_ptr,
                           void *privdata)
{
    redisReply *reply = reply_ptr;
    const char *what = privdata;

    (void)ac;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
        log_repeat(&redis_errors, LOG_ERR, "Redis %s failed: %.200s%s", what,
                   reply->str,
                   strcmp(what, "AUTH") == 0
                       ? "; check redis.username and redis.password_file"
                       : "");
}

static void connection_gone(struct aredis *r);

static void on_connect(const redisAsyncContext *ac, int status)
{
    struct aredis *r = ac->data;

    if (status != REDIS_OK) {
        log_repeat(&redis_errors, LOG_WARNING, "Redis connect failed: %s",
                   ac->errstr);
        connection_gone(r); /* hiredis frees the context on return */
        return;
    }
    r->up = 1;
    r->backoff_ms = BACKOFF_MIN_MS;
    log_info("connected to Redis");
}

/*
 * Forget the freed context and schedule a reconnect.  hiredis 0.14 calls
 * the disconnect callback only for a context that had connected, so a
 * failed or timed-out connect comes here directly.  The calls under way
 * are not failed here: hiredis runs on_reply() with no reply for each one
 * as it frees the context, which may happen after this function returns.
 */
static void connection_gone(struct aredis *r)
{
    r->ac = NULL;
    r->up = 0;
    now_plus(&r->reconnect_at, r->backoff_ms);
    r->backoff_ms =
        r->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff_ms * 2;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    struct aredis *r = ac->data;

    if (r == NULL)
        return;
    if (status != REDIS_OK && r->up)
        log_repeat(&redis_errors, LOG_WARNING, "Redis connection lost: %s",
                   ac->errstr);
    connection_gone(r);
}

/* AUTH, SELECT and the scripts go first, pipelined before any call. */
static void send_setup(struct aredis *r)
{
    const char *argv[3];
    size_t argvlen[3];
    int argc = 0;

    if (r->password != NULL) {
        argv[argc++] = "AUTH";
        if (r->username != NULL)
            argv[argc++] = r->username;
        argv[argc++] = r->password;
        for (int i = 0; i < argc; i++)
            argvlen[i] = strlen(argv[i]);
        redisAsyncCommandArgv(r->ac, on_setup_reply, "AUTH", argc, argv,
                              argvlen);
    }
    if (r->database != 0)
        redisAsyncCommand(r->ac, on_setup_reply, "SELECT", "SELECT %d",
                          r->database);
    for (size_t i = 0; i < r->script_count; i++)
        redisAsyncCommand(r->ac, on_setup_reply, "SCRIPT LOAD",
                          "SCRIPT LOAD %s", r->script_text[i]);
}

static void start_connect(struct aredis *r)
{
    redisAsyncContext *ac;

    if (r->endpoint.kind == ENDPOINT_UNIX)
        ac = redisAsyncConnectUnix(r->endpoint.path);
    else
        ac = redisAsyncConnect(r->endpoint.host, r->endpoint.port);
    if (ac == NULL || ac->err) {
        log_repeat(&redis_errors, LOG_WARNING, "Redis connect failed: %s",
                   ac ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        now_plus(&r->reconnect_at, r->backoff_ms);
        return;
    }
    ac->data = r;
    redisLibeventAttach(ac, r->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    r->ac = ac;
    r->up = 0;
    clock_gettime(CLOCK_MONOTONIC, &r->connect_started);
    send_setup(r);
}

static long elapsed_ms(const struct timespec *since)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - since->tv_sec) * 1000 +
           (now.tv_nsec - since->tv_nsec) / 1000000;
}

/* Enforce deadlines, time out a slow connect, reconnect after back-off. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct aredis *r = arg;

    (void)fd;
    (void)what;
    if (r->ac != NULL && !r->up &&
        elapsed_ms(&r->connect_started) > r->timeout_ms) {
        redisAsyncContext *ac = r->ac;

        log_repeat(&redis_errors, LOG_WARNING,
                   "Redis connect timed out after %d ms", r->timeout_ms);
        redisAsyncFree(ac); /* no on_disconnect: it never connected */
        if (r->ac == ac)
            connection_gone(r);
        return;
    }
    if (r->ac != NULL && r->head != NULL && passed(&r->head->deadline)) {
        log_repeat(&redis_errors, LOG_WARNING,
                   "Redis call timed out after %d ms; reconnecting",
                   r->timeout_ms);
        redisAsyncFree(r->ac); /* fails every call, calls on_disconnect */
        return;
    }
    if (r->ac == NULL && !r->freeing && passed(&r->reconnect_at))
        start_connect(r);
}

struct aredis *aredis_new(struct event_base *base,
                          const struct redis_config *rc)
{
    struct aredis *r = calloc(1, sizeof(*r));
    struct timeval tick = {0, 10000};

    if (r == NULL)
        return NULL;
    r->base = base;
    r->endpoint = rc->endpoint;
    r->timeout_ms = rc->timeout_ms;
    r->database = rc->database;
    r->username = rc->username ? strdup(rc->username) : NULL;
    r->password = rc->password ? strdup(rc->password) : NULL;
    r->backoff_ms = BACKOFF_MIN_MS;
    r->tick = event_new(base, -1, EV_PERSIST, on_tick, r);
    if (r->tick == NULL) {
        aredis_free(r);
        return NULL;
    }
    event_add(r->tick, &tick);
    return r;
}

void aredis_add_script(struct aredis *r, const char *text, const char *sha1)
{
    if (r->script_count < SCRIPTS_MAX) {
        r->script_text[r->script_count] = text;
        r->script_sha1[r->script_count] = sha1;
        r->script_count++;
    }
    if (r->ac == NULL)
        start_connect(r);
}

void aredis_free(struct aredis *r)
{
    if (r == NULL)
        return;
    r->freeing = 1;
    /* hiredis fails every call under way through on_reply(). */
    if (r->ac != NULL)
        redisAsyncFree(r->ac);
    if (r->tick != NULL)
        event_free(r->tick);
    free(r->command);
    free(r->username);
    if (r->password != NULL) {
        explicit_bzero(r->password, strlen(r->password));
        free(r->password);
    }
    free(r);
}

/* Append "len" bytes to the command buffer, growing it as needed. */
static int append(struct aredis *r, const char *data, size_t len)
{
    if (r->command_len + len > r->command_size) {
        size_t size = r->command_size ? r->command_size : 4096;
        char *grown;

        while (size < r->command_len + len)
            size *= 2;
        grown = realloc(r->command, size);
        if (grown == NULL)
            return -1;
        r->command = grown;
        r->command_size = size;
    }
    memcpy(r->command + r->command_len, data, len);
    r->command_len += len;
    return 0;
}

/* "*N" or "$N" and CRLF: the RESP headers of a command and its strings. */
static int append_header(struct aredis *r, char kind, size_t n)
{
    char buf[32];
    char digits[24];
    size_t len = 0;
    size_t k = 0;

    buf[len++] = kind;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (k > 0)
        buf[len++] = digits[--k];
    buf[len++] = '\r';
    buf[len++] = '\n';
    return append(r, buf, len);
}

/*
 * Format the command as RESP here: hiredis 0.14 formats each header with
 * a printf-like routine, which costs more than the rest of a decision.
 */
static int format_command(struct aredis *r, int argc, const char **argv,
                          const size_t *argvlen)
{
    r->command_len = 0;
    if (append_header(r, '*', (size_t)argc) != 0)
        return -1;
    for (int i = 0; i < argc; i++)
        if (append_header(r, '$', argvlen[i]) != 0 ||
            append(r, argv[i], argvlen[i]) != 0 || append(r, "\r\n", 2) != 0)
            return -1;
    return 0;
}

int aredis_eval(struct aredis *r, const char *sha1, int argc, const char **argv,
                size_t *argvlen, aredis_callback *cb, void *arg)
{
    struct call *c;

    if (r->ac == NULL) {
        cb(NULL, "not connected to Redis", arg);
        return -1;
    }
    c = malloc(sizeof(*c));
    if (c == NULL) {
        cb(NULL, "out of memory", arg);
        return -1;
    }
    c->next = NULL;
    c->r = r;
    c->cb = cb;
    c->arg = arg;
    now_plus(&c->deadline, r->timeout_ms);
    argv[0] = "EVALSHA";
    argvlen[0] = 7;
    argv[1] = sha1;
    argvlen[1] = strlen(sha1);
    if (format_command(r, argc, argv, argvlen) != 0 ||
        redisAsyncFormattedCommand(r->ac, on_reply, c, r->command,
                                   r->command_len) != REDIS_OK) {
        free(c);
        cb(NULL, "cannot queue the Redis command", arg);
        return -1;
    }
    if (r->tail != NULL)
        r->tail->next = c;
    else
        r->head = c;
    r->tail = c;
    r->pending++;
    return 0;
}

int aredis_connected(const struct aredis *r)
{
    return r->ac != NULL && r->up;
}

size_t aredis_pending(const struct aredis *r)
{
    return r->pending;
}

void aredis_flush(struct aredis *r)
{
    /* Until the connect callback ran, the socket may still be connecting;
     * hiredis then writes once the write event reports the connection. */
    if (r->ac != NULL && r->up && sdslen(r->ac->c.obuf) > 0)
        redisAsyncHandleWrite(r->ac);
}
