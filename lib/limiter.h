/*
 * limiter.h - the arguments and the reply of the limiter script (limit.lua)
 *
 * Building the request and reading the reply are kept apart from any I/O,
 * so that blocking (milter) and event-driven (policy server) callers share
 * them and tests can exercise them without a network.
 */
#ifndef RAMPART_LIMITER_H
#define RAMPART_LIMITER_H

#include "config.h"

#include <hiredis.h>
#include <stddef.h>
#include <time.h>

#define LIMITER_MAX_LIMITS 8
#define LIMITER_KEY_MAX 256

/* The script's source and its SHA1, generated from limit.lua at build time. */
extern const char limiter_script[];
extern const char limiter_script_sha1[];

/* One limit on one counter key. */
struct limiter_limit {
    char key[LIMITER_KEY_MAX];
    enum count_unit unit;
    long cap;            /* inclusive */
    time_t window_start; /* the UTC interval that key counts */
    time_t window_end;
    time_t expire_at;    /* TTL set when the step creates the key */
};

struct limiter_request {
    int charge;      /* 0: check only, 1: check and charge */
    long messages;   /* units this message adds */
    long recipients;
    size_t count;    /* limits in use */
    struct limiter_limit limits[LIMITER_MAX_LIMITS];
};

enum limiter_status {
    LIMITER_OK,   /* every limit has room (and was charged) */
    LIMITER_OVER, /* limit over_index has no room; nothing was charged */
    LIMITER_CLOCK /* Redis time lies outside a window: rebuild and retry */
};

struct limiter_result {
    enum limiter_status status;
    time_t now;          /* Redis TIME, seconds */
    long now_usec;
    size_t over_index;   /* LIMITER_OVER: index into the request's limits */
    long used[LIMITER_MAX_LIMITS]; /* count of each limit after the step */
};

/* Text arguments of EVALSHA: "EVALSHA", sha, numkeys, keys..., args... */
#define LIMITER_ARGC_MAX (3 + LIMITER_MAX_LIMITS + 3 + 5 * LIMITER_MAX_LIMITS)

struct limiter_argv {
    int argc;
    const char *argv[LIMITER_ARGC_MAX];
    size_t argvlen[LIMITER_ARGC_MAX];
    char numbers[LIMITER_ARGC_MAX][24]; /* storage for numeric arguments */
};

/*
 * Fill "out" with an EVALSHA command for "req".  The strings point into
 * "req" and "out", which must outlive the command.  With "use_eval" set,
 * the command is EVAL with the script text, for the NOSCRIPT fallback.
 */
void limiter_build(const struct limiter_request *req, int use_eval,
                   struct limiter_argv *out);

/*
 * Read the script's reply.  Returns 0, or -1 with a description of the
 * unexpected reply in "err" (an error reply is passed on as its text).
 */
int limiter_parse(const redisReply *reply, const struct limiter_request *req,
                  struct limiter_result *out, char *err, size_t errlen);

#endif
