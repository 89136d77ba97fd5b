/*
 * decide.h - the decision on one policy request
 *
 * RCPT: map the message to its source by the routes, check the limits
 * that apply to the recipient without charging (the recipients the
 * transaction was allowed so far count as pending).  END-OF-MESSAGE:
 * charge the allowed recipients once, all limits in one atomic step.
 */
#ifndef RAMPART_POLICY_DECIDE_H
#define RAMPART_POLICY_DECIDE_H

#include "aredis.h"
#include "instances.h"
#include "server.h"

#include <event2/event.h>

struct decider {
    struct event_base *base;
    struct aredis *redis;
    struct instance_table *instances;
    unsigned long decisions; /* requests answered, for the stats line */
    unsigned long deferred;
    unsigned long store_errors;
};

/* The callback the server calls for each request; ctx is a decider. */
void decide_request(void *ctx, struct slot *slot, const char *text, size_t len,
                    const char *peer);

/* Drop pending state of transactions idle for instance_timeout. */
void decide_expire(struct decider *d);

#endif
