/*
 * ramp.c - where a source stands on its warm-up ramp on a given day
 */
#include "ramp.h"

#include <string.h>

int ramp_today(const struct source *src, time_t now, struct ramp_today *out)
{
    memset(out, 0, sizeof(*out));
    if (cal_day_at(now, &out->day) != 0)
        return -1;
    if (src->schedule == NULL) {
        out->cap = src->daily_cap;
        return 0;
    }
    out->scheduled = true;
    out->ramp_day = cal_days_from_civil(out->day.date) -
                    cal_days_from_civil(src->start) + 1;
    out->cap = sched_cap(src->schedule, out->ramp_day);
    return 0;
}
