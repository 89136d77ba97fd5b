/*
 * text_cases.c - table tests for functions that write a normalized text
 */
#include "text_cases.h"

#include <check.h>
#include <string.h>

/* Larger than ADDR_TEXT_MAX, DOMAIN_TEXT_MAX and ADDRESS_TEXT_MAX. */
#define OUT_MAX 512

void check_normalized(const char *name, normalize_fn fn,
                      const struct text_case *cases, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char out[OUT_MAX] = "";

        ck_assert_msg(fn(cases[i].in, out, sizeof(out)) == 0,
                      "%s(\"%s\"): rejected, want \"%s\"", name, cases[i].in,
                      cases[i].want);
        ck_assert_msg(strcmp(out, cases[i].want) == 0,
                      "%s(\"%s\"): got \"%s\", want \"%s\"", name, cases[i].in,
                      out, cases[i].want);
    }
}

void check_rejected(const char *name, normalize_fn fn, const char *const *texts,
                    size_t count)
{
    for (size_t i = 0; i < count; i++) {
        char out[OUT_MAX] = "";

        ck_assert_msg(fn(texts[i], out, sizeof(out)) == -1,
                      "%s(\"%s\"): accepted as \"%s\", want rejected", name,
                      texts[i], out);
    }
}
