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
        keys_day(key, sizeof(key), "rampart", "203.0.113.10", date, NULL), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:day:2026-12-04");
}
END_TEST

START_TEST(day_key_ipv6)
{
    char key[128];
    struct cal_date date = {2027, 1, 5};

    ck_assert_int_eq(
        keys_day(key, sizeof(key), "rampart", "2001:db8::10", date, NULL), 0);
    ck_assert_str_eq(key, "rampart:{2001:db8::10}:day:2027-01-05");
}
END_TEST

START_TEST(day_key_prefix)
{
    char key[128];
    struct cal_date date = {2026, 3, 9};

    ck_assert_int_eq(
        keys_day(key, sizeof(key), "mx-eu.1", "192.0.2.7", date, NULL), 0);
    ck_assert_str_eq(key, "mx-eu.1:{192.0.2.7}:day:2026-03-09");
}
END_TEST

START_TEST(day_key_provider)
{
    char key[128];
    struct cal_date date = {2026, 12, 4};

    ck_assert_int_eq(
        keys_day(key, sizeof(key), "rampart", "203.0.113.10", date, "gmail"),
        0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:day:2026-12-04:gmail");
}
END_TEST

/* "p:{192.0.2.7}:day:2026-03-09" is 28 characters. */
START_TEST(day_key_buffer_size)
{
    char key[29];
    struct cal_date date = {2026, 3, 9};

    ck_assert_int_eq(keys_day(key, 29, "p", "192.0.2.7", date, NULL), 0);
    ck_assert_str_eq(key, "p:{192.0.2.7}:day:2026-03-09");
    ck_assert_int_eq(keys_day(key, 28, "p", "192.0.2.7", date, NULL), -1);
}
END_TEST

START_TEST(day_prefix_key)
{
    char key[128];

    ck_assert_int_eq(
        keys_day_prefix(key, sizeof(key), "rampart", "2001:db8::10"), 0);
    ck_assert_str_eq(key, "rampart:{2001:db8::10}:day:");
}
END_TEST

START_TEST(hour_key_pads_hour)
{
    char key[128];
    struct cal_date date = {2026, 12, 4};

    ck_assert_int_eq(
        keys_hour(key, sizeof(key), "rampart", "203.0.113.10", date, 7), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:hour:2026-12-04T07");
    ck_assert_int_eq(
        keys_hour(key, sizeof(key), "rampart", "203.0.113.10", date, 23), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:hour:2026-12-04T23");
}
END_TEST

START_TEST(ramp_keys)
{
    char key[128];

    ck_assert_int_eq(
        keys_ramp(key, sizeof(key), "rampart", "203.0.113.10", NULL), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:ramp");
    ck_assert_int_eq(
        keys_ramp(key, sizeof(key), "rampart", "203.0.113.10", "gmail"), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:ramp:gmail");
    ck_assert_int_eq(
        keys_ramp_log(key, sizeof(key), "rampart", "203.0.113.10", NULL), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:ramp:log");
    ck_assert_int_eq(
        keys_ramp_log(key, sizeof(key), "rampart", "203.0.113.10", "gmail"), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:ramp:gmail:log");
}
END_TEST

START_TEST(pace_and_event_keys)
{
    char key[128];

    ck_assert_int_eq(keys_pace(key, sizeof(key), "rampart", "203.0.113.10"), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:pace");
    ck_assert_int_eq(
        keys_event(key, sizeof(key), "rampart", "203.0.113.10", "q-4711"), 0);
    ck_assert_str_eq(key, "rampart:{203.0.113.10}:event:q-4711");
}
END_TEST

/*
 * "p:{192.0.2.7}:ramp:gmail:log" is 28 characters, the ramp key 24 and
 * the pace key 18.
 */
START_TEST(ramp_key_buffer_size)
{
    char key[29];

    ck_assert_int_eq(keys_ramp_log(key, 29, "p", "192.0.2.7", "gmail"), 0);
    ck_assert_int_eq(keys_ramp_log(key, 28, "p", "192.0.2.7", "gmail"), -1);
    ck_assert_int_eq(keys_ramp(key, 25, "p", "192.0.2.7", "gmail"), 0);
    ck_assert_int_eq(keys_ramp(key, 24, "p", "192.0.2.7", "gmail"), -1);
    ck_assert_int_eq(keys_pace(key, 19, "p", "192.0.2.7"), 0);
    ck_assert_int_eq(keys_pace(key, 18, "p", "192.0.2.7"), -1);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("keys");
    TCase *day = tcase_create("keys_day");
    TCase *others = tcase_create("others");

    tcase_add_test(day, day_key_ipv4);
    tcase_add_test(day, day_key_ipv6);
    tcase_add_test(day, day_key_prefix);
    tcase_add_test(day, day_key_provider);
    tcase_add_test(day, day_key_buffer_size);
    suite_add_tcase(s, day);

    tcase_add_test(others, day_prefix_key);
    tcase_add_test(others, hour_key_pads_hour);
    tcase_add_test(others, ramp_keys);
    tcase_add_test(others, pace_and_event_keys);
    tcase_add_test(others, ramp_key_buffer_size);
    suite_add_tcase(s, others);
    return s;
}
