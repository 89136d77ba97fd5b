/*
 * test_ramp_moves.c - how limit.lua moves a ramp at each new sending day:
 * advance, hold on low use, bounces or complaints, idle days, block
 * signals and a DST day, against a real redis-server
 *
 * Days are simulated by moving the decision clock (see ramp_fixture.h),
 * at 10:00 local time unless a test sets another time.
 */
#include "check_main.h"
#include "ramp_fixture.h"

#include <stdio.h>

/* Fail unless the newest log entry and last_move contain "part". */
static void assert_last_move(const char *part)
{
    char entry[512];
    char last_move[512];

    log_entry(NULL, 0, entry, sizeof(entry));
    state_text(NULL, "last_move", last_move, sizeof(last_move));
    assert_contains(entry, part);
    assert_contains(last_move, part);
}

/* The first decision creates the state from the source's config. */
START_TEST(state_created_from_config)
{
    char text[128];
    char today[CAL_DATE_TEXT];
    char want[128];

    start_daily(" step = 2;", "");
    ck_assert_int_eq(state_number(NULL, "step"), -1);
    assert_step(2);
    cal_format_date(clock_date(), today, sizeof(today));
    state_text(NULL, "schedule", text, sizeof(text));
    ck_assert_str_eq(text, "daily");
    state_text(NULL, "start", text, sizeof(text));
    ck_assert_str_eq(text, "2026-01-01");
    state_text(NULL, "spec", text, sizeof(text));
    ck_assert_str_eq(text, DAILY_SPEC);
    state_text(NULL, "day", text, sizeof(text));
    ck_assert_str_eq(text, today);
    ck_assert_int_eq(state_number(NULL, "cap"), 200);
    state_text(NULL, "last_move", text, sizeof(text));
    snprintf(want, sizeof(want), "first sending day %s at step 2", today);
    ck_assert_str_eq(text, want);
}
END_TEST

START_TEST(clean_ramp_advances)
{
    char today[CAL_DATE_TEXT];
    char want[128];
    struct quota_outcome out;

    start_daily("", "");
    assert_step(1);
    assert_cap(100);
    ck_assert_int_eq(state_number(NULL, "cap"), 100);
    ck_assert_int_eq(log_length(NULL), 0);
    send_day(100, 0, 0);

    /* the day's cap is full: the next message waits for midnight */
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    ck_assert_int_eq(out.retry_at, local_time(date_add(clock_date(), 1), 0, 0));
    cal_format_date(clock_date(), today, sizeof(today));

    next_days(1);
    assert_step(2);
    assert_cap(200);
    ck_assert_int_eq(state_number(NULL, "cap"), 200);
    snprintf(want, sizeof(want),
             "advance 1->2: %s used 100 of 100 (100.0%%), bounces 0.00%%, "
             "complaints 0.000%%",
             today);
    assert_last_move(want);
    ck_assert_int_eq(log_length(NULL), 1);
    send_day(200, 0, 0);

    next_days(1);
    assert_step(3);
    assert_cap(400);
    ck_assert_int_eq(state_number(NULL, "cap"), 400);
    assert_last_move("advance 2->3");
    send_day(400, 0, 0);

    next_days(1);
    assert_step(4);
    assert_cap(800);
    ck_assert_int_eq(state_number(NULL, "cap"), 800);
    ck_assert_int_eq(log_length(NULL), 3);
}
END_TEST

/* Use is inclusive: 80 of 100 advances, 50 of 100 holds. */
START_TEST(half_use_holds)
{
    start_daily("", "");
    send_day(50, 0, 0);
    next_days(1);
    assert_step(1);
    assert_last_move("hold at 1: use below 80%");
    assert_last_move("used 50 of 100 (50.0%)");

    send_day(80, 0, 0);
    next_days(1);
    assert_step(2);
    assert_last_move("advance 1->2");
}
END_TEST

/* A day with 12 of 100 bounced holds, and one with 9 of 100 advances. */
START_TEST(bounces_hold)
{
    start_daily("", "");
    send_day(100, 12, 0);
    next_days(1);
    assert_step(1);
    assert_last_move("hold at 1: bounce rate not under 10.00%");
    assert_last_move("bounces 12.00%");

    send_day(100, 9, 0);
    next_days(1);
    assert_step(2);
}
END_TEST

/* 2 complaints in 1000 deliveries (0.2 %) hold, and none advance. */
START_TEST(complaints_hold)
{
    start_at_monday(
        "schedules = { big = { per_day = [1000, 2000, 4000]; }; };\n"
        "sources = ( { address = \"" FIXTURE_SOURCE "\"; schedule = \"big\";\n"
        "    start = \"2026-01-01\"; } );\n");
    send_day(1000, 0, 2);
    next_days(1);
    assert_step(1);
    assert_last_move("hold at 1: complaint rate not under 0.100%");
    assert_last_move("complaints 0.200%");

    send_day(1000, 0, 0);
    next_days(1);
    assert_step(2);
}
END_TEST

/*
 * A calendar day without decisions is skipped: the next day judges the
 * last sending day, so the step moves once, and the idle day is no
 * failure either.
 */
START_TEST(idle_day_skipped)
{
    char monday[CAL_DATE_TEXT];

    start_daily("", "");
    cal_format_date(clock_date(), monday, sizeof(monday));
    send_day(100, 0, 0);

    next_days(2);
    assert_step(2);
    assert_last_move("advance 1->2");
    assert_last_move(monday);
    ck_assert_int_eq(log_length(NULL), 1);

    send_day(200, 0, 0);
    next_days(3);
    assert_step(3);
    ck_assert_int_eq(log_length(NULL), 2);
}
END_TEST

/* A day with decisions but nothing sent holds as "idle". */
START_TEST(checked_day_idle)
{
    start_daily("", "");
    assert_step(1);
    next_days(1);
    assert_step(1);
    assert_last_move("idle at 1");
}
END_TEST

/* With on_block = "step_down" (the default), a block costs one step. */
START_TEST(block_steps_down)
{
    static const char reason[] = "421 4.7.0 rate limited";
    char entry[256];

    start_daily(" step = 3;", "");
    assert_step(3);
    send_day(400, 0, 0);
    ck_assert_int_eq(record(OUTCOME_BLOCKED, 1, NULL, NULL, reason), 0);
    log_entry(NULL, 0, entry, sizeof(entry));
    assert_contains(entry, "block signal (421 4.7.0 rate limited)");
    ck_assert_int_eq(state_number(NULL, "block_pending"), 1);

    /* the rest of the day sends on */
    assert_step(3);
    next_days(1);
    assert_step(2);
    assert_cap(200);
    assert_last_move("step down 3->2: 1 block signal(s)");
    ck_assert_int_eq(state_number(NULL, "block_pending"), 0);

    /* a clean day after that advances again */
    send_day(200, 0, 0);
    next_days(1);
    assert_step(3);
}
END_TEST

/* block_step_down = 2 from step 2 stops at step 1. */
START_TEST(block_step_down_floor)
{
    start_daily(" step = 2;", "ramp = { block_step_down = 2; };\n");
    send_day(200, 0, 0);
    record(OUTCOME_BLOCKED, 1, NULL, NULL, NULL);
    next_days(1);
    assert_step(1);
    assert_last_move("step down 2->1");
}
END_TEST

/* At step 1 there is no step to go down to: a block holds. */
START_TEST(block_at_step_one_holds)
{
    start_daily("", "");
    send_day(100, 0, 0);
    record(OUTCOME_BLOCKED, 1, NULL, NULL, NULL);
    next_days(1);
    assert_step(1);
    assert_last_move("hold at 1: 1 block signal(s)");
}
END_TEST

START_TEST(block_holds)
{
    start_daily(" step = 3;", "ramp = { on_block = \"hold\"; };\n");
    send_day(400, 0, 0);
    record(OUTCOME_BLOCKED, 2, NULL, NULL, "550 5.7.1 blocked");
    next_days(1);
    assert_step(3);
    assert_last_move("hold at 3: 2 block signal(s)");
}
END_TEST

/*
 * With on_block = "pause", a block defers all mail at once, with the
 * reason in the reply, until block_pause_hours have passed.
 */
START_TEST(block_pauses)
{
    struct quota_outcome out;
    time_t blocked_at;
    time_t pause_end;
    char entry[256];

    start_daily("", "ramp = { on_block = \"pause\"; "
                    "block_pause_hours = 2; };\n");
    send_accepted(10);
    blocked_at = clock_now();
    record(OUTCOME_BLOCKED, 1, NULL, NULL, "554 5.7.1 listed");

    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.action, QUOTA_DEFER);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);
    assert_contains(out.reason, FIXTURE_SOURCE " paused: block signal: 554 "
                                               "5.7.1 listed, retry after ");
    ck_assert_msg(out.retry_at >= blocked_at + 7200 &&
                      out.retry_at <= blocked_at + 7201,
                  "got retry_at %lld, want %lld", (long long)out.retry_at,
                  (long long)blocked_at + 7200);
    pause_end = out.retry_at;
    log_entry(NULL, 0, entry, sizeof(entry));
    assert_contains(entry, "block signal (554 5.7.1 listed): paused until ");

    clock_set(pause_end - 60);
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_PAUSED);

    clock_set(pause_end);
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_msg(out.action == QUOTA_ACCEPT,
                  "after the pause: got a deferral (%s), want acceptance",
                  out.reason);
    ck_assert_int_eq(state_number(NULL, "paused"), -1);
    log_entry(NULL, 0, entry, sizeof(entry));
    assert_contains(entry, "paused ended");
}
END_TEST

/* The log keeps the newest ramp.history moves. */
START_TEST(log_keeps_history)
{
    start_daily("", "ramp = { history = 2; };\n");
    for (long step = 1; step <= 3; step++) {
        send_day(100L << (step - 1), 0, 0);
        next_days(1);
    }
    assert_step(4);
    ck_assert_int_eq(log_length(NULL), 2);
    assert_last_move("advance 3->4");
}
END_TEST

/*
 * 2026-10-25 in Berlin has 25 hours.  Decisions at 00:30 and 23:30 of
 * that day are one sending day: the ramp advances once, and once more
 * on 2026-10-26.
 */
START_TEST(dst_day_advances_once)
{
    const struct cal_date oct24 = {2026, 10, 24};
    const struct cal_date oct25 = {2026, 10, 25};
    const struct cal_date oct26 = {2026, 10, 26};
    struct quota_outcome out;
    char entry[256];

    start_daily("", "timezone = \"Europe/Berlin\";\n");
    ck_assert_int_eq(local_time(oct26, 0, 0) - local_time(oct25, 0, 0),
                     25 * 3600);
    clock_set(local_time(oct24, 12, 0));
    send_day(100, 0, 0);

    clock_set(local_time(oct25, 0, 30));
    assert_step(2);
    send_day(200, 0, 0);
    clock_set(local_time(oct25, 23, 30));
    assert_step(2);
    ck_assert_int_eq(log_length(NULL), 1);

    /* a full day retries at the next local midnight, 23:00 UTC */
    decide_simple(LIMITER_CHARGE, 1, &out);
    ck_assert_int_eq(out.refusal, REFUSED_LIMIT);
    ck_assert_int_eq(out.retry_at, local_time(oct26, 0, 0));
    assert_contains(out.reason, "retry after 00:00 CET");

    clock_set(local_time(oct26, 0, 30));
    assert_step(3);
    ck_assert_int_eq(log_length(NULL), 2);
    assert_last_move("advance 2->3: 2026-10-25 used 200 of 200");
    log_entry(NULL, 0, entry, sizeof(entry));
    assert_contains(entry, "2026-10-26 advance 2->3");
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("ramp_moves");
    TCase *gates = tcase_create("gates");
    TCase *blocks = tcase_create("blocks");

    tcase_add_checked_fixture(gates, NULL, fixture_stop);
    tcase_set_timeout(gates, 60);
    tcase_add_test(gates, state_created_from_config);
    tcase_add_test(gates, clean_ramp_advances);
    tcase_add_test(gates, half_use_holds);
    tcase_add_test(gates, bounces_hold);
    tcase_add_test(gates, complaints_hold);
    tcase_add_test(gates, idle_day_skipped);
    tcase_add_test(gates, checked_day_idle);
    tcase_add_test(gates, log_keeps_history);
    tcase_add_test(gates, dst_day_advances_once);
    suite_add_tcase(s, gates);

    tcase_add_checked_fixture(blocks, NULL, fixture_stop);
    tcase_set_timeout(blocks, 60);
    tcase_add_test(blocks, block_steps_down);
    tcase_add_test(blocks, block_step_down_floor);
    tcase_add_test(blocks, block_at_step_one_holds);
    tcase_add_test(blocks, block_holds);
    tcase_add_test(blocks, block_pauses);
    suite_add_tcase(s, blocks);
    return s;
}
