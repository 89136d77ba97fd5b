/*
 * test_addr.c - addr_canonical(): one spelling for each IP address
 */
#include "addr.h"
#include "check_main.h"
#include "text_cases.h"

START_TEST(canonical_forms)
{
    static const struct text_case cases[] = {
        {"192.0.2.1", "192.0.2.1"},
        {"203.0.113.10", "203.0.113.10"},
        {"[192.0.2.1]", "192.0.2.1"},
        {"2001:db8::1", "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"},
        /* RFC 5952: compress the longest run of zero fields, the first
         * of equal runs, and never a single zero field. */
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
        {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"},
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
        {"2001:DB8::ABCD", "2001:db8::abcd"},
        {"::1", "::1"},
        {"::", "::"},
        {"[2001:db8::1]", "2001:db8::1"},
        {"IPv6:2001:db8::1", "2001:db8::1"},
        {"ipv6:2001:DB8::1", "2001:db8::1"},
        {"IPv6:[2001:db8::1]", "2001:db8::1"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"::FFFF:c000:0201", "192.0.2.1"},
        {"[::ffff:192.0.2.1]", "192.0.2.1"},
        {"IPv6:::ffff:203.0.113.10", "203.0.113.10"},
    };

    CHECK_NORMALIZED(addr_canonical, cases);
}
END_TEST

START_TEST(rejects_non_addresses)
{
    static const char *const cases[] = {
        "",
        "example.com",
        "192.0.2",
        "192.0.2.256",
        "192.0.2.1.5",
        "192.0.2.1/24",
        " 192.0.2.1",
        "192.0.2.1 ",
        "2001:db8::1::2",
        "2001:db8:::1",
        "2001:db8::g",
        "[2001:db8::1",
        "2001:db8::1]",
        "[]",
        "IPv6:",
        "IPv6:example.com",
        /* zone ids name an interface of one host, not a sending IP */
        "fe80::1%eth0",
        "fe80::1%1",
        "[fe80::1%eth0]",
    };

    CHECK_REJECTED(addr_canonical, cases);
}
END_TEST

START_TEST(rejects_long_input)
{
    char in[200];
    char out[ADDR_TEXT_MAX];

    memset(in, '1', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    ck_assert_int_eq(addr_canonical(in, out, sizeof(out)), -1);
    ck_assert_int_eq(addr_canonical(NULL, out, sizeof(out)), -1);
}
END_TEST

START_TEST(output_too_small)
{
    char out[16];

    /* "2001:db8::1234:5678" needs 20 bytes. */
    ck_assert_int_eq(addr_canonical("2001:db8::1234:5678", out, sizeof(out)),
                     -1);
    ck_assert_int_eq(addr_canonical("192.0.2.1", out, 9), -1);
    ck_assert_int_eq(addr_canonical("192.0.2.1", out, 10), 0);
    ck_assert_str_eq(out, "192.0.2.1");
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addr_canonical");

    tcase_add_test(tc, canonical_forms);
    tcase_add_test(tc, rejects_non_addresses);
    tcase_add_test(tc, rejects_long_input);
    tcase_add_test(tc, output_too_small);
    suite_add_tcase(s, tc);
    return s;
}
