/*
 * test_cap_match.c - the caps that limit.lua computes from a schedule spec
 * equal sched_cap() in C, for steps 1 to 400 of every schedule form
 *
 * Each step is set with ramp_change(RAMP_STEP), and the next decision
 * stores the script's cap in the ramp state, which is compared with C.
 */
#include "check_main.h"
#include "ramp_fixture.h"

#include <stdio.h>

#define MAX_STEP 400

static const char conf[] =
    "schedules = {\n"
    "    weekly = { per_day_by_week = [2800, 4300, 5700, 7000];\n"
    "               then_add_per_week = 4000; target = 100000; };\n"
    "    weekly_flat = { per_day_by_week = [100, 300]; };\n"
    "    doubling = { start = 50; factor = 1.1; target = 1000000000000L; };\n"
    "    doubling_slow = { start = 100; factor = 1.5; every_days = 3;\n"
    "                      target = 50000000; };\n"
    "    daily = { per_day = [10, 20, 50, 100, 200, 500, 1000, 2000]; };\n"
    "    flat = { per_day = 7777; };\n"
    "};\n"
    "sources = ( { address = \"" FIXTURE_SOURCE "\"; schedule = \"weekly\";\n"
    "    start = \"2026-01-01\"; } );\n";

static void setup(void)
{
    fixture_start(conf);
    clock_set(local_time(future_monday(), 10, 0));
}

START_TEST(lua_caps_match_c)
{
    const struct schedule *s = &fixture_cfg->schedules[_i];
    struct quota_outcome out;

    change((struct ramp_change){.op = RAMP_ENROLL,
                                .schedule = s->name,
                                .start = {2026, 1, 1},
                                .step = 1});
    for (long step = 1; step <= MAX_STEP; step++) {
        long want = sched_cap(s, step);
        long got;

        change((struct ramp_change){.op = RAMP_STEP, .step = step});
        decide_simple(LIMITER_CHECK, 1, &out);
        got = state_number(NULL, "cap");
        ck_assert_msg(got == want, "%s step %ld: got state cap %ld, want %ld",
                      s->name, step, got, want);
        ck_assert_msg(out.cap == want,
                      "%s step %ld: got reply cap %ld, want %ld", s->name, step,
                      out.cap, want);
        ck_assert_msg(out.step == step, "%s step %ld: got reply step %ld",
                      s->name, step, out.step);
    }
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("cap_match");
    TCase *tc = tcase_create("cap_match");

    tcase_add_checked_fixture(tc, setup, fixture_stop);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, lua_caps_match_c, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}
