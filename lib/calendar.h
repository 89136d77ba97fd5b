/*
 * calendar.h - calendar days and local times in the configured time zone
 *
 * Daily caps follow calendar days of one IANA time zone, which may be 23,
 * 24 or 25 hours long.  The zone is process-wide (the TZ environment
 * variable), set once by cal_set_zone() before threads start or while the
 * caller holds every other thread off the calendar.
 */
#ifndef RAMPART_CALENDAR_H
#define RAMPART_CALENDAR_H

#include <stddef.h>
#include <time.h>

/* "YYYY-MM-DD" plus NUL. */
#define CAL_DATE_TEXT 11

struct cal_date {
    int year;
    int month; /* 1..12 */
    int day;   /* 1..31 */
};

/* One calendar day of the configured zone, as a half-open UTC interval. */
struct cal_day {
    struct cal_date date;
    time_t start; /* first second of the day */
    time_t end;   /* first second of the next day */
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
long cal_days_from_civil(struct cal_date d);

/* Inverse of cal_days_from_civil(). */
struct cal_date cal_civil_from_days(long days);

/* Parse strict "YYYY-MM-DD" naming a real date.  Returns 0 or -1. */
int cal_parse_date(const char *text, struct cal_date *out);

/* Format as "YYYY-MM-DD" into a buffer of at least CAL_DATE_TEXT bytes. */
void cal_format_date(struct cal_date d, char *buf, size_t len);

/*
 * Check that "zone" (an IANA name such as "Europe/Berlin") has a zone file
 * under $TZDIR or /usr/share/zoneinfo.  Returns 0, or -1 with a message in
 * "err".
 */
int cal_check_zone(const char *zone, char *err, size_t errlen);

/*
 * Check "zone" and make it the zone of all later calendar calls.
 * Returns 0, or -1 with a message in "err".
 */
int cal_set_zone(const char *zone, char *err, size_t errlen);

/* Store the local calendar day containing UTC time "t".  Returns 0 or -1. */
int cal_day_at(time_t t, struct cal_day *out);

/*
 * Return the first UTC second at which the local wall clock reads "date"
 * at "seconds" past midnight or later.  A wall time skipped by a DST
 * change maps to the first second after the gap.  Returns -1 on failure.
 */
time_t cal_local_time(struct cal_date date, long seconds);

/* Format "t" as local "HH:MM ZONE", e.g. "00:00 CET".  Returns 0 or -1. */
int cal_format_clock(time_t t, char *buf, size_t len);

#endif
