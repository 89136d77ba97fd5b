/*
 * store.h - blocking Redis calls with a deadline, over a connection pool
 *
 * Safe to share between threads: each call borrows a connection from the
 * pool and returns it.  Every call, connect and AUTH included, ends within
 * redis.timeout_ms, after which the connection is dropped.  Callers
 * must ignore SIGPIPE: a write to a connection that Redis closed would
 * otherwise kill the process.
 */
#ifndef RAMPART_STORE_H
#define RAMPART_STORE_H

#include "config.h"
#include "limiter.h"

#include <hiredis.h>
#include <stddef.h>
#include <time.h>

struct store;

/* Create a pool for the server in "rc"; no connection is made yet. */
struct store *store_open(const struct redis_config *rc);

/* Close every pooled connection and free the pool. */
void store_close(struct store *st);

/*
 * Run one command given as an argument vector.  Returns the reply (free it
 * with freeReplyObject), or NULL with the reason in "err" on a transport
 * failure or timeout.  An error reply is returned as a reply.
 */
redisReply *store_command(struct store *st, int argc, const char **argv,
                          const size_t *argvlen, char *err, size_t errlen);

/*
 * Run a script: EVALSHA "sha1", then EVAL "text" when Redis reports
 * NOSCRIPT.  argv[0] and argv[1] are set here; argv[2] onwards hold
 * numkeys, the keys and the arguments.  Returns the reply or NULL, as
 * store_command() does.
 */
redisReply *store_eval(struct store *st, const char *text, const char *sha1,
                       int argc, const char **argv, size_t *argvlen, char *err,
                       size_t errlen);

/*
 * Run the decision script (EVALSHA, then EVAL when Redis reports
 * NOSCRIPT).  Returns 0 with the outcome in "res", or -1 with the reason
 * in "err" on any failure, error reply or unexpected reply.
 */
int store_limit(struct store *st, const struct limiter_request *req,
                struct limiter_result *res, char *err, size_t errlen);

/*
 * Return the current time by the Redis server's clock as last observed
 * (local clock plus the offset seen in the latest script reply).
 */
time_t store_now(struct store *st);

/*
 * Read Redis TIME, add "offset" seconds (the test clock) and correct
 * store_now() by it.  Returns 0, or -1 with the reason in "err".
 */
int store_sync_clock(struct store *st, long offset, char *err, size_t errlen);

/* Record a Redis TIME reading taken now, to correct store_now(). */
void store_observe_time(struct store *st, time_t sec, long usec);

#endif
