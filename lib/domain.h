/*
 * domain.h - one spelling for each mail domain and address
 */
#ifndef RAMPART_DOMAIN_H
#define RAMPART_DOMAIN_H

#include <stddef.h>

/* Maximum length of a domain name (RFC 1035) plus NUL. */
#define DOMAIN_TEXT_MAX 256

/* Maximum length of an envelope address (RFC 5321 path) plus NUL. */
#define ADDRESS_TEXT_MAX 257

/*
 * Write the lowercase ASCII form of "in" to "out": IDN U-labels become
 * A-labels ("bücher.example" is "xn--bcher-kva.example") and a trailing dot
 * is dropped.  Returns 0, or -1 when "in" is not a valid domain name.
 */
int domain_normalize(const char *in, char *out, size_t outlen);

/*
 * Extract the domain of an envelope address such as "<User@Example.COM>"
 * and normalize it.  Returns 0; 1 for the null sender "<>" or an address
 * without a domain (out is then ""); -1 for an invalid domain.
 */
int domain_of_address(const char *address, char *out, size_t outlen);

/*
 * Write the form of an envelope address under which duplicates are one
 * recipient: the local part lowercased, the domain normalized.  A "+tag"
 * stays, because Postfix delivers "user" and "user+tag" as separate
 * recipients from the source IP.  Returns 0, or -1 when the address is
 * unusable.
 */
int address_normalize(const char *address, char *out, size_t outlen);

#endif
