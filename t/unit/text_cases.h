/*
 * text_cases.h - table tests for functions that write a normalized text
 *
 * addr_canonical(), domain_normalize() and address_normalize() share one
 * signature: they write the normalized form of "in" to "out" and return
 * 0, or -1 when "in" is unusable.
 */
#ifndef RAMPART_TEXT_CASES_H
#define RAMPART_TEXT_CASES_H

#include <stddef.h>

typedef int (*normalize_fn)(const char *in, char *out, size_t outlen);

/* An input and the normalized form expected for it. */
struct text_case {
    const char *in;
    const char *want;
};

/* Fail unless "fn" accepts every case's input and writes its "want". */
void check_normalized(const char *name, normalize_fn fn,
                      const struct text_case *cases, size_t count);

/* Fail unless "fn" returns -1 for every text. */
void check_rejected(const char *name, normalize_fn fn, const char *const *texts,
                    size_t count);

#define CHECK_NORMALIZED(fn, cases)                                            \
    check_normalized(#fn, (fn), (cases), sizeof(cases) / sizeof((cases)[0]))

#define CHECK_REJECTED(fn, texts)                                              \
    check_rejected(#fn, (fn), (texts), sizeof(texts) / sizeof((texts)[0]))

#endif
