/*
 * test_schedule.c - sched_cap() and sched_spec() for every schedule form
 */
#include "check_main.h"
#include "schedule.h"

#include <limits.h>

/* One ramp day and the cap expected on it. */
struct day_cap {
    long day;
    long cap;
};

static void check_caps(const struct schedule *s, const struct day_cap *cases,
                       size_t count)
{
    for (size_t i = 0; i < count; i++) {
        long got = sched_cap(s, cases[i].day);

        ck_assert_msg(got == cases[i].cap, "%s day %ld: got cap %ld, want %ld",
                      sched_kind_name(s->kind), cases[i].day, got,
                      cases[i].cap);
    }
}

#define CHECK_CAPS(s, cases)                                                   \
    check_caps((s), (cases), sizeof(cases) / sizeof((cases)[0]))

START_TEST(flat_cap_every_day)
{
    struct schedule s = {.kind = SCHED_FLAT, .per_day = 500};
    static const struct day_cap cases[] = {
        {LONG_MIN, 0}, {-1, 0},  {0, 0},     {1, 500},
        {7, 500},      {8, 500}, {365, 500}, {LONG_MAX, 500},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(daily_table_then_last)
{
    long table[] = {50, 100, 200, 200, 400};
    struct schedule s = {.kind = SCHED_DAILY, .table = table, .table_len = 5};
    static const struct day_cap cases[] = {
        {-30, 0}, {0, 0},   {1, 50},  {2, 100},     {3, 200},
        {4, 200}, {5, 400}, {6, 400}, {10000, 400}, {LONG_MAX, 400},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(daily_single_entry)
{
    long table[] = {75};
    struct schedule s = {.kind = SCHED_DAILY, .table = table, .table_len = 1};
    static const struct day_cap cases[] = {
        {0, 0},
        {1, 75},
        {2, 75},
        {LONG_MAX, 75},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

/*
 * Week k covers days 7k-6 to 7k.  After the table the cap grows by 150 a
 * week up to the target 1000.
 */
START_TEST(weekly_cap_week_boundary)
{
    long table[] = {100, 200, 400};
    struct schedule s = {.kind = SCHED_WEEKLY,
                         .table = table,
                         .table_len = 3,
                         .add_per_week = 150,
                         .target = 1000};
    static const struct day_cap cases[] = {
        {-6, 0},
        {0, 0},
        {1, 100},
        {7, 100},
        {8, 200},
        {14, 200},
        {15, 400},
        {21, 400},
        /* first week after the table: week 4 */
        {22, 550},
        {28, 550},
        {29, 700},
        {36, 850},
        /* week 7 reaches the target exactly, week 8 stays there */
        {42, 850},
        {43, 1000},
        {49, 1000},
        {50, 1000},
        {LONG_MAX, 1000},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

/* A target between two steps clamps the step that would pass it. */
START_TEST(weekly_target_between_steps)
{
    long table[] = {100};
    struct schedule s = {.kind = SCHED_WEEKLY,
                         .table = table,
                         .table_len = 1,
                         .add_per_week = 300,
                         .target = 500};
    static const struct day_cap cases[] = {
        {7, 100}, {8, 400}, {14, 400}, {15, 500}, {1000, 500},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(weekly_without_growth)
{
    long table[] = {100, 300};
    struct schedule s = {.kind = SCHED_WEEKLY, .table = table, .table_len = 2};
    static const struct day_cap cases[] = {
        {7, 100},
        {8, 300},
        {15, 300},
        {LONG_MAX, 300},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

/* Growth without a target stops at SCHED_CAP_MAX instead of overflowing. */
START_TEST(weekly_huge_day_no_overflow)
{
    long table[] = {100};
    struct schedule s = {.kind = SCHED_WEEKLY,
                         .table = table,
                         .table_len = 1,
                         .add_per_week = SCHED_CAP_MAX / 2};
    static const struct day_cap cases[] = {
        {8, 100 + SCHED_CAP_MAX / 2},
        {15, SCHED_CAP_MAX},
        {LONG_MAX / 2, SCHED_CAP_MAX},
        {LONG_MAX, SCHED_CAP_MAX},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(doubling_daily_to_target)
{
    struct schedule s = {.kind = SCHED_DOUBLING,
                         .start = 50,
                         .factor = 2.0,
                         .every_days = 1,
                         .target = 6400};
    static const struct day_cap cases[] = {
        {0, 0},    {1, 50},   {2, 100},    {3, 200},         {7, 3200},
        {8, 6400}, {9, 6400}, {365, 6400}, {LONG_MAX, 6400},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

/* Factor 1.5 every 3 days; fractional caps round down. */
START_TEST(doubling_every_three_days)
{
    struct schedule s = {.kind = SCHED_DOUBLING,
                         .start = 100,
                         .factor = 1.5,
                         .every_days = 3,
                         .target = 1000};
    static const struct day_cap cases[] = {
        {-2, 0},   {0, 0},     {1, 100},   {3, 100},   {4, 150},
        {6, 150},  {7, 225},   {10, 337},  {13, 506},  {16, 759},
        {18, 759}, {19, 1000}, {21, 1000}, {22, 1000}, {LONG_MAX, 1000},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(doubling_huge_day_no_target)
{
    struct schedule s = {
        .kind = SCHED_DOUBLING, .start = 1, .factor = 100.0, .every_days = 1};
    static const struct day_cap cases[] = {
        {1, 1},
        {2, 100},
        {6, 10000000000L},
        {7, SCHED_CAP_MAX},
        {8, SCHED_CAP_MAX},
        {5000, SCHED_CAP_MAX},
        {LONG_MAX, SCHED_CAP_MAX},
    };

    CHECK_CAPS(&s, cases);
}
END_TEST

START_TEST(kind_names)
{
    ck_assert_str_eq(sched_kind_name(SCHED_FLAT), "flat");
    ck_assert_str_eq(sched_kind_name(SCHED_DAILY), "daily");
    ck_assert_str_eq(sched_kind_name(SCHED_WEEKLY), "weekly");
    ck_assert_str_eq(sched_kind_name(SCHED_DOUBLING), "doubling");
}
END_TEST

/*
 * Fail unless sched_spec() writes "want" into a buffer of exactly its
 * size and returns -1 for a buffer one byte shorter.
 */
static void check_spec(const struct schedule *s, const char *want)
{
    char buf[256];
    size_t len = strlen(want) + 1;

    ck_assert_msg(sched_spec(s, buf, len) == 0, "%s: spec \"%s\" rejected",
                  sched_kind_name(s->kind), want);
    ck_assert_msg(strcmp(buf, want) == 0, "%s: got spec \"%s\", want \"%s\"",
                  sched_kind_name(s->kind), buf, want);
    ck_assert_msg(sched_spec(s, buf, len - 1) == -1,
                  "%s: got 0 for a %zu-byte buffer, want -1",
                  sched_kind_name(s->kind), len - 1);
}

START_TEST(spec_flat)
{
    struct schedule s = {.kind = SCHED_FLAT, .per_day = 500};

    check_spec(&s, "flat:500");
}
END_TEST

START_TEST(spec_daily)
{
    long table[] = {50, 100, 200};
    struct schedule s = {.kind = SCHED_DAILY, .table = table, .table_len = 3};
    long single[] = {75};
    struct schedule one = {
        .kind = SCHED_DAILY, .table = single, .table_len = 1};

    check_spec(&s, "daily:50,100,200");
    check_spec(&one, "daily:75");
}
END_TEST

START_TEST(spec_weekly)
{
    long table[] = {2800, 4300, 5700, 7000};
    struct schedule s = {.kind = SCHED_WEEKLY,
                         .table = table,
                         .table_len = 4,
                         .add_per_week = 4000,
                         .target = 100000};
    struct schedule bare = {
        .kind = SCHED_WEEKLY, .table = table, .table_len = 2};

    check_spec(&s, "weekly:2800,4300,5700,7000:4000:100000");
    check_spec(&bare, "weekly:2800,4300:0:0");
}
END_TEST

/* The factor is written with 17 digits so that it reads back exactly. */
START_TEST(spec_doubling)
{
    struct schedule twice = {.kind = SCHED_DOUBLING,
                             .start = 50,
                             .factor = 2.0,
                             .every_days = 1,
                             .target = 6400};
    struct schedule tenth = {.kind = SCHED_DOUBLING,
                             .start = 100,
                             .factor = 1.1,
                             .every_days = 3,
                             .target = 1000};

    check_spec(&twice, "doubling:50:2:1:6400");
    check_spec(&tenth, "doubling:100:1.1000000000000001:3:1000");
}
END_TEST

START_TEST(spec_fixed)
{
    char buf[32];

    ck_assert_int_eq(sched_spec_fixed(20000, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "fixed:20000");
    ck_assert_int_eq(sched_spec_fixed(0, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, "fixed:0");
    ck_assert_int_eq(sched_spec_fixed(20000, buf, 12), 0);
    ck_assert_int_eq(sched_spec_fixed(20000, buf, 11), -1);
}
END_TEST

/* A table too long for the buffer fails in the middle of the list. */
START_TEST(spec_long_table)
{
    long table[100];
    struct schedule s = {.kind = SCHED_DAILY, .table = table, .table_len = 100};
    char buf[64];

    for (size_t i = 0; i < 100; i++)
        table[i] = 1000000 + (long)i;
    ck_assert_int_eq(sched_spec(&s, buf, sizeof(buf)), -1);
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("sched_cap");
    TCase *spec = tcase_create("sched_spec");

    tcase_add_test(tc, flat_cap_every_day);
    tcase_add_test(tc, daily_table_then_last);
    tcase_add_test(tc, daily_single_entry);
    tcase_add_test(tc, weekly_cap_week_boundary);
    tcase_add_test(tc, weekly_target_between_steps);
    tcase_add_test(tc, weekly_without_growth);
    tcase_add_test(tc, weekly_huge_day_no_overflow);
    tcase_add_test(tc, doubling_daily_to_target);
    tcase_add_test(tc, doubling_every_three_days);
    tcase_add_test(tc, doubling_huge_day_no_target);
    tcase_add_test(tc, kind_names);
    suite_add_tcase(s, tc);

    tcase_add_test(spec, spec_flat);
    tcase_add_test(spec, spec_daily);
    tcase_add_test(spec, spec_weekly);
    tcase_add_test(spec, spec_doubling);
    tcase_add_test(spec, spec_fixed);
    tcase_add_test(spec, spec_long_table);
    suite_add_tcase(s, spec);
    return s;
}
