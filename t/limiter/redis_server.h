/*
 * redis_server.h - a private redis-server for one test
 *
 * The server listens only on a unix socket in a new temp dir (port 0, no
 * TCP), saves no data to disk, and is killed when the test process dies.
 * Every helper fails the running test (ck_abort) when it cannot do its
 * job.  A test that fails skips its teardown, so its temp dir and
 * redis.log stay behind for inspection.
 */
#ifndef RAMPART_TEST_REDIS_SERVER_H
#define RAMPART_TEST_REDIS_SERVER_H

#include "config.h"

#include <hiredis.h>
#include <sys/types.h>

struct redis_server {
    pid_t pid;                      /* 0 when not running */
    char dir[256];                  /* temp dir: socket, redis.conf, log */
    char socket[ENDPOINT_PATH_MAX]; /* unix socket path */
    char password[128];             /* requirepass, or "" */
    redisContext *admin;            /* inspection connection, or NULL */
};

/*
 * Start a server in a new temp dir.  With a non-NULL "password", the
 * server requires it (requirepass in a redis.conf, not on the command
 * line).
 */
void redis_server_start(struct redis_server *srv, const char *password);

/* Stop the server with SIGTERM and wait for it, keeping the temp dir. */
void redis_server_stop(struct redis_server *srv);

/* Start a stopped server again on the same socket path. */
void redis_server_restart(struct redis_server *srv);

/* Stop the server if it runs and remove its temp dir. */
void redis_server_cleanup(struct redis_server *srv);

/*
 * Run a command on the inspection connection (printf-style, as
 * redisCommand).  Returns the reply, which the caller frees.
 */
redisReply *redis_server_command(struct redis_server *srv, const char *format,
                                 ...);

/* Run a command whose reply is an integer and return it. */
long long redis_server_integer(struct redis_server *srv, const char *format,
                               ...);

/* Return a hash field as a number, or -1 when it or its key is missing. */
long redis_server_field(struct redis_server *srv, const char *key,
                        const char *field);

/* Fill "rc" to reach the server's socket, with no password, database 0. */
void redis_server_config(const struct redis_server *srv, int timeout_ms,
                         struct redis_config *rc);

#endif
