/*
 * route.c - pick the source IP of a message from the configured routes
 */
#include "route.h"

#include <arpa/inet.h>
#include <string.h>

static int network_contains(const struct network *net, const char *address)
{
    unsigned char bytes[16];
    int full;
    int rest;

    if (*address == '\0' || inet_pton(net->family, address, bytes) != 1)
        return 0;
    full = net->prefix_len / 8;
    rest = net->prefix_len % 8;
    if (memcmp(bytes, net->bytes, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((bytes[full] ^ net->bytes[full]) & (0xff << (8 - rest))) == 0;
}

/* "example.com" matches itself; ".example.com" matches its subdomains. */
static int domain_matches(const char *pattern, const char *domain)
{
    size_t plen;
    size_t dlen;

    if (*domain == '\0')
        return 0;
    if (pattern[0] != '.')
        return strcmp(pattern, domain) == 0;
    plen = strlen(pattern);
    dlen = strlen(domain);
    return dlen > plen && strcmp(domain + dlen - plen, pattern) == 0;
}

static int route_matches(const struct route *r, const struct route_input *in)
{
    if (r->daemon_addr && strcmp(r->daemon_addr, in->daemon_addr) != 0)
        return 0;
    if (r->daemon_name &&
        (in->daemon_name == NULL || strcmp(r->daemon_name, in->daemon_name)))
        return 0;
    if (r->client.family != 0 && !network_contains(&r->client, in->client_addr))
        return 0;
    if (r->sender_domain &&
        !domain_matches(r->sender_domain, in->sender_domain))
        return 0;
    if (r->sasl_user &&
        (in->sasl_user == NULL || strcmp(r->sasl_user, in->sasl_user) != 0))
        return 0;
    return 1;
}

const struct route *route_find(const struct rampart_config *cfg,
                               const struct route_input *in)
{
    for (size_t i = 0; i < cfg->route_count; i++)
        if (route_matches(&cfg->routes[i], in))
            return &cfg->routes[i];
    return NULL;
}
