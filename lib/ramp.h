/*
 * ramp.h - where a source stands on its warm-up ramp on a given day
 */
#ifndef RAMPART_RAMP_H
#define RAMPART_RAMP_H

#include "calendar.h"
#include "config.h"

#include <stdbool.h>
#include <time.h>

struct ramp_today {
    struct cal_day day; /* the calendar day in the configured zone */
    bool scheduled;     /* false: a fixed daily_cap */
    long ramp_day;      /* scheduled: 1 on the start date, < 1 before it */
    long cap;           /* today's cap in the configured unit */
};

/* Store the ramp position of "src" at UTC time "now".  Returns 0 or -1. */
int ramp_today(const struct source *src, time_t now, struct ramp_today *out);

#endif
