/*
 * test_domain.c - normalized domains and envelope addresses
 */
#include "check_main.h"
#include "text_cases.h"
#include "domain.h"

START_TEST(normalize_domains)
{
    static const struct text_case cases[] = {
        {"example.com", "example.com"},
        {"Example.COM", "example.com"},
        {"example.com.", "example.com"},
        {"MAIL.Example.Com.", "mail.example.com"},
        {"bücher.example", "xn--bcher-kva.example"},
        {"BÜCHER.Example", "xn--bcher-kva.example"},
        {"bücher.example.", "xn--bcher-kva.example"},
        {"xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
        {"mail-1.example", "mail-1.example"},
        {"_dmarc.example", "_dmarc.example"},
    };

    CHECK_NORMALIZED(domain_normalize, cases);
}
END_TEST

START_TEST(normalize_rejects)
{
    static const char *const cases[] = {
        "",
        ".",
        "exa mple.com",
        "example.com/x",
        "user@example.com",
        "b\xfc"
        "cher.example", /* Latin-1, not UTF-8 */
        /* empty labels */
        "example..com",
        ".example.com",
        "example.com..",
        "bücher..example",
        ".bücher.example",
        "bücher.example..",
    };

    CHECK_REJECTED(domain_normalize, cases);
}
END_TEST

START_TEST(normalize_length_limit)
{
    char in[DOMAIN_TEXT_MAX + 8];
    char out[DOMAIN_TEXT_MAX];

    memset(in, 'a', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    ck_assert_int_eq(domain_normalize(in, out, sizeof(out)), -1);
    in[DOMAIN_TEXT_MAX - 1] = '\0';
    ck_assert_int_eq(domain_normalize(in, out, sizeof(out)), 0);
    ck_assert_int_eq(domain_normalize("example.com", out, 11), -1);
    ck_assert_int_eq(domain_normalize("example.com", out, 12), 0);
}
END_TEST

START_TEST(domain_of_addresses)
{
    static const struct {
        const char *address;
        int rc;
        const char *want;
    } cases[] = {
        {"<User@Example.COM>", 0, "example.com"},
        {"User@Example.COM", 0, "example.com"},
        {"  <user@example.com>  ", 0, "example.com"},
        {"<user@example.com.>", 0, "example.com"},
        {"<user@bücher.example>", 0, "xn--bcher-kva.example"},
        {"<\"a@b\"@example.org>", 0, "example.org"},
        /* RFC 5321 source routes name relays, not the sender's domain */
        {"<@relay.example:user@Dest.Example>", 0, "dest.example"},
        {"<@a.example,@b.example:user@c.example>", 0, "c.example"},
        {"<>", 1, ""},
        {"", 1, ""},
        {"<postmaster>", 1, ""},
        {"<user@>", 1, ""},
        {"<user@exa mple.com>", -1, ""},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[DOMAIN_TEXT_MAX] = "unchanged";
        int rc = domain_of_address(cases[i].address, out, sizeof(out));

        ck_assert_msg(rc == cases[i].rc, "\"%s\": got %d, want %d",
                      cases[i].address, rc, cases[i].rc);
        if (rc >= 0)
            ck_assert_msg(strcmp(out, cases[i].want) == 0,
                          "\"%s\": got \"%s\", want \"%s\"", cases[i].address,
                          out, cases[i].want);
    }
}
END_TEST

START_TEST(normalize_addresses)
{
    static const struct text_case cases[] = {
        {"<User@Example.COM>", "user@example.com"},
        /* Postfix delivers tagged addresses as recipients of their own. */
        {"<User+Tag@Example.COM>", "user+tag@example.com"},
        {"<user+a+b@example.com>", "user+a+b@example.com"},
        {"<+tag@example.com>", "+tag@example.com"},
        {"<user@bücher.example.>", "user@xn--bcher-kva.example"},
        {"<user@xn--bcher-kva.example>", "user@xn--bcher-kva.example"},
        {"<@relay.example:User+x@Dest.Example>", "user+x@dest.example"},
        {"<Postmaster>", "postmaster"},
    };

    CHECK_NORMALIZED(address_normalize, cases);
}
END_TEST

START_TEST(normalize_address_rejects)
{
    static const char *const cases[] = {
        "<>", "", "<@example.com>", "<user@>", "<user@exa mple.com>",
    };

    CHECK_REJECTED(address_normalize, cases);
    /* "user@example.com" and its NUL need 17 bytes. */
    ck_assert_int_eq(address_normalize("<user@example.com>", (char[16]){0}, 16),
                     -1);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("domain");
    TCase *tc = tcase_create("normalize");

    tcase_add_test(tc, normalize_domains);
    tcase_add_test(tc, normalize_rejects);
    tcase_add_test(tc, normalize_length_limit);
    tcase_add_test(tc, domain_of_addresses);
    tcase_add_test(tc, normalize_addresses);
    tcase_add_test(tc, normalize_address_rejects);
    suite_add_tcase(s, tc);
    return s;
}
