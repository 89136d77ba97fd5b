/*
 * keys.h - Redis key names
 *
 * Every key of one source IP carries the IP as its hash tag, so a Redis
 * Cluster keeps them in one slot and one script can change them together:
 *
 *   PREFIX:{SOURCE}:day:YYYY-MM-DD    hash: messages, recipients, tempfailed
 *
 * Limits never appear in key names, so editing a cap keeps today's count.
 */
#ifndef RAMPART_KEYS_H
#define RAMPART_KEYS_H

#include "calendar.h"

#include <stddef.h>

/* Write the day counter key of "source" on "date".  Returns 0 or -1. */
int keys_day(char *buf, size_t len, const char *prefix, const char *source,
             struct cal_date date);

#endif
