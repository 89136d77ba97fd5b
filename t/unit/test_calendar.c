/*
 * test_calendar.c - civil dates, date parsing and local days in IANA zones
 */
#include "calendar.h"
#include "check_main.h"
#include "test_files.h"

#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

static void set_zone(const char *zone)
{
    char err[512];

    ck_assert_msg(cal_set_zone(zone, err, sizeof(err)) == 0,
                  "cal_set_zone(%s) failed: %s", zone, err);
}

static struct cal_date date_of(int year, int month, int day)
{
    struct cal_date d = {year, month, day};

    return d;
}

START_TEST(civil_known_days)
{
    static const struct {
        struct cal_date date;
        long days;
    } cases[] = {
        {{1970, 1, 1}, 0},        {{1969, 12, 31}, -1},
        {{2000, 2, 29}, 11016},   {{2000, 3, 1}, 11017},
        {{2024, 2, 29}, 19782},   {{2100, 2, 28}, 47540},
        {{2100, 3, 1}, 47541},    {{2026, 12, 4}, 20791},
        {{1600, 2, 29}, -135081}, {{9999, 12, 31}, 2932896},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cal_date d = cases[i].date;
        long days = cal_days_from_civil(d);
        struct cal_date back = cal_civil_from_days(cases[i].days);

        ck_assert_msg(days == cases[i].days,
                      "%04d-%02d-%02d: got %ld, want %ld", d.year, d.month,
                      d.day, days, cases[i].days);
        ck_assert_msg(
            back.year == d.year && back.month == d.month && back.day == d.day,
            "day %ld: got %04d-%02d-%02d, want %04d-%02d-%02d", cases[i].days,
            back.year, back.month, back.day, d.year, d.month, d.day);
    }
}
END_TEST

/* Days -450000 to 450000 (years 737 to 3202) give consecutive dates. */
START_TEST(civil_round_trip_range)
{
    struct cal_date previous = cal_civil_from_days(-450001);

    for (long days = -450000; days <= 450000; days++) {
        struct cal_date d = cal_civil_from_days(days);
        long back = cal_days_from_civil(d);
        int next_day = d.day == previous.day + 1 && d.month == previous.month;
        int next_month = d.day == 1 && (d.month == previous.month + 1 ||
                                        (d.month == 1 && previous.month == 12));

        ck_assert_msg(back == days, "day %ld: round trip gave %ld", days, back);
        ck_assert_msg(next_day || next_month,
                      "day %ld: %04d-%02d-%02d does not follow %04d-%02d-%02d",
                      days, d.year, d.month, d.day, previous.year,
                      previous.month, previous.day);
        previous = d;
    }
}
END_TEST

START_TEST(leap_day_successors)
{
    static const struct {
        struct cal_date date;
        struct cal_date next;
    } cases[] = {
        {{2000, 2, 28}, {2000, 2, 29}}, {{2000, 2, 29}, {2000, 3, 1}},
        {{2100, 2, 28}, {2100, 3, 1}},  {{2024, 2, 28}, {2024, 2, 29}},
        {{2024, 2, 29}, {2024, 3, 1}},  {{2026, 2, 28}, {2026, 3, 1}},
        {{2026, 12, 31}, {2027, 1, 1}},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cal_date d = cases[i].date;
        struct cal_date want = cases[i].next;
        struct cal_date got = cal_civil_from_days(cal_days_from_civil(d) + 1);

        ck_assert_msg(got.year == want.year && got.month == want.month &&
                          got.day == want.day,
                      "after %04d-%02d-%02d: got %04d-%02d-%02d, want "
                      "%04d-%02d-%02d",
                      d.year, d.month, d.day, got.year, got.month, got.day,
                      want.year, want.month, want.day);
    }
}
END_TEST

START_TEST(parse_date_valid)
{
    static const char *const texts[] = {
        "1970-01-01", "2000-02-29", "2024-02-29", "2026-12-31", "2026-04-30"};

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct cal_date d;
        char back[CAL_DATE_TEXT];

        ck_assert_msg(cal_parse_date(texts[i], &d) == 0,
                      "\"%s\": rejected, want accepted", texts[i]);
        cal_format_date(d, back, sizeof(back));
        ck_assert_str_eq(back, texts[i]);
    }
}
END_TEST

START_TEST(parse_date_rejects)
{
    static const char *const texts[] = {
        "2026-02-29", "2100-02-29",  "2026-13-01",  "2026-00-10",
        "2026-04-31", "2026-01-00",  "2026-1-01",   "2026-01-1",
        "26-01-01",   "2026-01-01x", "2026-01-01 ", " 2026-01-01",
        "2026/01/01", "2026-0a-01",  "+026-01-01",  "",
        "1969-12-31",
    };

    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct cal_date d = {0, 0, 0};

        ck_assert_msg(cal_parse_date(texts[i], &d) == -1,
                      "\"%s\": accepted as %04d-%02d-%02d, want rejected",
                      texts[i], d.year, d.month, d.day);
    }
    ck_assert_int_eq(cal_parse_date(NULL, &(struct cal_date){0, 0, 0}), -1);
}
END_TEST

/*
 * Local day lengths on DST changes.  The EU changes clocks on the last
 * Sundays of March and October, the US on the second Sunday of March and
 * the first Sunday of November.
 */
START_TEST(dst_day_lengths)
{
    static const struct {
        const char *zone;
        struct cal_date date;
        long seconds;
    } cases[] = {
        {"Europe/Berlin", {2026, 3, 28}, 24 * 3600},
        {"Europe/Berlin", {2026, 3, 29}, 23 * 3600},
        {"Europe/Berlin", {2026, 3, 30}, 24 * 3600},
        {"Europe/Berlin", {2026, 10, 25}, 25 * 3600},
        {"America/New_York", {2026, 3, 8}, 23 * 3600},
        {"America/New_York", {2026, 11, 1}, 25 * 3600},
        {"America/New_York", {2026, 11, 2}, 24 * 3600},
        {"UTC", {2026, 3, 29}, 24 * 3600},
        {"UTC", {2026, 10, 25}, 24 * 3600},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct cal_date d = cases[i].date;
        struct cal_day day;
        time_t noon;

        set_zone(cases[i].zone);
        noon = cal_local_time(d, 12 * 3600);
        ck_assert_msg(cal_day_at(noon, &day) == 0, "%s %04d-%02d-%02d failed",
                      cases[i].zone, d.year, d.month, d.day);
        ck_assert_msg(day.date.year == d.year && day.date.month == d.month &&
                          day.date.day == d.day,
                      "%s noon of %04d-%02d-%02d: got day %04d-%02d-%02d",
                      cases[i].zone, d.year, d.month, d.day, day.date.year,
                      day.date.month, day.date.day);
        ck_assert_msg(day.end - day.start == cases[i].seconds,
                      "%s %04d-%02d-%02d: got %ld s, want %ld s", cases[i].zone,
                      d.year, d.month, d.day, (long)(day.end - day.start),
                      cases[i].seconds);
    }
}
END_TEST

static long gmtoff_at(time_t t)
{
    struct tm tm;

    ck_assert_ptr_nonnull(localtime_r(&t, &tm));
    return tm.tm_gmtoff;
}

/*
 * Walk the four days around "date" in half-hour steps with localtime_r and
 * return the length the zone data gives that local date: 24 h minus each
 * offset change that happens on it.
 */
static long zone_day_length(struct cal_date date)
{
    time_t t = (time_t)cal_days_from_civil(date) * 86400 - 2 * 86400;
    time_t stop = t + 4 * 86400;
    long length = 86400;

    for (; t < stop; t += 1800) {
        long before = gmtoff_at(t - 1800);
        long after = gmtoff_at(t);
        struct tm tm;

        ck_assert_ptr_nonnull(localtime_r(&t, &tm));
        if (after != before && tm.tm_year + 1900 == date.year &&
            tm.tm_mon + 1 == date.month && tm.tm_mday == date.day)
            length -= after - before;
    }
    return length;
}

/*
 * Check every day of 2026 in "zone": cal_day_at() starts it at a local
 * midnight, the second before belongs to the previous day, and its length
 * matches zone_day_length().  Count the days "short_length" and
 * "long_length" seconds long in "short_days" and "long_days".
 */
static void check_year(const char *zone, long short_length, int *short_days,
                       long long_length, int *long_days)
{
    long first = cal_days_from_civil(date_of(2026, 1, 1));
    long last = cal_days_from_civil(date_of(2026, 12, 31));

    set_zone(zone);
    *short_days = 0;
    *long_days = 0;
    for (long n = first; n <= last; n++) {
        struct cal_date d = cal_civil_from_days(n);
        time_t before_start;
        struct cal_day day;
        struct tm tm;
        long want = zone_day_length(d);

        ck_assert_msg(cal_day_at(cal_local_time(d, 12 * 3600), &day) == 0,
                      "%s %04d-%02d-%02d: cal_day_at failed", zone, d.year,
                      d.month, d.day);
        ck_assert_ptr_nonnull(localtime_r(&day.start, &tm));
        ck_assert_msg(tm.tm_mday == d.day && tm.tm_hour == 0 &&
                          tm.tm_min == 0 && tm.tm_sec == 0,
                      "%s %04d-%02d-%02d: day starts at local %02d %02d:%02d",
                      zone, d.year, d.month, d.day, tm.tm_mday, tm.tm_hour,
                      tm.tm_min);
        before_start = day.start - 1;
        ck_assert_ptr_nonnull(localtime_r(&before_start, &tm));
        ck_assert_msg(tm.tm_mday != d.day,
                      "%s %04d-%02d-%02d: the second before the start is "
                      "on the same day",
                      zone, d.year, d.month, d.day);
        ck_assert_msg(day.end - day.start == want,
                      "%s %04d-%02d-%02d: got %ld s, want %ld s", zone, d.year,
                      d.month, d.day, (long)(day.end - day.start), want);
        if (want == short_length)
            (*short_days)++;
        if (want == long_length)
            (*long_days)++;
    }
}

START_TEST(utc_days_all_24h)
{
    int short_days;
    int long_days;

    check_year("UTC", 23 * 3600, &short_days, 25 * 3600, &long_days);
    ck_assert_int_eq(short_days, 0);
    ck_assert_int_eq(long_days, 0);
}
END_TEST

START_TEST(berlin_year_one_short_one_long)
{
    int short_days;
    int long_days;

    check_year("Europe/Berlin", 23 * 3600, &short_days, 25 * 3600, &long_days);
    ck_assert_int_eq(short_days, 1);
    ck_assert_int_eq(long_days, 1);
}
END_TEST

START_TEST(new_york_year_one_short_one_long)
{
    int short_days;
    int long_days;

    check_year("America/New_York", 23 * 3600, &short_days, 25 * 3600,
               &long_days);
    ck_assert_int_eq(short_days, 1);
    ck_assert_int_eq(long_days, 1);
}
END_TEST

/* Lord Howe Island moves its clocks by 30 minutes. */
START_TEST(lord_howe_half_hour_days)
{
    int short_days;
    int long_days;

    check_year("Australia/Lord_Howe", 23 * 3600 + 1800, &short_days,
               24 * 3600 + 1800, &long_days);
    ck_assert_int_eq(short_days, 1);
    ck_assert_int_eq(long_days, 1);
}
END_TEST

START_TEST(local_time_spring_gap)
{
    /* Berlin skips 02:00-03:00 CET on 2026-03-29, and 03:00 CEST is 01:00Z. */
    set_zone("Europe/Berlin");
    ck_assert_int_eq(cal_local_time(date_of(2026, 3, 29), 2 * 3600 + 1800),
                     1774746000);
    ck_assert_int_eq(cal_local_time(date_of(2026, 3, 29), 2 * 3600),
                     1774746000);
    ck_assert_int_eq(cal_local_time(date_of(2026, 3, 29), 2 * 3600 - 1),
                     1774745999);
    ck_assert_int_eq(cal_local_time(date_of(2026, 3, 29), 3 * 3600),
                     1774746000);

    /* New York skips 02:00-03:00 EST on 2026-03-08, and 03:00 EDT is 07:00Z. */
    set_zone("America/New_York");
    ck_assert_int_eq(cal_local_time(date_of(2026, 3, 8), 2 * 3600 + 1800),
                     1772953200);
}
END_TEST

/* A wall time that occurs twice maps to its first occurrence. */
START_TEST(local_time_fall_back_first)
{
    set_zone("Europe/Berlin");
    /* 02:30 CEST on 2026-10-25 is 00:30Z, and 02:30 CET comes an hour later. */
    ck_assert_int_eq(cal_local_time(date_of(2026, 10, 25), 2 * 3600 + 1800),
                     1792888200);
}
END_TEST

START_TEST(set_zone_rejects)
{
    static const struct {
        const char *zone;
        const char *message;
    } cases[] = {
        {"../etc/passwd", "invalid time zone name \"../etc/passwd\""},
        {"/etc/localtime", "invalid time zone name \"/etc/localtime\""},
        {"Europe/../../etc/passwd", "invalid time zone name"},
        {"Europe/Berlin; true", "invalid time zone name"},
        {"", "invalid time zone name \"\""},
        {"Not/AZone", "unknown time zone \"Not/AZone\""},
    };

    set_zone("Europe/Berlin");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "";

        ck_assert_msg(cal_set_zone(cases[i].zone, err, sizeof(err)) == -1,
                      "zone \"%s\" accepted, want rejected", cases[i].zone);
        assert_contains(err, cases[i].message);
        assert_contains(err, "IANA name");
        ck_assert_str_eq(getenv("TZ"), "Europe/Berlin");
    }
}
END_TEST

START_TEST(check_zone_not_a_zone_file)
{
    char dir[256];
    char sub[300];
    char path[400];
    char err[512] = "";

    tmpdir_make(dir, sizeof(dir));
    snprintf(sub, sizeof(sub), "%s/Fake", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    file_write(path, sizeof(path), sub, "Zone", "not a zone\n");
    setenv("TZDIR", dir, 1);
    ck_assert_int_eq(cal_check_zone("Fake/Zone", err, sizeof(err)), -1);
    unsetenv("TZDIR");
    assert_contains(err, "\"Fake/Zone\"");
    assert_contains(err, "is not a zone file");
    tmpdir_remove(dir);
}
END_TEST

START_TEST(format_clock_in_zone)
{
    char text[64];

    set_zone("Europe/Berlin");
    ck_assert_int_eq(cal_format_clock(1796425200, text, sizeof(text)), 0);
    ck_assert_str_eq(text, "00:00 CET");
    ck_assert_int_eq(cal_format_clock(1782900000, text, sizeof(text)), 0);
    ck_assert_str_eq(text, "12:00 CEST");
}
END_TEST

static Suite *test_suite(void)
{
    Suite *s = suite_create("calendar");
    TCase *dates = tcase_create("dates");
    TCase *zones = tcase_create("zones");

    /* civil_round_trip_range takes seconds with sanitizers on a busy host */
    tcase_set_timeout(dates, 60);
    tcase_add_test(dates, civil_known_days);
    tcase_add_test(dates, civil_round_trip_range);
    tcase_add_test(dates, leap_day_successors);
    tcase_add_test(dates, parse_date_valid);
    tcase_add_test(dates, parse_date_rejects);
    suite_add_tcase(s, dates);

    tcase_set_timeout(zones, 60);
    tcase_add_test(zones, dst_day_lengths);
    tcase_add_test(zones, utc_days_all_24h);
    tcase_add_test(zones, berlin_year_one_short_one_long);
    tcase_add_test(zones, new_york_year_one_short_one_long);
    tcase_add_test(zones, lord_howe_half_hour_days);
    tcase_add_test(zones, local_time_spring_gap);
    tcase_add_test(zones, local_time_fall_back_first);
    tcase_add_test(zones, set_zone_rejects);
    tcase_add_test(zones, check_zone_not_a_zone_file);
    tcase_add_test(zones, format_clock_in_zone);
    suite_add_tcase(s, zones);
    return s;
}
