/*
 * aredis.h - event-driven Redis calls with pipelining, deadlines and
 * reconnection, for rampart-policyd
 *
 * Every call ends within redis.timeout_ms: when the oldest call on the
 * connection is overdue, the connection is dropped, every call on it fails,
 * and a new connection is made after a short back-off.  Calls made while
 * no connection is up fail at once.
 */
#ifndef RAMPART_POLICY_AREDIS_H
#define RAMPART_POLICY_AREDIS_H

#include "config.h"

#include <event2/event.h>
#include <hiredis.h>
#include <stddef.h>

struct aredis;

/*
 * Result of one call: "reply" is the reply (freed by aredis after the
 * callback returns), or NULL with the reason in "err".
 */
typedef void aredis_callback(redisReply *reply, const char *err, void *arg);

/* Start connecting to the server of "rc"; returns NULL when out of memory. */
struct aredis *aredis_new(struct event_base *base,
                          const struct redis_config *rc);

/* Drop the connection; pending calls fail with "shutting down". */
void aredis_free(struct aredis *r);

/*
 * Run a script by EVALSHA: argv[0] and argv[1] are set here, argv[2]
 * onwards hold numkeys, keys and arguments.  The scripts passed to
 * aredis_add_script() are loaded on every new connection.  Returns 0 when
 * the call is under way (the callback runs later), -1 when it failed at
 * once (the callback has run).
 */
int aredis_eval(struct aredis *r, const char *sha1, int argc, const char **argv,
                size_t *argvlen, aredis_callback *cb, void *arg);

/* Load "text" (whose SHA1 is "sha1") on every connection. */
void aredis_add_script(struct aredis *r, const char *text, const char *sha1);

/* 1 while a connection is up. */
int aredis_connected(const struct aredis *r);

/* Calls under way. */
size_t aredis_pending(const struct aredis *r);

/*
 * Write the commands queued since the last call now, in one system call,
 * instead of waiting for the event loop to report the socket writable.
 * The daemon calls it after each pass of the event loop.
 */
void aredis_flush(struct aredis *r);

#endif
