/*
 * domain.c - one spelling for each mail domain and address
 */
#include "domain.h"

#include <ctype.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

/* Strip the angle brackets and any source route of an envelope address. */
static void bare_address(const char *address, const char **start, size_t *len)
{
    const char *p = address;
    size_t n;

    while (isspace((unsigned char)*p))
        p++;
    n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    if (n >= 2 && p[0] == '<' && p[n - 1] == '>') {
        p++;
        n -= 2;
    }

    /* "@relay1,@relay2:user@domain" (RFC 5321 source route). */
    if (n > 0 && p[0] == '@') {
        const char *colon = memchr(p, ':', n);

        if (colon != NULL) {
            n -= (size_t)(colon + 1 - p);
            p = colon + 1;
        }
    }
    *start = p;
    *len = n;
}

/* A leading dot, "..", or a dot left at the end makes an empty label. */
static int has_empty_label(const char *name)
{
    size_t len = strlen(name);

    return name[0] == '.' || strstr(name, "..") != NULL ||
           (len > 0 && name[len - 1] == '.');
}

int domain_normalize(const char *in, char *out, size_t outlen)
{
    char buf[DOMAIN_TEXT_MAX * 4];
    char *ascii = NULL;
    size_t len = strlen(in);
    size_t i;
    int ascii_only = 1;

    if (len > 0 && in[len - 1] == '.')
        len--;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, in, len);
    buf[len] = '\0';
    for (i = 0; i < len; i++) {
        if ((unsigned char)buf[i] >= 0x80)
            ascii_only = 0;
        else
            buf[i] = (char)tolower((unsigned char)buf[i]);
    }

    if (!ascii_only) {
        if (idn2_to_ascii_8z(buf, &ascii, IDN2_NONTRANSITIONAL) != IDN2_OK)
            return -1;
        len = strlen(ascii);
        if (len >= outlen || len >= DOMAIN_TEXT_MAX || has_empty_label(ascii)) {
            idn2_free(ascii);
            return -1;
        }
        for (i = 0; i <= len; i++)
            out[i] = (char)tolower((unsigned char)ascii[i]);
        idn2_free(ascii);
        return 0;
    }
    if (len >= outlen || len >= DOMAIN_TEXT_MAX || has_empty_label(buf))
        return -1;
    for (i = 0; i < len; i++)
        if (!isalnum((unsigned char)buf[i]) && strchr("-._", buf[i]) == NULL)
            return -1;
    memcpy(out, buf, len + 1);
    return 0;
}

int domain_of_address(const char *address, char *out, size_t outlen)
{
    const char *p;
    const char *at;
    size_t len;
    char domain[DOMAIN_TEXT_MAX * 4];

    out[0] = '\0';
    bare_address(address, &p, &len);
    if (len == 0)
        return 1;
    at = NULL;
    for (size_t i = 0; i < len; i++)
        if (p[i] == '@')
            at = p + i;
    if (at == NULL || at == p + len - 1)
        return 1;
    len -= (size_t)(at + 1 - p);
    if (len >= sizeof(domain))
        return -1;
    memcpy(domain, at + 1, len);
    domain[len] = '\0';
    return domain_normalize(domain, out, outlen) == 0 ? 0 : -1;
}

int address_normalize(const char *address, char *out, size_t outlen)
{
    const char *p;
    const char *at = NULL;
    size_t len;
    size_t local_len;
    char domain[DOMAIN_TEXT_MAX];
    size_t i;

    bare_address(address, &p, &len);
    for (i = 0; i < len; i++)
        if (p[i] == '@')
            at = p + i;
    local_len = at ? (size_t)(at - p) : len;
    if (local_len == 0 || local_len >= outlen)
        return -1;
    for (i = 0; i < local_len; i++)
        out[i] = (char)tolower((unsigned char)p[i]);
    out[local_len] = '\0';
    if (at == NULL)
        return 0;
    if (domain_of_address(address, domain, sizeof(domain)) != 0)
        return -1;
    if (local_len + 1 + strlen(domain) + 1 > outlen)
        return -1;
    out[local_len] = '@';
    strcpy(out + local_len + 1, domain);
    return 0;
}
