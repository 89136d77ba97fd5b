/*
 * test_keys.c - Redis key names
 */
#include "check_main.h"
#include "keys.h"

START_TEST(day_key_ipv4)
{
    char key[128];
    struct cal_date date = {2026, 12, 4};

    ck_assert_int_eq(
        keys_day(key, sizeof(key), "rampart", "203.0.113.10", date), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:day:2026-12-04");
}
END_TEST

START_TEST(day_key_ipv6)
{
    char key[128];
    struct cal_date date = {2027, 1, 5};

    ck_assert_int_eq(
        keys_day(key, sizeof(key), "rampart", "2001:db8::10", date), 0);
    ck_assert_str_eq(key, "rampart:{2001:db8::10}:day:2027-01-05");
}
END_TEST

START_TEST(day_key_prefix)
{
    char key[128];
    struct cal_date date = {2026, 3, 9};

    ck_assert_int_eq(keys_day(key, sizeof(key), "mx-eu.1", "192.0.2.7", date),
                     0);
    ck_assert_str_eq(key, "mx-eu.1:{192.0.2.7}:day:2026-03-09");
}
END_TEST

/* "p:{192.0.2.7}:day:2026-03-09" is 28 characters. */
START_TEST(day_key_buffer_size)
{
    char key[29];
    struct cal_date date = {2026, 3, 9};

    ck_assert_int_eq(keys_day(key, 29, "p", "192.0.2.7", date), 0);
    ck_assert_str_eq(key, "p:{192.0.2.7}:day:2026-03-09");
    ck_assert_int_eq(keys_day(key, 28, "p", "192.0.2.7", date), -1);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *tc = tcase_create("keys_day");

    tcase_add_test(tc, day_key_ipv4);
    tcase_add_test(tc, day_key_ipv6);
    tcase_add_test(tc, day_key_prefix);
    tcase_add_test(tc, day_key_buffer_size);
    suite_add_tcase(s, tc);
    return s;
}
