/*
 * server.h - policy protocol connections: framing, order, limits, timeouts
 *
 * Each connection reads requests (lines up to an empty line), hands each
 * to the decision code, and writes the replies in request order, also when
 * the client pipelines requests.  A client that half-closes (Exim's
 * ${readsocket}) gets its reply, then the server closes.
 */
#ifndef RAMPART_POLICY_SERVER_H
#define RAMPART_POLICY_SERVER_H

#include "endpoint.h"

#include <event2/event.h>
#include <stddef.h>

struct server;
struct slot;

/* Decide on one request; must call slot_done() now or later. */
typedef void server_decide_fn(void *ctx, struct slot *slot, const char *text,
                              size_t len, const char *peer);

struct server_limits {
    int max_connections;
    int idle_timeout_s;
};

struct server *server_new(struct event_base *base,
                          const struct server_limits *limits,
                          server_decide_fn *decide, void *ctx);

/*
 * Listen on "ep" (a unix socket gets "mode" and group "gid" or the group
 * named "group").  Returns 0, or -1 with the reason in "err".
 */
int server_listen(struct server *srv, const struct endpoint *ep, int mode,
                  const char *group, unsigned uid, unsigned gid, char *err,
                  size_t errlen);

/* Write the replies decided since the last call; see server.c. */
void server_flush(struct server *srv);

/* Stop accepting and close every connection. */
void server_free(struct server *srv);

/*
 * Set the reply to the request: "action" is the value after "action=",
 * e.g. "DUNNO".  NULL closes the connection without a reply (a malformed
 * request).  The slot is freed.
 */
void slot_done(struct slot *slot, const char *action);

/*
 * Return the connection's buffer (of *len bytes) holding the instance of
 * the transaction the client last asked about.
 */
char *slot_last_instance(struct slot *slot, size_t *len);

/* Connections open now. */
size_t server_connections(const struct server *srv);

#endif
