/*
 * keys.c - Redis key names
 */
#include "keys.h"

#include <stdio.h>

static int fits(int n, size_t len)
{
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

int keys_day(char *buf, size_t len, const char *prefix, const char *source,
             struct cal_date date, const char *provider)
{
    char text[CAL_DATE_TEXT];

    cal_format_date(date, text, sizeof(text));
    return fits(snprintf(buf, len, "%s:{%s}:day:%s%s%s", prefix, source, text,
                         provider ? ":" : "", provider ? provider : ""),
                len);
}

int keys_day_prefix(char *buf, size_t len, const char *prefix,
                    const char *source)
{
    return fits(snprintf(buf, len, "%s:{%s}:day:", prefix, source), len);
}

int keys_hour(char *buf, size_t len, const char *prefix, const char *source,
              struct cal_date date, int hour)
{
    char text[CAL_DATE_TEXT];

    cal_format_date(date, text, sizeof(text));
    return fits(snprintf(buf, len, "%s:{%s}:hour:%sT%02d%s", prefix, source,
                         text, hour % 24, hour >= 24 ? "b" : ""),
                len);
}

int keys_ramp(char *buf, size_t len, const char *prefix, const char *source,
              const char *provider)
{
    return fits(snprintf(buf, len, "%s:{%s}:ramp%s%s", prefix, source,
                         provider ? ":" : "", provider ? provider : ""),
                len);
}

int keys_ramp_log(char *buf, size_t len, const char *prefix, const char *source,
                  const char *provider)
{
    return fits(snprintf(buf, len, "%s:{%s}:ramp%s%s:log", prefix, source,
                         provider ? ":" : "", provider ? provider : ""),
                len);
}

int keys_pace(char *buf, size_t len, const char *prefix, const char *source)
{
    return fits(snprintf(buf, len, "%s:{%s}:pace", prefix, source), len);
}

int keys_event(char *buf, size_t len, const char *prefix, const char *source,
               const char *id)
{
    return fits(snprintf(buf, len, "%s:{%s}:event:%s", prefix, source, id),
                len);
}

int keys_policy(char *buf, size_t len, const char *prefix, const char *source,
                const char *scope, struct cal_date date, int hour)
{
    char text[CAL_DATE_TEXT];

    cal_format_date(date, text, sizeof(text));
    if (hour < 0)
        return fits(snprintf(buf, len, "%s:{%s}:policy:%s:day:%s", prefix,
                             source, scope, text),
                    len);
    return fits(snprintf(buf, len, "%s:{%s}:policy:%s:hour:%sT%02d%s", prefix,
                         source, scope, text, hour % 24, hour >= 24 ? "b" : ""),
                len);
}
