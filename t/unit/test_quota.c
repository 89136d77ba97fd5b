/*
 * test_quota.c - quota_build(): the limiter request for one message
 */
#include "check_main.h"
#include "quota.h"

/*
 * 2026-12-04 00:00:00 UTC (a Friday), 2026-03-29 00:00:00 UTC (Berlin's
 * 23-hour day) and 2026-10-25 00:00:00 UTC (Berlin's 25-hour day).
 */
#define DEC4_UTC  1796342400L
#define MAR29_UTC 1774742400L
#define OCT25_UTC 1792886400L

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
    cfg.ramp.advance_min_use = 0.8;
    cfg.ramp.history = 100;
    return cfg;
}

static struct quota_message message(long recipients)
{
    struct quota_message msg = {.recipients = recipients};

    return msg;
}

/* Run quota_build() and fail the test when it returns -1. */
static void build_ok(const struct rampart_config *cfg, const struct source *src,
                     time_t now, enum limiter_mode mode,
                     const struct quota_message *msg, const char *schedule,
                     struct limiter_request *req)
{
    char err[512] = "";

    ck_assert_msg(quota_build(cfg, src, now, mode, msg, schedule, req, err,
                              sizeof(err)) == 0,
                  "quota_build failed: %s", err);
}

START_TEST(fixed_cap_request)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "198.51.100.5",
                         .daily_cap = 20000,
                         .start = {1970, 1, 1},
                         .initial_step = 1};
    struct quota_message msg = message(3);
    struct limiter_request req;
    const struct limiter_limit *day = &req.limits[0];

    set_zone("UTC");
    cfg.test_clock_offset = -3600;
    build_ok(&cfg, &src, DEC4_UTC + 43200, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_int_eq(req.mode, LIMITER_CHARGE);
    ck_assert_int_eq(req.clock_offset, -3600);
    ck_assert_int_eq(req.day.date.day, 4);
    ck_assert_int_eq(req.day.start, DEC4_UTC);
    ck_assert_int_eq(req.day.end, DEC4_UTC + 86400);
    ck_assert_uint_eq(req.count, 1);
    ck_assert_uint_eq(req.provider_count, 0);
    ck_assert_int_eq(req.pacing.enabled, 0);

    ck_assert_str_eq(day->key, "rampart:{198.51.100.5}:day:2026-12-04");
    ck_assert_int_eq(day->unit, UNIT_RECIPIENTS);
    ck_assert_int_eq(day->cap_kind, LIMITER_CAP_SOURCE);
    ck_assert_double_eq(day->cap_value, 1.0);
    ck_assert_int_eq(day->messages, 1);
    ck_assert_int_eq(day->recipients, 3);
    ck_assert_int_eq(day->window_start, DEC4_UTC);
    ck_assert_int_eq(day->window_end, DEC4_UTC + 86400);
    ck_assert_int_eq(day->expire_at, DEC4_UTC + 86400 + 7 * 86400);

    ck_assert_str_eq(req.ramp.state_key, "rampart:{198.51.100.5}:ramp");
    ck_assert_str_eq(req.ramp.log_key, "rampart:{198.51.100.5}:ramp:log");
    ck_assert_str_eq(req.ramp.day_prefix, "rampart:{198.51.100.5}:day:");
    ck_assert_str_eq(req.ramp.start, "1970-01-01");
    ck_assert_int_eq(req.ramp.initial_step, 1);
    ck_assert_str_eq(req.ramp.schedule, "");
    ck_assert_str_eq(req.ramp.spec, "fixed:20000");
    ck_assert_int_eq(req.ramp.unit, UNIT_RECIPIENTS);
    ck_assert_ptr_eq(req.ramp.gates, &cfg.ramp);
}
END_TEST

START_TEST(check_mode_messages_unit)
{
    struct rampart_config cfg = config(UNIT_MESSAGES);
    struct source src = {.address = "2001:db8::10", .daily_cap = 50};
    struct quota_message msg = message(1);
    struct limiter_request req;

    set_zone("UTC");
    cfg.redis.retention_days = 1;
    build_ok(&cfg, &src, DEC4_UTC, LIMITER_CHECK, &msg, NULL, &req);
    ck_assert_int_eq(req.mode, LIMITER_CHECK);
    ck_assert_int_eq(req.limits[0].unit, UNIT_MESSAGES);
    ck_assert_int_eq(req.ramp.unit, UNIT_MESSAGES);
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
    struct quota_message msg = message(1);
    struct limiter_request req;
    const struct limiter_limit *day = &req.limits[0];

    set_zone("Europe/Berlin");
    build_ok(&cfg, &src, MAR29_UTC + 43200, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_str_eq(day->key, "rampart:{203.0.113.10}:day:2026-03-29");
    /*
     * The day starts at 00:00 CET (23:00Z the day before) and ends at
     * 00:00 CEST on 2026-03-30 (22:00Z on 2026-03-29).
     */
    ck_assert_int_eq(day->window_start, MAR29_UTC - 3600);
    ck_assert_int_eq(day->window_end, MAR29_UTC + 86400 - 7200);
    ck_assert_int_eq(day->window_end - day->window_start, 23 * 3600);
    ck_assert_int_eq(req.day.start, day->window_start);
    ck_assert_int_eq(req.day.end, day->window_end);
}
END_TEST

START_TEST(scheduled_source_spec)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    long table[] = {100, 250};
    struct schedule weekly = {.name = "weekly",
                              .kind = SCHED_WEEKLY,
                              .table = table,
                              .table_len = 2,
                              .add_per_week = 100,
                              .target = 1000};
    struct source src = {.address = "203.0.113.10",
                         .schedule = &weekly,
                         .start = {2026, 12, 4},
                         .initial_step = 3};
    struct quota_message msg = message(1);
    struct limiter_request req;

    set_zone("UTC");
    build_ok(&cfg, &src, DEC4_UTC - 1, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_str_eq(req.limits[0].key,
                     "rampart:{203.0.113.10}:day:2026-12-03");
    ck_assert_str_eq(req.ramp.start, "2026-12-04");
    ck_assert_int_eq(req.ramp.initial_step, 3);
    ck_assert_str_eq(req.ramp.schedule, "weekly");
    ck_assert_str_eq(req.ramp.spec, "weekly:100,250:100:1000");
    ck_assert_int_eq(req.limits[0].cap_kind, LIMITER_CAP_SOURCE);
}
END_TEST

/* The schedule a ramp state names replaces the source's own. */
START_TEST(state_schedule_argument)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct schedule schedules[] = {
        {.name = "slow", .kind = SCHED_FLAT, .per_day = 10},
        {.name = "fast", .kind = SCHED_FLAT, .per_day = 500},
    };
    struct source src = {.address = "203.0.113.10",
                         .schedule = &schedules[0],
                         .start = {2026, 12, 1}};
    struct source fixed = {.address = "198.51.100.5", .daily_cap = 70};
    struct quota_message msg = message(1);
    struct limiter_request req;
    char err[512] = "";

    set_zone("UTC");
    cfg.schedules = schedules;
    cfg.schedule_count = 2;
    build_ok(&cfg, &src, DEC4_UTC, LIMITER_CHECK, &msg, "fast", &req);
    ck_assert_str_eq(req.ramp.schedule, "fast");
    ck_assert_str_eq(req.ramp.spec, "flat:500");

    build_ok(&cfg, &fixed, DEC4_UTC, LIMITER_CHECK, &msg, "slow", &req);
    ck_assert_str_eq(req.ramp.schedule, "slow");
    ck_assert_str_eq(req.ramp.spec, "flat:10");

    build_ok(&cfg, &fixed, DEC4_UTC, LIMITER_CHECK, &msg, "", &req);
    ck_assert_str_eq(req.ramp.spec, "fixed:70");

    ck_assert_int_eq(quota_build(&cfg, &src, DEC4_UTC, LIMITER_CHECK, &msg,
                                 "gone", &req, err, sizeof(err)),
                     -1);
    assert_contains(err, "names schedule \"gone\"");
    assert_contains(err, "rampartctl enroll 203.0.113.10");

    err[0] = '\0';
    ck_assert_int_eq(quota_build(&cfg, &src, DEC4_UTC, LIMITER_CHECK, &msg, "",
                                 &req, err, sizeof(err)),
                     -1);
    assert_contains(err, "says fixed daily cap");
    assert_contains(err, "--schedule slow");
}
END_TEST

START_TEST(hourly_limit)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = message(4);
    struct limiter_request req;
    const struct limiter_limit *hour = &req.limits[1];

    set_zone("UTC");
    src.pacing.per_hour = 50;
    build_ok(&cfg, &src, DEC4_UTC + 10 * 3600 + 59, LIMITER_CHARGE, &msg, NULL,
             &req);
    ck_assert_uint_eq(req.count, 2);
    ck_assert_int_eq(req.pacing.enabled, 0);
    ck_assert_str_eq(hour->key, "rampart:{203.0.113.10}:hour:2026-12-04T10");
    ck_assert_int_eq(hour->cap_kind, LIMITER_CAP_FIXED);
    ck_assert_double_eq(hour->cap_value, 50);
    ck_assert_int_eq(hour->recipients, 4);
    ck_assert_int_eq(hour->messages, 1);
    ck_assert_int_eq(hour->window_start, DEC4_UTC + 10 * 3600);
    ck_assert_int_eq(hour->window_end, DEC4_UTC + 11 * 3600);
    ck_assert_int_eq(hour->expire_at, DEC4_UTC + 11 * 3600 + 2 * 86400);
}
END_TEST

/*
 * On Berlin's 25-hour day the wall clock shows 02:xx twice.  Each pass is
 * a window of one real hour: T02, then T02b.
 */
START_TEST(hourly_limit_fall_back)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = message(1);
    struct limiter_request req;
    static const struct {
        time_t at;
        const char *key;
        time_t start;
    } passes[] = {
        {OCT25_UTC + 1800, "rampart:{203.0.113.10}:hour:2026-10-25T02",
         OCT25_UTC},
        {OCT25_UTC + 5400, "rampart:{203.0.113.10}:hour:2026-10-25T02b",
         OCT25_UTC + 3600},
    };

    set_zone("Europe/Berlin");
    src.pacing.per_hour = 50;
    for (size_t i = 0; i < 2; i++) {
        build_ok(&cfg, &src, passes[i].at, LIMITER_CHARGE, &msg, NULL, &req);
        ck_assert_str_eq(req.limits[1].key, passes[i].key);
        ck_assert_int_eq(req.limits[1].window_start, passes[i].start);
        ck_assert_int_eq(req.limits[1].window_end, passes[i].start + 3600);
    }
}
END_TEST

START_TEST(provider_parts)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct provider_ramp ramps[] = {{.provider = "gmail", .share = 0.4},
                                    {.provider = "default", .share = 0.6}};
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = {.recipients = 3,
                                .part_count = 2,
                                .parts = {{&ramps[0], 2}, {&ramps[1], 1}}};
    struct limiter_request req;

    set_zone("UTC");
    build_ok(&cfg, &src, DEC4_UTC + 3600, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_uint_eq(req.count, 3);
    ck_assert_uint_eq(req.provider_count, 2);
    ck_assert_str_eq(req.providers[0].name, "gmail");
    ck_assert_double_eq(req.providers[0].share, 0.4);
    ck_assert_str_eq(req.providers[1].name, "default");
    ck_assert_str_eq(req.limits[1].key,
                     "rampart:{203.0.113.10}:day:2026-12-04:gmail");
    ck_assert_int_eq(req.limits[1].cap_kind, LIMITER_CAP_PROVIDER);
    ck_assert_double_eq(req.limits[1].cap_value, 1);
    ck_assert_int_eq(req.limits[1].recipients, 2);
    ck_assert_int_eq(req.limits[1].window_start, DEC4_UTC);
    ck_assert_int_eq(req.limits[1].expire_at, req.limits[0].expire_at);
    ck_assert_str_eq(req.limits[2].key,
                     "rampart:{203.0.113.10}:day:2026-12-04:default");
    ck_assert_double_eq(req.limits[2].cap_value, 2);
    ck_assert_int_eq(req.limits[2].recipients, 1);
}
END_TEST

/* The maximum number of provider parts in a message, and an hourly cap. */
START_TEST(max_parts_fit)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct provider_ramp ramp = {.provider = "gmail", .share = 0.1};
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = {.recipients = LIMITER_MAX_PROVIDERS,
                                .part_count = LIMITER_MAX_PROVIDERS};
    struct limiter_request req;

    set_zone("UTC");
    for (size_t i = 0; i < LIMITER_MAX_PROVIDERS; i++)
        msg.parts[i] = (struct quota_part){&ramp, 1};
    src.pacing.per_hour = 10;
    build_ok(&cfg, &src, DEC4_UTC, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_uint_eq(req.count, 2 + LIMITER_MAX_PROVIDERS);
    ck_assert_uint_eq(req.provider_count, LIMITER_MAX_PROVIDERS);
    ck_assert_double_eq(req.limits[req.count - 1].cap_value,
                        LIMITER_MAX_PROVIDERS);
}
END_TEST

/* Send hours 08:00-20:00 UTC: today's window and the next opening. */
START_TEST(pacing_window)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = message(3);
    struct limiter_request req;
    const struct limiter_pacing *p = &req.pacing;

    set_zone("UTC");
    src.pacing = (struct pacing_config){
        .enabled = true, .open_minute = 480, .close_minute = 1200, .burst = 30};
    build_ok(&cfg, &src, DEC4_UTC + 10 * 3600, LIMITER_CHARGE, &msg, NULL,
             &req);
    ck_assert_int_eq(p->enabled, 1);
    ck_assert_str_eq(p->key, "rampart:{203.0.113.10}:pace");
    ck_assert_int_eq(p->open, DEC4_UTC + 8 * 3600);
    ck_assert_int_eq(p->close, DEC4_UTC + 20 * 3600);
    ck_assert_int_eq(p->next_open, DEC4_UTC + 86400 + 8 * 3600);
    ck_assert_int_eq(p->burst, 30);
    ck_assert_int_eq(p->units, 3);
    ck_assert_int_eq(p->expire_at, DEC4_UTC + 2 * 86400);

    /* before today's window opens, the next opening is today's */
    build_ok(&cfg, &src, DEC4_UTC + 7 * 3600, LIMITER_CHARGE, &msg, NULL, &req);
    ck_assert_int_eq(p->next_open, DEC4_UTC + 8 * 3600);

    /* counted in messages, a message is one unit */
    cfg.count = UNIT_MESSAGES;
    build_ok(&cfg, &src, DEC4_UTC + 10 * 3600, LIMITER_CHARGE, &msg, NULL,
             &req);
    ck_assert_int_eq(p->units, 1);
}
END_TEST

/*
 * With weekdays_only, Saturday 2026-12-05 has an empty window and the
 * next opening after Friday evening is Monday 2026-12-07 08:00.
 */
START_TEST(pacing_weekend)
{
    struct rampart_config cfg = config(UNIT_RECIPIENTS);
    struct source src = {.address = "203.0.113.10", .daily_cap = 1000};
    struct quota_message msg = message(1);
    struct limiter_request req;
    const struct limiter_pacing *p = &req.pacing;
    const time_t monday_open = DEC4_UTC + 3 * 86400 + 8 * 3600;

    set_zone("UTC");
    src.pacing = (struct pacing_config){.enabled = true,
                                        .open_minute = 480,
                                        .close_minute = 1200,
                                        .weekdays_only = true};
    build_ok(&cfg, &src, DEC4_UTC + 21 * 3600, LIMITER_CHARGE, &msg, NULL,
             &req);
    ck_assert_int_eq(p->open, DEC4_UTC + 8 * 3600);
    ck_assert_int_eq(p->next_open, monday_open);

    build_ok(&cfg, &src, DEC4_UTC + 86400 + 10 * 3600, LIMITER_CHARGE, &msg,
             NULL, &req);
    ck_assert_int_eq(p->open, DEC4_UTC + 86400);
    ck_assert_int_eq(p->close, DEC4_UTC + 86400);
    ck_assert_int_eq(p->next_open, monday_open);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("quota");
    TCase *tc = tcase_create("quota_build");
    TCase *pacing = tcase_create("pacing");

    tcase_add_test(tc, fixed_cap_request);
    tcase_add_test(tc, check_mode_messages_unit);
    tcase_add_test(tc, berlin_dst_window);
    tcase_add_test(tc, scheduled_source_spec);
    tcase_add_test(tc, state_schedule_argument);
    tcase_add_test(tc, hourly_limit);
    tcase_add_test(tc, hourly_limit_fall_back);
    tcase_add_test(tc, provider_parts);
    tcase_add_test(tc, max_parts_fit);
    suite_add_tcase(s, tc);

    tcase_add_test(pacing, pacing_window);
    tcase_add_test(pacing, pacing_weekend);
    suite_add_tcase(s, pacing);
    return s;
}
