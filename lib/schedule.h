/*
 * schedule.h - warm-up schedules: the cap of each ramp day
 */
#ifndef RAMPART_SCHEDULE_H
#define RAMPART_SCHEDULE_H

#include <stddef.h>

/* Largest cap a schedule or source may name, in messages or recipients. */
#define SCHED_CAP_MAX 1000000000000L

enum sched_kind {
    SCHED_FLAT,    /* the same cap every day */
    SCHED_DAILY,   /* one cap per day from a table, then the last one */
    SCHED_WEEKLY,  /* one cap per week from a table, then +N per week */
    SCHED_DOUBLING /* multiply by a factor every N days up to a target */
};

struct schedule {
    char *name;
    enum sched_kind kind;
    long *table;       /* DAILY: caps by day; WEEKLY: caps by week */
    size_t table_len;  /* entries in table */
    long per_day;      /* FLAT: cap of every day */
    long add_per_week; /* WEEKLY: growth per week after the table */
    long start;        /* DOUBLING: cap of day 1 */
    double factor;     /* DOUBLING: multiplier, greater than 1 */
    long every_days;   /* DOUBLING: days between multiplications */
    long target;       /* WEEKLY, DOUBLING: cap never exceeds it; 0: none */
    int line;          /* line of the definition in the config file */
};

/*
 * Return the cap of ramp day "day" (day 1 is the start date).  Days
 * before the start have cap 0.
 */
long sched_cap(const struct schedule *s, long day);

/*
 * Write the compact form the decision script computes caps from, e.g.
 * "weekly:2800,4300,5700,7000:4000:100000".  Returns 0, or -1 when "len"
 * is too small.
 */
int sched_spec(const struct schedule *s, char *buf, size_t len);

/* Write the spec of a fixed daily cap, "fixed:N".  Returns 0 or -1. */
int sched_spec_fixed(long cap, char *buf, size_t len);

/* Return the schedule's form as its config word, e.g. "weekly". */
const char *sched_kind_name(enum sched_kind kind);

#endif
