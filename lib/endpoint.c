/*
 * endpoint.c - socket addresses written as "unix:/path" or "inet:host:port"
 */
#include "endpoint.h"

#include "addr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_port(const char *text, int *port)
{
    char *end;
    long value;

    if (*text < '0' || *text > '9')
        return -1;
    value = strtol(text, &end, 10);
    if (*end != '\0' || value < 1 || value > 65535)
        return -1;
    *port = (int)value;
    return 0;
}

static int set_host(struct endpoint *out, const char *host, size_t len)
{
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(out->host))
        return -1;
    memcpy(out->host, host, len);
    out->host[len] = '\0';
    return 0;
}

static int parse_unix(const char *path, struct endpoint *out, char *err,
                      size_t errlen)
{
    if (path[0] != '/') {
        snprintf(err, errlen,
                 "invalid socket \"%s\": a unix socket needs an absolute "
                 "path, e.g. \"unix:/run/rampart/milter.sock\"",
                 path);
        return -1;
    }
    if (strlen(path) >= sizeof(out->path)) {
        snprintf(err, errlen,
                 "invalid socket \"%s\": the path is longer than %zu bytes",
                 path, sizeof(out->path) - 1);
        return -1;
    }
    out->kind = ENDPOINT_UNIX;
    strcpy(out->path, path);
    return 0;
}

/* "port@host", as libmilter writes inet sockets. */
static int parse_port_at_host(const char *text, struct endpoint *out)
{
    const char *at = strchr(text, '@');
    char port[8];
    size_t len;

    if (at == NULL)
        return -1;
    len = (size_t)(at - text);
    if (len == 0 || len >= sizeof(port))
        return -1;
    memcpy(port, text, len);
    port[len] = '\0';
    if (parse_port(port, &out->port) != 0)
        return -1;
    return set_host(out, at + 1, strlen(at + 1));
}

/* "host:port" or "[v6]:port"; the port follows the last colon. */
static int parse_host_port(const char *text, struct endpoint *out)
{
    const char *colon = strrchr(text, ':');
    size_t host_len;

    if (colon == NULL || parse_port(colon + 1, &out->port) != 0)
        return -1;
    host_len = (size_t)(colon - text);

    /* An unbracketed IPv6 address has more colons than the port's. */
    if (memchr(text, ':', host_len) != NULL && text[0] != '[')
        return -1;
    return set_host(out, text, host_len);
}

int endpoint_parse(const char *spec, struct endpoint *out, char *err,
                   size_t errlen)
{
    int rc;

    memset(out, 0, sizeof(*out));
    if (spec == NULL || *spec == '\0') {
        snprintf(err, errlen, "empty socket address");
        return -1;
    }
    if (strncasecmp(spec, "unix:", 5) == 0)
        return parse_unix(spec + 5, out, err, errlen);
    if (strncasecmp(spec, "local:", 6) == 0)
        return parse_unix(spec + 6, out, err, errlen);
    if (spec[0] == '/')
        return parse_unix(spec, out, err, errlen);

    out->kind = ENDPOINT_INET;
    if (strncasecmp(spec, "inet6:", 6) == 0)
        rc = parse_port_at_host(spec + 6, out);
    else if (strncasecmp(spec, "inet:", 5) == 0)
        rc = strchr(spec, '@') ? parse_port_at_host(spec + 5, out)
                               : parse_host_port(spec + 5, out);
    else
        rc = parse_host_port(spec, out);
    if (rc != 0) {
        snprintf(err, errlen,
                 "invalid socket address \"%s\": use \"unix:/path\", "
                 "\"inet:127.0.0.1:PORT\" or \"inet:[::1]:PORT\"",
                 spec);
        return -1;
    }
    return 0;
}

int endpoint_is_loopback(const struct endpoint *ep)
{
    char canon[ADDR_TEXT_MAX];

    if (ep->kind != ENDPOINT_INET)
        return 0;
    if (strcasecmp(ep->host, "localhost") == 0)
        return 1;
    if (addr_canonical(ep->host, canon, sizeof(canon)) != 0)
        return 0;
    return strncmp(canon, "127.", 4) == 0 || strcmp(canon, "::1") == 0;
}
