/*
 * keys.c - Redis key names
 */
#include "keys.h"

#include <stdio.h>

int keys_day(char *buf, size_t len, const char *prefix, const char *source,
             struct cal_date date)
{
    char text[CAL_DATE_TEXT];
    int n;

    cal_format_date(date, text, sizeof(text));
    n = snprintf(buf, len, "%s:{%s}:day:%s", prefix, source, text);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}
