/*
 * keys.h - Redis key names
 *
 * Every key of one source IP carries the IP as its hash tag, so a Redis
 * Cluster keeps them in one slot and one script can change them together:
 *
 *   PREFIX:{SOURCE}:day:YYYY-MM-DD           hash: messages, recipients,
 *                                            tempfailed, delivered, deferred,
 *                                            bounced, complained, blocked
 *   PREFIX:{SOURCE}:day:YYYY-MM-DD:PROVIDER  the same for one provider
 *   PREFIX:{SOURCE}:hour:YYYY-MM-DDTHH       hash: messages, recipients
 *   PREFIX:{SOURCE}:ramp                     hash: the ramp state
 *   PREFIX:{SOURCE}:ramp:log                 list: ramp moves, newest first
 *   PREFIX:{SOURCE}:ramp:PROVIDER[:log]      a provider ramp and its log
 *   PREFIX:{SOURCE}:pace                     pacing state (GCRA)
 *   PREFIX:{SOURCE}:event:ID                 a recorded outcome's id
 *   PREFIX:{SOURCE}:policy:SCOPE:day:DATE    rampart-policyd's domain
 *   PREFIX:{SOURCE}:policy:SCOPE:hour:DATETHH  limits, per provider name
 *                                            or per domain (SCOPE)
 *
 * Limits never appear in key names, so editing a cap keeps today's count.
 * Each function returns 0, or -1 when the name does not fit in "len".
 */
#ifndef RAMPART_KEYS_H
#define RAMPART_KEYS_H

#include "calendar.h"

#include <stddef.h>

/* PREFIX:{SOURCE}:day:DATE, or with ":PROVIDER" when provider is set. */
int keys_day(char *buf, size_t len, const char *prefix, const char *source,
             struct cal_date date, const char *provider);

/* PREFIX:{SOURCE}:day: (the script appends dates to it). */
int keys_day_prefix(char *buf, size_t len, const char *prefix,
                    const char *source);

/*
 * PREFIX:{SOURCE}:hour:DATETHH for local hour "hour" of "date"; hour + 24
 * names the second pass of an hour repeated when clocks go back
 * (DATETHHb).
 */
int keys_hour(char *buf, size_t len, const char *prefix, const char *source,
              struct cal_date date, int hour);

/* PREFIX:{SOURCE}:ramp, or PREFIX:{SOURCE}:ramp:PROVIDER. */
int keys_ramp(char *buf, size_t len, const char *prefix, const char *source,
              const char *provider);

/* The log list of a ramp state: its key plus ":log". */
int keys_ramp_log(char *buf, size_t len, const char *prefix, const char *source,
                  const char *provider);

/* PREFIX:{SOURCE}:pace */
int keys_pace(char *buf, size_t len, const char *prefix, const char *source);

/* PREFIX:{SOURCE}:event:ID */
int keys_event(char *buf, size_t len, const char *prefix, const char *source,
               const char *id);

/*
 * PREFIX:{SOURCE}:policy:SCOPE:day:DATE, or with hour >= 0
 * PREFIX:{SOURCE}:policy:SCOPE:hour:DATETHH.
 */
int keys_policy(char *buf, size_t len, const char *prefix, const char *source,
                const char *scope, struct cal_date date, int hour);

#endif
