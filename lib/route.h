/*
 * route.h - pick the source IP of a message from the configured routes
 */
#ifndef RAMPART_ROUTE_H
#define RAMPART_ROUTE_H

#include "addr.h"
#include "config.h"
#include "domain.h"

/* What the MTA tells about a message by MAIL FROM time. */
struct route_input {
    char daemon_addr[ADDR_TEXT_MAX];     /* canonical, or "" (non-SMTP) */
    const char *daemon_name;             /* or NULL */
    char client_addr[ADDR_TEXT_MAX];     /* canonical, or "" */
    char sender_domain[DOMAIN_TEXT_MAX]; /* normalized, "" for <> */
    const char *sasl_user;               /* or NULL */
};

/* Return the first route that matches, or NULL when none does. */
const struct route *route_find(const struct rampart_config *cfg,
                               const struct route_input *in);

#endif
