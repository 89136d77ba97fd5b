/*
 * test_ramp.c - ramp_today(): the ramp day and cap in the configured zone
 */
#include "check_main.h"
#include "ramp.h"

/* 2026-12-04 23:00:00 UTC, which is 2026-12-05 00:00 CET in Berlin. */
#define BERLIN_DEC5_MIDNIGHT 1796425200

static void set_zone(const char *zone)
{
    char err[512];

    ck_assert_msg(cal_set_zone(zone, err, sizeof(err)) == 0,
                  "cal_set_zone(%s) failed: %s", zone, err);
}

static long table[] = {10, 20, 40};
static struct schedule daily = {
    .name = "daily", .kind = SCHED_DAILY, .table = table, .table_len = 3};

/* A source on "daily" whose day 1 is 2026-12-05. */
static struct source warming(void)
{
    struct source src = {
        .address = "203.0.113.10", .schedule = &daily, .start = {2026, 12, 5}};

    return src;
}

START_TEST(day_one_at_berlin_midnight)
{
    struct source src = warming();
    struct ramp_today today;

    set_zone("Europe/Berlin");
    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT - 1, &today), 0);
    ck_assert(today.scheduled);
    ck_assert_int_eq(today.day.date.day, 4);
    ck_assert_int_eq(today.ramp_day, 0);
    ck_assert_int_eq(today.cap, 0);

    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT, &today), 0);
    ck_assert_int_eq(today.day.date.day, 5);
    ck_assert_int_eq(today.day.start, BERLIN_DEC5_MIDNIGHT);
    ck_assert_int_eq(today.day.end, BERLIN_DEC5_MIDNIGHT + 86400);
    ck_assert_int_eq(today.ramp_day, 1);
    ck_assert_int_eq(today.cap, 10);
}
END_TEST

/* The same instants in UTC are still 2026-12-04 until 00:00Z. */
START_TEST(day_one_at_utc_midnight)
{
    struct source src = warming();
    struct ramp_today today;

    set_zone("UTC");
    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT, &today), 0);
    ck_assert_int_eq(today.ramp_day, 0);
    ck_assert_int_eq(today.cap, 0);

    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT + 3599, &today), 0);
    ck_assert_int_eq(today.ramp_day, 0);

    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT + 3600, &today), 0);
    ck_assert_int_eq(today.ramp_day, 1);
    ck_assert_int_eq(today.cap, 10);
}
END_TEST

START_TEST(later_days_and_past_table)
{
    struct source src = warming();
    struct ramp_today today;
    static const struct {
        long offset_days;
        long ramp_day;
        long cap;
    } cases[] = {
        {-30, -29, 0}, {0, 1, 10}, {1, 2, 20}, {2, 3, 40}, {400, 401, 40},
    };

    set_zone("Europe/Berlin");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        time_t now = BERLIN_DEC5_MIDNIGHT + cases[i].offset_days * 86400 + 7200;

        ck_assert_int_eq(ramp_today(&src, now, &today), 0);
        ck_assert_msg(today.ramp_day == cases[i].ramp_day,
                      "offset %ld days: got ramp day %ld, want %ld",
                      cases[i].offset_days, today.ramp_day, cases[i].ramp_day);
        ck_assert_msg(today.cap == cases[i].cap,
                      "offset %ld days: got cap %ld, want %ld",
                      cases[i].offset_days, today.cap, cases[i].cap);
    }
}
END_TEST

START_TEST(fixed_daily_cap)
{
    struct source src = {.address = "203.0.113.20", .daily_cap = 5000};
    struct ramp_today today;

    set_zone("Europe/Berlin");
    ck_assert_int_eq(ramp_today(&src, BERLIN_DEC5_MIDNIGHT, &today), 0);
    ck_assert(!today.scheduled);
    ck_assert_int_eq(today.ramp_day, 0);
    ck_assert_int_eq(today.cap, 5000);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("ramp");
    TCase *tc = tcase_create("ramp_today");

    tcase_add_test(tc, day_one_at_berlin_midnight);
    tcase_add_test(tc, day_one_at_utc_midnight);
    tcase_add_test(tc, later_days_and_past_table);
    tcase_add_test(tc, fixed_daily_cap);
    suite_add_tcase(s, tc);
    return s;
}
