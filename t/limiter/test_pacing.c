/*
 * test_pacing.c - send hours, GCRA pacing and the hourly cap, against a
 * real redis-server
 *
 * The source has a fixed daily cap of 1000 and sends 08:00-18:00 UTC, so
 * GCRA spaces units 36000 s / 1000 = 36 s apart.
 */
#include "check_main.h"
#include "keys.h"
#include "ramp_fixture.h"

#include <stdio.h>

#define FIXED_SOURCE(keys)                                                     \
    "sources = ( { address = \"" FIXTURE_SOURCE "\"; daily_cap = 1000;" keys   \
    " } );\n"

static const char window_conf[] =
    "pacing = { send_hours = \"08:00-18:00\"; };\n" FIXED_SOURCE("");

static void assert_accepted(long recipients)
{
    struct quota_outcome out;

    decide_simple(LIMITER_CHARGE, recipients, &out);
    ck_assert_msg(out.action == QUOTA_ACCEPT,
                  "%ld recipients: got a deferral (%s), want acceptance",
                  recipients, out.reason);
}

/* Charge "recipients" and fail unless "refusal" defers it. */
static void assert_refused(long recipients, enum limiter_refusal refusal,
                           struct quota_outcome *out)
{
    decide_simple(LIMITER_CHARGE, recipients, out);
    ck_assert_msg(out->action == QUOTA_DEFER,
                  "%ld recipients: accepted, want a deferral", recipients);
    ck_assert_msg(out->refusal == refusal, "got refusal %d, want %d",
                  out->refusal, refusal);
}

START_TEST(window_refuses_outside)
{
    struct cal_date monday;
    struct quota_outcome out;
    char want[128];

    fixture_start(window_conf);
    monday = future_monday();

    clock_set(local_time(monday, 7, 0));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, local_time(monday, 8, 0));
    ck_assert_str_eq(out.reason, FIXTURE_SOURCE " sends 08:00-18:00 only, "
                                                "retry after 08:00 UTC");

    clock_set(local_time(monday, 8, 0));
    assert_accepted(1);
    clock_set(local_time(monday, 17, 59));
    assert_accepted(1);

    clock_set(local_time(monday, 18, 0));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, local_time(date_add(monday, 1), 8, 0));
    snprintf(want, sizeof(want), "retry after %04d-%02d-%02d 08:00 UTC",
             date_add(monday, 1).year, date_add(monday, 1).month,
             date_add(monday, 1).day);
    assert_contains(out.reason, want);
}
END_TEST

/* With weekdays_only, Friday evening and the weekend wait for Monday. */
START_TEST(window_skips_weekend)
{
    struct cal_date monday;
    struct cal_date friday;
    time_t next_open;
    struct quota_outcome out;

    fixture_start("pacing = { send_hours = \"08:00-18:00\"; weekdays_only = "
                  "true; };\n" FIXED_SOURCE(""));
    monday = future_monday();
    friday = date_add(monday, 4);
    next_open = local_time(date_add(monday, 7), 8, 0);

    clock_set(local_time(friday, 17, 0));
    assert_accepted(1);
    clock_set(local_time(friday, 18, 30));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, next_open);
    assert_contains(out.reason, "sends on weekdays 08:00-18:00 only");

    clock_set(local_time(date_add(friday, 1), 12, 0));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, next_open);
    clock_set(local_time(date_add(friday, 2), 23, 59));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, next_open);

    clock_set(next_open);
    assert_accepted(1);
}
END_TEST

/* A source's own pacing group replaces the global send hours. */
START_TEST(source_window_overrides)
{
    struct cal_date monday;
    struct quota_outcome out;

    fixture_start("pacing = { send_hours = \"08:00-18:00\"; };\n" FIXED_SOURCE(
        "\n    pacing = { send_hours = \"12:00-13:00\"; };"));
    monday = future_monday();
    clock_set(local_time(monday, 10, 0));
    assert_refused(1, REFUSED_WINDOW, &out);
    ck_assert_int_eq(out.retry_at, local_time(monday, 12, 0));
    clock_set(local_time(monday, 12, 30));
    assert_accepted(1);
}
END_TEST

/*
 * The automatic burst is max(20, 1000 / 100) = 20 units: 20 recipients
 * go at once, the 21st waits one interval of 36 s.
 */
START_TEST(gcra_burst_then_interval)
{
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];
    time_t start;

    fixture_start(window_conf);
    clock_set(local_time(future_monday(), 10, 0));
    ck_assert_int_eq(
        keys_pace(key, sizeof(key), fixture_cfg->redis.prefix, FIXTURE_SOURCE),
        0);

    /* checks never move the pacing state */
    decide_simple(LIMITER_CHECK, 20, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(redis_server_integer(&fixture_server, "EXISTS %s", key),
                     0);

    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    start = out.now;
    for (int i = 2; i <= 20; i++) {
        decide_simple(LIMITER_CHARGE, 1, &out);
        ck_assert_msg(out.action == QUOTA_ACCEPT,
                      "unit %d: got a deferral (%s), want acceptance", i,
                      out.reason);
    }
    ck_assert_int_gt(redis_server_integer(&fixture_server, "TTL %s", key), 0);

    assert_refused(1, REFUSED_PACE, &out);
    ck_assert_int_eq(out.retry_at, start + 36);
    assert_contains(out.reason, FIXTURE_SOURCE " pacing: daily cap 1000 "
                                               "spread over 08:00-18:00, "
                                               "retry after 10:01 UTC");
    decide_simple(LIMITER_CHECK, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PACE);

    clock_set(start + 36);
    assert_accepted(1);
    assert_refused(1, REFUSED_PACE, &out);
    ck_assert_int_eq(out.retry_at, start + 72);
}
END_TEST

/* burst = 5: five units at once, but not six, even on an idle rate. */
START_TEST(gcra_explicit_burst)
{
    struct quota_outcome out;

    fixture_start("pacing = { send_hours = \"08:00-18:00\"; burst = 5; "
                  "};\n" FIXED_SOURCE(""));
    clock_set(local_time(future_monday(), 10, 0));
    assert_refused(6, REFUSED_PACE, &out);
    assert_accepted(5);
    assert_refused(1, REFUSED_PACE, &out);
    clock_advance(36 * 5);
    assert_accepted(5);
}
END_TEST

/* With a cap of 5000 the automatic burst is 5000 / 100 = 50 units. */
START_TEST(gcra_burst_scales_with_cap)
{
    struct quota_outcome out;

    fixture_start("pacing = { send_hours = \"08:00-18:00\"; };\n"
                  "sources = ( { address = \"" FIXTURE_SOURCE "\";\n"
                  "    daily_cap = 5000; } );\n");
    clock_set(local_time(future_monday(), 10, 0));
    decide_simple(LIMITER_CHARGE, 50, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    assert_refused(1, REFUSED_PACE, &out);
    ck_assert_int_eq(out.retry_at, out.now + 8);
}
END_TEST

/* per_hour caps each local clock hour on its own counter. */
START_TEST(per_hour_cap)
{
    struct cal_date monday;
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];
    long long ttl;

    fixture_start(
        "pacing = { per_hour = 30; burst = 1000; };\n" FIXED_SOURCE(""));
    monday = future_monday();
    clock_set(local_time(monday, 10, 15));
    assert_accepted(30);
    assert_refused(1, REFUSED_LIMIT, &out);
    ck_assert_int_eq(out.retry_at, local_time(monday, 11, 0));
    ck_assert_str_eq(out.reason, FIXTURE_SOURCE " hourly cap 30 reached, "
                                                "retry after 11:00 UTC");
    ck_assert_int_eq(keys_hour(key, sizeof(key), fixture_cfg->redis.prefix,
                               FIXTURE_SOURCE, monday, 10),
                     0);

    /* the outcome names the limit that refused: its key, count and cap */
    ck_assert_str_eq(out.key, key);
    ck_assert_int_eq(out.count, 30);
    ck_assert_int_eq(out.cap, 30);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"),
                     30);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "tempfailed"), 1);
    ck_assert_int_eq(keys_day(key, sizeof(key), fixture_cfg->redis.prefix,
                              FIXTURE_SOURCE, monday, NULL),
                     0);
    ck_assert_int_eq(redis_server_field(&fixture_server, key, "recipients"),
                     30);
    ck_assert_int_eq(keys_hour(key, sizeof(key), fixture_cfg->redis.prefix,
                               FIXTURE_SOURCE, monday, 10),
                     0);
    ttl = redis_server_integer(&fixture_server, "EXPIRETIME %s", key);
    ck_assert_int_eq(ttl, local_time(monday, 11, 0) + 2 * 86400);

    clock_set(local_time(monday, 11, 0));
    assert_accepted(30);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("pacing");
    TCase *window = tcase_create("window");
    TCase *rate = tcase_create("rate");

    tcase_add_checked_fixture(window, NULL, fixture_stop);
    tcase_set_timeout(window, 60);
    tcase_add_test(window, window_refuses_outside);
    tcase_add_test(window, window_skips_weekend);
    tcase_add_test(window, source_window_overrides);
    suite_add_tcase(s, window);

    tcase_add_checked_fixture(rate, NULL, fixture_stop);
    tcase_set_timeout(rate, 60);
    tcase_add_test(rate, gcra_burst_then_interval);
    tcase_add_test(rate, gcra_explicit_burst);
    tcase_add_test(rate, gcra_burst_scales_with_cap);
    tcase_add_test(rate, per_hour_cap);
    suite_add_tcase(s, rate);
    return s;
}
