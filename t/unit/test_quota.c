/*
 * test_quota.c - quota_build(): the limiter request for one message
 */
#include "check_main.h"
#include "quota.h"

/* 2026-12-04 00:00:00 UTC and 2026-03-29 00:00:00 UTC. */
#define DEC4_UTC  1796342400L
#define MAR29_UTC 1774742400L

static void set_zone(const char *zone)
{
    char err[512];

    ck_assert_msg(cal_set_zone(zone, err, sizeof(err)) == 0,
                  "cal_set_zone(%s) failed: %s", zone, err);
}

static char prefix[] = "rampart";

static struct rampart_config config(enum count_unit unit)
{
    struct rampart_config cfg = {.count = unit};

    cfg.redis.prefix = prefix;
    cfg.redis.retention_days = 7;
    return cfg;
}

START_TEST(fixed_cap_request)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "198.51.100.5", .daily_cap = 20000};
    struct limiter_request req;
    struct ramp_today today;
    const struct limiter_limit *day = &req.limits[0];

    set_zone("UTC");
    ck_assert_int_eq(
        quota_build(&cfg, &src, DEC4_UTC + 43200, 1, 3, &req, &today), 0);
    ck_assert_int_eq(req.charge, 1);
    ck_assert_int_eq(req.messages, 1);
    ck_assert_int_eq(req.recipients, 3);
    ck_assert_uint_eq(req.count, 1);
    ck_assert_str_eq(day->key, "rampart:{198.51.100.5}:day:2026-12-04");
    ck_assert_int_eq(day->unit, UNIT_RECIPIENTS);
    ck_assert_int_eq(day->cap, 20000);
    ck_assert_int_eq(day->window_start, DEC4_UTC);
    ck_assert_int_eq(day->window_end, DEC4_UTC + 86400);
    ck_assert_int_eq(day->expire_at, DEC4_UTC + 86400 + 7 * 86400);
    ck_assert(!today.scheduled);
    ck_assert_int_eq(today.cap, 20000);
}
END_TEST

START_TEST(check_mode_messages_unit)
{
    struct rampart_config cfg = config(UNIT_MESSAGES);
    struct source src = {.address = "2001:db8::10", .daily_cap = 50};
    struct limiter_request req;
    struct ramp_today today;

    set_zone("UTC");
    cfg.redis.retention_days = 1;
    ck_assert_int_eq(quota_build(&cfg, &src, DEC4_UTC, 0, 1, &req, &today), 0);
    ck_assert_int_eq(req.charge, 0);
    ck_assert_int_eq(req.limits[0].unit, UNIT_MESSAGES);
    ck_assert_str_eq(req.limits[0].key,
                     "rampart:{2001:db8::10}:day:2026-12-04");
    ck_assert_int_eq(req.limits[0].expire_at, DEC4_UTC + 2 * 86400);
}
END_TEST

/* On the spring-forward day in Berlin the window is 23 hours long. */
START_TEST(berlin_dst_window)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "203.0.113.10", .daily_cap = 100};
    struct limiter_request req;
    struct ramp_today today;
    const struct limiter_limit *day = &req.limits[0];

    set_zone("Europe/Berlin");
    ck_assert_int_eq(
        quota_build(&cfg, &src, MAR29_UTC + 43200, 1, 1, &req, &today), 0);
    ck_assert_str_eq(day->key, "rampart:{203.0.113.10}:day:2026-03-29");
    /*
     * The day starts at 00:00 CET (23:00Z the day before) and ends at
     * 00:00 CEST on 2026-03-30 (22:00Z on 2026-03-29).
     */
    ck_assert_int_eq(day->window_start, MAR29_UTC - 3600);
    ck_assert_int_eq(day->window_end, MAR29_UTC + 86400 - 7200);
    ck_assert_int_eq(day->window_end - day->window_start, 23 * 3600);
}
END_TEST

START_TEST(scheduled_source_caps)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    long table[] = {100, 250};
    struct schedule weekly = {.kind = SCHED_WEEKLY,
                              .table = table,
                              .table_len = 2,
                              .add_per_week = 100,
                              .target = 1000};
    struct source src = {
        .address = "203.0.113.10", .schedule = &weekly, .start = {2026, 12, 4}};
    struct limiter_request req;
    struct ramp_today today;

    set_zone("UTC");
    ck_assert_int_eq(quota_build(&cfg, &src, DEC4_UTC - 1, 1, 1, &req, &today),
                     0);
    ck_assert_int_eq(today.ramp_day, 0);
    ck_assert_int_eq(req.limits[0].cap, 0);
    ck_assert_str_eq(req.limits[0].key,
                     "rampart:{203.0.113.10}:day:2026-12-03");

    ck_assert_int_eq(quota_build(&cfg, &src, DEC4_UTC, 1, 1, &req, &today), 0);
    ck_assert_int_eq(today.ramp_day, 1);
    ck_assert_int_eq(req.limits[0].cap, 100);

    ck_assert_int_eq(
        quota_build(&cfg, &src, DEC4_UTC + 7 * 86400, 1, 1, &req, &today), 0);
    ck_assert_int_eq(today.ramp_day, 8);
    ck_assert_int_eq(req.limits[0].cap, 250);

    ck_assert_int_eq(
        quota_build(&cfg, &src, DEC4_UTC + 14 * 86400, 1, 1, &req, &today), 0);
    ck_assert_int_eq(today.ramp_day, 15);
    ck_assert_int_eq(req.limits[0].cap, 350);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("quota");
    TCase *tc = tcase_create("quota_build");

    tcase_add_test(tc, fixed_cap_request);
    tcase_add_test(tc, check_mode_messages_unit);
    tcase_add_test(tc, berlin_dst_window);
    tcase_add_test(tc, scheduled_source_caps);
    suite_add_tcase(s, tc);
    return s;
}
