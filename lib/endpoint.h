/*
 * endpoint.h - socket addresses written as "unix:/path" or "inet:host:port"
 */
#ifndef RAMPART_ENDPOINT_H
#define RAMPART_ENDPOINT_H

#include <stddef.h>

#define ENDPOINT_PATH_MAX 108 /* sun_path of struct sockaddr_un */
#define ENDPOINT_HOST_MAX 256

enum endpoint_kind { ENDPOINT_UNIX, ENDPOINT_INET };

struct endpoint {
    enum endpoint_kind kind;
    char path[ENDPOINT_PATH_MAX]; /* UNIX: socket path */
    char host[ENDPOINT_HOST_MAX]; /* INET: address or name, no brackets */
    int port;                     /* INET: 1..65535 */
};

/*
 * Parse "unix:/path", "local:/path", "/path", "inet:host:port",
 * "inet:[v6addr]:port", libmilter's "inet:port@host" and "inet6:port@host",
 * or a bare "host:port".  Returns 0, or -1 with the reason in "err".
 */
int endpoint_parse(const char *spec, struct endpoint *out, char *err,
                   size_t errlen);

/* Return 1 when an INET endpoint's host is a loopback address. */
int endpoint_is_loopback(const struct endpoint *ep);

#endif
