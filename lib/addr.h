/*
 * addr.h - canonical text form of IPv4 and IPv6 addresses
 */
#ifndef RAMPART_ADDR_H
#define RAMPART_ADDR_H

#include <stddef.h>

/* Large enough for any canonical address plus the terminating NUL. */
#define ADDR_TEXT_MAX 46

/*
 * Write the canonical form of the address in "in" to "out": dotted quad
 * for IPv4, RFC 5952 lowercase compressed form for IPv6.  Accepts the
 * spellings MTAs hand out: "[2001:db8::1]", "IPv6:2001:db8::1" and
 * IPv4-mapped IPv6 ("::ffff:192.0.2.1", written as "192.0.2.1").
 * Returns 0, or -1 when "in" is not an IP address.
 */
int addr_canonical(const char *in, char *out, size_t outlen);

#endif
