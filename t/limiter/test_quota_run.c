/*
 * test_quota_run.c - quota_run() against a real redis-server
 */
#include "check_main.h"
#include "keys.h"
#include "quota.h"
#include "redis_server.h"

#include <stdio.h>
#include <time.h>

static struct redis_server server;
static struct store *store;
static char prefix[] = "rampart";
static char timezone_name[] = "UTC";
static struct rampart_config cfg;

static void setup(void)
{
    char err[512];

    ck_assert_msg(cal_set_zone("UTC", err, sizeof(err)) == 0, "%s", err);
    redis_server_start(&server, NULL);
    memset(&cfg, 0, sizeof(cfg));
    redis_server_config(&server, 2000, &cfg.redis);
    cfg.redis.prefix = prefix;
    cfg.timezone = timezone_name;
    cfg.count = UNIT_RECIPIENTS;
    cfg.ramp.advance_min_use = 0.8;
    cfg.ramp.max_bounce_rate = 0.10;
    cfg.ramp.max_complaint_rate = 0.001;
    cfg.ramp.block_step_down = 1;
    cfg.ramp.history = 100;
    store = store_open(&cfg.redis);
    ck_assert_ptr_nonnull(store);
}

/* EVALSHA and EVAL calls Redis has served so far. */
static long script_calls(void)
{
    redisReply *r = redis_server_command(&server, "INFO commandstats");
    long calls = 0;
    const char *p;

    ck_assert_ptr_nonnull(r);
    for (const char *name = "cmdstat_evalsha:calls="; name != NULL;
         name = strcmp(name, "cmdstat_eval:calls=") == 0
                    ? NULL
                    : "cmdstat_eval:calls=")
        if ((p = strstr(r->str, name)) != NULL)
            calls += strtol(p + strlen(name), NULL, 10);
    freeReplyObject(r);
    return calls;
}

static void teardown(void)
{
    store_close(store);
    store = NULL;
    redis_server_cleanup(&server);
}

static void run_ok(const struct source *src, enum limiter_mode mode,
                   long recipients, struct quota_outcome *out)
{
    struct quota_message msg = {.recipients = recipients};
    char err[512] = "";

    ck_assert_msg(
        quota_run(store, &cfg, src, mode, &msg, out, err, sizeof(err)) == 0,
        "quota_run failed: %s", err);
}

/* The day key of "src" at Redis time "now". */
static void day_key(const struct source *src, time_t now, char *key, size_t len)
{
    struct cal_day day;

    ck_assert_int_eq(cal_day_at(now, &day), 0);
    ck_assert_int_eq(keys_day(key, len, prefix, src->address, day.date, NULL),
                     0);
}

START_TEST(accept_until_cap_then_defer)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 3, .start = {1970, 1, 1}};
    struct quota_outcome out;
    struct cal_day day;
    char key[LIMITER_KEY_MAX];
    long long now = time(NULL);

    for (long n = 1; n <= 3; n++) {
        run_ok(&src, LIMITER_CHARGE, 1, &out);
        ck_assert_msg(out.action == QUOTA_ACCEPT,
                      "message %ld: got action %d, want QUOTA_ACCEPT", n,
                      out.action);
        ck_assert_msg(out.count == n, "message %ld: got count %ld, want %ld", n,
                      out.count, n);
    }
    day_key(&src, out.now, key, sizeof(key));
    ck_assert_str_eq(out.key, key);
    ck_assert_msg(out.now >= now - 5 && out.now <= now + 5,
                  "got Redis time %lld, want about %lld", (long long)out.now,
                  now);

    run_ok(&src, LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.count, 3);
    ck_assert_int_eq(out.cap, 3);
    ck_assert_int_eq(cal_day_at(out.now, &day), 0);
    ck_assert_int_eq(out.retry_at, day.end);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    ck_assert_str_eq(out.scope, "");
    ck_assert_str_eq(out.reason,
                     "203.0.113.10 daily cap 3 reached, retry after 00:00 UTC");
    ck_assert_str_eq(out.key, key);
}
END_TEST

/* A check counts the recipients passed in but charges nothing. */
START_TEST(check_charges_nothing)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 5, .start = {1970, 1, 1}};
    struct quota_outcome out;

    run_ok(&src, LIMITER_CHECK, 5, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.count, 0);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", out.key), 0);

    /* a refused check counts one tempfailed recipient, the one at RCPT */
    run_ok(&src, LIMITER_CHECK, 6, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(redis_server_field(&server, out.key, "recipients"), -1);
    ck_assert_int_eq(redis_server_field(&server, out.key, "tempfailed"), 1);
}
END_TEST

START_TEST(before_start_defers_to_day_one)
{
    struct schedule flat = {.name = "flat", .kind = SCHED_FLAT, .per_day = 9};
    struct source src = {
        .address = "2001:db8::10", .schedule = &flat, .initial_step = 1};
    struct quota_outcome out;
    struct cal_day today;
    char start[CAL_DATE_TEXT];
    char want[256];

    ck_assert_int_eq(cal_day_at(time(NULL), &today), 0);
    src.start = cal_civil_from_days(cal_days_from_civil(today.date) + 2);
    cal_format_date(src.start, start, sizeof(start));

    run_ok(&src, LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_START);
    ck_assert_int_eq(out.step, 1);
    ck_assert_int_eq(out.retry_at, cal_local_time(src.start, 0));
    snprintf(want, sizeof(want),
             "2001:db8::10 warm-up starts %s, retry after %s 00:00 UTC", start,
             start);
    ck_assert_str_eq(out.reason, want);
}
END_TEST

START_TEST(scheduled_cap_reason)
{
    static long table[] = {2, 4};
    struct schedule daily = {
        .name = "daily", .kind = SCHED_DAILY, .table = table, .table_len = 2};
    struct source src = {
        .address = "203.0.113.10", .schedule = &daily, .initial_step = 2};
    struct quota_outcome out;
    struct cal_day today;

    /* a new ramp state at step 2 of the daily table: cap 4 */
    ck_assert_int_eq(cal_day_at(time(NULL), &today), 0);
    src.start = cal_civil_from_days(cal_days_from_civil(today.date) - 1);

    run_ok(&src, LIMITER_CHARGE, 4, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.step, 2);
    ck_assert_int_eq(out.cap, 4);
    run_ok(&src, LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_str_eq(out.reason, "203.0.113.10 warm-up day 2: daily cap 4 "
                                 "reached, retry after 00:00 UTC");
}
END_TEST

/*
 * With the store's estimate of the Redis clock two days off, the first
 * request names the wrong day; Redis replies "clock" and quota_run builds
 * the request again for the day Redis reported.
 */
static void check_skew_recovers(long skew_days)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 10, .start = {1970, 1, 1}};
    struct quota_outcome out;
    char key[LIMITER_KEY_MAX];
    char wrong_key[LIMITER_KEY_MAX];
    time_t skewed = time(NULL) + skew_days * 86400;
    time_t corrected;

    store_observe_time(store, skewed, 0);
    day_key(&src, store_now(store), wrong_key, sizeof(wrong_key));

    run_ok(&src, LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_ACCEPT);
    ck_assert_int_eq(out.count, 1);
    day_key(&src, out.now, key, sizeof(key));
    ck_assert_str_eq(out.key, key);
    ck_assert_str_ne(out.key, wrong_key);
    ck_assert_int_eq(redis_server_integer(&server, "EXISTS %s", wrong_key), 0);
    corrected = store_now(store);
    ck_assert_msg(corrected >= time(NULL) - 2 && corrected <= time(NULL) + 2,
                  "store_now is %lld after the reply, want about %lld",
                  (long long)corrected, (long long)time(NULL));
}

START_TEST(clock_behind_recovers)
{
    check_skew_recovers(-2);
}
END_TEST

START_TEST(clock_ahead_recovers)
{
    check_skew_recovers(2);
}
END_TEST

START_TEST(redis_error_reported)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 10, .start = {1970, 1, 1}};
    struct quota_message msg = {.recipients = 1};
    struct quota_outcome out;
    char err[512] = "";

    redis_server_stop(&server);
    ck_assert_int_eq(quota_run(store, &cfg, &src, LIMITER_CHARGE, &msg, &out,
                               err, sizeof(err)),
                     -1);
    assert_contains(err, server.socket);
}
END_TEST

/* run a check with the transaction cache; returns the outcome's action */
static enum quota_action cached_check(const struct source *src,
                                      long recipients,
                                      struct quota_cache *cache,
                                      struct quota_outcome *out)
{
    struct quota_message msg = {.recipients = recipients};
    char err[512] = "";

    ck_assert_msg(quota_run_cached(store, &cfg, src, LIMITER_CHECK, &msg,
                                   cache, out, err, sizeof(err)) == 0,
                  "quota_run_cached failed: %s", err);
    return out->action;
}

/* The second RCPT of a transaction is checked without a Redis call. */
START_TEST(cache_answers_next_rcpt)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 5, .start = {1970, 1, 1}};
    struct quota_cache cache = {0};
    struct quota_outcome out;
    long calls;

    ck_assert_int_eq(cached_check(&src, 1, &cache, &out), QUOTA_ACCEPT);
    ck_assert_int_eq(cache.valid, 1);
    calls = script_calls();
    ck_assert_int_eq(cached_check(&src, 2, &cache, &out), QUOTA_ACCEPT);
    ck_assert_int_eq(cached_check(&src, 5, &cache, &out), QUOTA_ACCEPT);
    ck_assert_int_eq(script_calls(), calls);
    ck_assert_int_eq(out.cap, 5);
    ck_assert_int_eq(out.count, 0);
}
END_TEST

/* Beyond the cached room the check goes to Redis, which refuses it. */
START_TEST(cache_defers_to_redis_at_cap)
{
    struct source src = {
        .address = "203.0.113.10", .daily_cap = 5, .start = {1970, 1, 1}};
    struct quota_cache cache = {0};
    struct quota_outcome out;
    long calls;

    ck_assert_int_eq(cached_check(&src, 1, &cache, &out), QUOTA_ACCEPT);
    calls = script_calls();
    ck_assert_int_eq(cached_check(&src, 6, &cache, &out), QUOTA_DEFER);
    ck_assert_int_eq(script_calls(), calls + 1);
    ck_assert_int_eq(cache.valid, 0);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("quota_run");
    TCase *tc = tcase_create("quota_run");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, accept_until_cap_then_defer);
    tcase_add_test(tc, check_charges_nothing);
    tcase_add_test(tc, before_start_defers_to_day_one);
    tcase_add_test(tc, scheduled_cap_reason);
    tcase_add_test(tc, clock_behind_recovers);
    tcase_add_test(tc, clock_ahead_recovers);
    tcase_add_test(tc, redis_error_reported);
    tcase_add_test(tc, cache_answers_next_rcpt);
    tcase_add_test(tc, cache_defers_to_redis_at_cap);
    suite_add_tcase(s, tc);
    return s;
}
