/*
 * calendar.c - calendar days and local times in the configured time zone
 *
 * Date arithmetic uses day counts since 1970-01-01 in the proleptic
 * Gregorian calendar.  Zone offsets come from the C library (localtime_r
 * with TZ set), so DST rules are those of the installed tzdata.
 */
#include "calendar.h"

#include <ctype.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Gregorian cycles repeat every 400 years, which have 146097 days. */
#define DAYS_PER_ERA  146097L
#define DAYS_TO_EPOCH 719468L /* 0000-03-01 to 1970-01-01 */

/* Widest shift of a local midnight from UTC midnight, with margin. */
#define MAX_ZONE_SHIFT (30L * 3600)

/* Largest DST step of any zone (2 h, as Antarctica/Troll), with margin. */
#define MAX_DST_STEP (3L * 3600)

/* Bumped by cal_set_zone(), so that cached days of another zone expire. */
static atomic_uint zone_generation;

long cal_days_from_civil(struct cal_date d)
{
    /* Count years from March so that the leap day ends the year. */
    long y = d.month <= 2 ? d.year - 1 : d.year;
    long era = (y >= 0 ? y : y - 399) / 400;
    long year_of_era = y - era * 400;
    long month_from_march = d.month > 2 ? d.month - 3 : d.month + 9;
    long day_of_year = (153 * month_from_march + 2) / 5 + d.day - 1;
    long day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;

    return era * DAYS_PER_ERA + day_of_era - DAYS_TO_EPOCH;
}

struct cal_date cal_civil_from_days(long days)
{
    struct cal_date d;
    long z = days + DAYS_TO_EPOCH;
    long era = (z >= 0 ? z : z - DAYS_PER_ERA + 1) / DAYS_PER_ERA;
    long day_of_era = z - era * DAYS_PER_ERA;
    long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
                        day_of_era / 146096) /
                       365;
    long day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    long month_from_march = (5 * day_of_year + 2) / 153;

    d.day = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    d.month = (int)(month_from_march < 10 ? month_from_march + 3
                                          : month_from_march - 9);
    d.year = (int)(year_of_era + era * 400 + (d.month <= 2));
    return d;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    return month == 2 && leap ? 29 : days[month - 1];
}

int cal_parse_date(const char *text, struct cal_date *out)
{
    int i;
    struct cal_date d;

    if (text == NULL || strlen(text) != 10 || text[4] != '-' || text[7] != '-')
        return -1;
    for (i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)text[i]))
            return -1;
    d.year = atoi(text);
    d.month = atoi(text + 5);
    d.day = atoi(text + 8);
    if (d.year < 1970 || d.month < 1 || d.month > 12 || d.day < 1 ||
        d.day > days_in_month(d.year, d.month))
        return -1;
    *out = d;
    return 0;
}

void cal_format_date(struct cal_date d, char *buf, size_t len)
{
    snprintf(buf, len, "%04d-%02d-%02d", d.year, d.month, d.day);
}

/* Accept only names that stay inside the zoneinfo tree. */
static int zone_name_valid(const char *zone)
{
    const char *p;

    if (*zone == '\0' || *zone == '/' || strstr(zone, "..") != NULL)
        return 0;
    for (p = zone; *p; p++)
        if (!isalnum((unsigned char)*p) && strchr("/_+-", *p) == NULL)
            return 0;
    return 1;
}

int cal_check_zone(const char *zone, char *err, size_t errlen)
{
    const char *dir = getenv("TZDIR");
    char path[4096];
    char magic[4];
    FILE *fp;
    size_t n;

    if (zone == NULL || !zone_name_valid(zone)) {
        snprintf(err, errlen,
                 "invalid time zone name \"%s\": use an IANA name such as "
                 "\"UTC\" or \"Europe/Berlin\"",
                 zone ? zone : "");
        return -1;
    }
    if (dir == NULL || *dir == '\0')
        dir = "/usr/share/zoneinfo";
    snprintf(path, sizeof(path), "%s/%s", dir, zone);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        snprintf(err, errlen,
                 "unknown time zone \"%s\": %s not found (%s); install "
                 "tzdata or use an IANA name such as \"Europe/Berlin\"",
                 zone, path, strerror(errno));
        return -1;
    }
    n = fread(magic, 1, sizeof(magic), fp);
    fclose(fp);
    if (n != sizeof(magic) || memcmp(magic, "TZif", 4) != 0) {
        snprintf(err, errlen, "invalid time zone \"%s\": %s is not a zone file",
                 zone, path);
        return -1;
    }
    return 0;
}

int cal_set_zone(const char *zone, char *err, size_t errlen)
{
    if (cal_check_zone(zone, err, errlen) != 0)
        return -1;
    if (setenv("TZ", zone, 1) != 0) {
        snprintf(err, errlen, "cannot set TZ=%s: %s", zone, strerror(errno));
        return -1;
    }
    tzset();
    atomic_fetch_add(&zone_generation, 1);
    return 0;
}

/* Local wall clock of "t" as seconds since local 1970-01-01 00:00. */
static int local_wall(time_t t, long long *wall)
{
    struct tm tm;
    struct cal_date d;

    if (localtime_r(&t, &tm) == NULL)
        return -1;
    d.year = tm.tm_year + 1900;
    d.month = tm.tm_mon + 1;
    d.day = tm.tm_mday;
    *wall = (long long)cal_days_from_civil(d) * 86400 + tm.tm_hour * 3600 +
            tm.tm_min * 60 + tm.tm_sec;
    return 0;
}

/* Binary search for the first second whose wall clock reaches "target". */
static time_t search_local_time(long long target)
{
    time_t lo = (time_t)(target - MAX_ZONE_SHIFT);
    time_t hi = (time_t)(target + MAX_ZONE_SHIFT);
    long long wall;

    /*
     * The wall clock only jumps back by a DST step (at most a few hours),
     * so within this window the predicate changes once in every zone whose
     * fall-back does not cross midnight.
     */
    if (local_wall(lo, &wall) != 0 || wall >= target)
        return -1;
    if (local_wall(hi, &wall) != 0 || wall < target)
        return -1;
    while (hi - lo > 1) {
        time_t mid = lo + (hi - lo) / 2;

        if (local_wall(mid, &wall) != 0)
            return -1;
        if (wall >= target)
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* Local wall clock minus UTC at "t", in seconds. */
static int utc_offset(time_t t, long long *offset)
{
    long long wall;

    if (local_wall(t, &wall) != 0)
        return -1;
    *offset = wall - (long long)t;
    return 0;
}

time_t cal_local_time(struct cal_date date, long seconds)
{
    long long target = (long long)cal_days_from_civil(date) * 86400 + seconds;
    long long guess_offset;
    long long offset;
    long long before;
    long long after;
    time_t t;

    /*
     * Away from a DST change the offset is the same for hours around the
     * answer, which is then target minus that offset: a few localtime_r()
     * calls instead of a search.  Near a change (a gap or a repeated hour)
     * the offsets differ and the search decides.
     */
    if (utc_offset((time_t)target, &guess_offset) != 0)
        return -1;
    t = (time_t)(target - guess_offset);
    if (utc_offset(t, &offset) != 0 ||
        utc_offset(t - MAX_DST_STEP, &before) != 0 ||
        utc_offset(t + MAX_DST_STEP, &after) != 0)
        return -1;
    if (offset == guess_offset && before == offset && after == offset)
        return t;
    return search_local_time(target);
}

int cal_day_at(time_t t, struct cal_day *out)
{
    /* Most calls of a thread fall on the day of its previous call. */
    static _Thread_local struct cal_day cached;
    static _Thread_local unsigned cached_generation;
    static _Thread_local int cached_valid;
    unsigned generation = atomic_load(&zone_generation);
    struct tm tm;
    struct cal_date next;

    if (cached_valid && cached_generation == generation && t >= cached.start &&
        t < cached.end) {
        *out = cached;
        return 0;
    }
    if (localtime_r(&t, &tm) == NULL)
        return -1;
    out->date.year = tm.tm_year + 1900;
    out->date.month = tm.tm_mon + 1;
    out->date.day = tm.tm_mday;
    next = cal_civil_from_days(cal_days_from_civil(out->date) + 1);
    out->start = cal_local_time(out->date, 0);
    out->end = cal_local_time(next, 0);
    if (out->start == (time_t)-1 || out->end == (time_t)-1)
        return -1;
    cached = *out;
    cached_generation = generation;
    cached_valid = 1;
    return 0;
}

int cal_format_clock(time_t t, char *buf, size_t len)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, len, "%H:%M %Z", &tm) == 0)
        return -1;
    return 0;
}
