/*
 * addr.c - canonical text form of IPv4 and IPv6 addresses
 *
 * Routes, sources and milter macros may spell one address in several ways
 * ("2001:DB8:0::1", "[2001:db8::1]", "IPv6:2001:db8::1").  Everything is
 * compared, and used in Redis key names, in the form written here.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

int addr_canonical(const char *in, char *out, size_t outlen)
{
    char buf[64];
    size_t len;
    unsigned char v6[16];
    struct in_addr v4;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};

    if (in == NULL || out == NULL || outlen == 0)
        return -1;
    if (strncasecmp(in, "IPv6:", 5) == 0)
        in += 5;
    len = strlen(in);
    if (len >= 2 && in[0] == '[' && in[len - 1] == ']') {
        in++;
        len -= 2;
    }
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, in, len);
    buf[len] = '\0';

    if (inet_pton(AF_INET, buf, &v4) == 1)
        return inet_ntop(AF_INET, &v4, out, (socklen_t)outlen) ? 0 : -1;
    if (inet_pton(AF_INET6, buf, v6) != 1)
        return -1;
    if (memcmp(v6, mapped, sizeof(mapped)) == 0) {
        memcpy(&v4.s_addr, v6 + 12, 4);
        return inet_ntop(AF_INET, &v4, out, (socklen_t)outlen) ? 0 : -1;
    }
    return inet_ntop(AF_INET6, v6, out, (socklen_t)outlen) ? 0 : -1;
}
