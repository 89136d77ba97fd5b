/*
 * ramp_fixture.h - the ramp of one source in a private redis-server, with
 * a decision clock that the test moves
 *
 * A test loads a rampart.conf text.  The fixture adds the redis group for
 * its server and a route to FIXTURE_SOURCE, which the text must define as
 * its first source.  The clock moves as in a test build of the daemons:
 * through cfg->test_clock_offset, which the decision script adds to Redis
 * TIME.  Every helper fails the running test when its call fails.
 */
#ifndef RAMPART_TEST_RAMP_FIXTURE_H
#define RAMPART_TEST_RAMP_FIXTURE_H

#include "quota.h"
#include "ramp.h"
#include "redis_server.h"

#include <time.h>

#define FIXTURE_SOURCE "203.0.113.10"

/* The server, the loaded config (tests may edit it) and the store. */
extern struct redis_server fixture_server;
extern struct rampart_config *fixture_cfg;
extern struct store *fixture_store;

/*
 * Start a server, load "conf" plus the fixture's redis group and route,
 * set the config's time zone and open a store.
 */
void fixture_start(const char *conf);

/* Close the store, free the config and remove the server. */
void fixture_stop(void);

/* The first source of the config. */
const struct source *fixture_source(void);

/* The UTC time at which the local wall clock of "date" reads hh:mm. */
time_t local_time(struct cal_date date, int hour, int minute);

/* The date "days" days after "date". */
struct cal_date date_add(struct cal_date date, long days);

/*
 * A Monday two to three weeks after the real date, so that counters keyed
 * by simulated days get TTLs in the future of the real Redis clock.
 */
struct cal_date future_monday(void);

/* The spec of the schedule "daily" that start_daily() defines. */
#define DAILY_SPEC "daily:100,200,400,800,1600"

/*
 * Start the fixture with the schedule "daily" (caps 100, 200, 400, 800
 * and 1600 at steps 1 to 5) and FIXTURE_SOURCE on it from 2026-01-01.
 * "source_keys" is added to the source's group and "extra" to the config.
 * The clock starts at 10:00 on future_monday().
 */
void start_daily(const char *source_keys, const char *extra);

/* Start the fixture with "conf" and the clock at 10:00 on future_monday(). */
void start_at_monday(const char *conf);

/* Move the decision clock to 10:00 local time "days" days later. */
void next_days(long days);

/* Move the decision clock to UTC time "t", or by "seconds". */
void clock_set(time_t t);
void clock_advance(long seconds);

/* The decision clock now, and its local date. */
time_t clock_now(void);
struct cal_date clock_date(void);

/* Run quota_run() for "msg"; fail the test when it returns -1. */
void decide(enum limiter_mode mode, const struct quota_message *msg,
            struct quota_outcome *out);

/* Run quota_run() for a message of "recipients" and no provider parts. */
void decide_simple(enum limiter_mode mode, long recipients,
                   struct quota_outcome *out);

/* Check one recipient and return the source's step in the reply. */
long current_step(void);

/* Check one recipient and return the source's cap in the reply. */
long current_cap(void);

/* Fail unless a check of one recipient reports this step or cap. */
#define assert_step(want)                                                      \
    do {                                                                       \
        long got_step = current_step();                                        \
        ck_assert_msg(got_step == (want), "got step %ld, want %ld", got_step,  \
                      (long)(want));                                           \
    } while (0)
#define assert_cap(want)                                                       \
    do {                                                                       \
        long got_cap = current_cap();                                          \
        ck_assert_msg(got_cap == (want), "got cap %ld, want %ld", got_cap,     \
                      (long)(want));                                           \
    } while (0)

/* Charge one message of "recipients"; fail unless it is accepted. */
void send_accepted(long recipients);

/*
 * Charge one message of "recipients" and record its outcomes for today:
 * "bounced" and "complained" of them, the rest delivered.
 */
void send_day(long recipients, long bounced, long complained);

/*
 * Record "count" outcomes of "kind" for today's date.  "provider",
 * "event_id" and "reason" may be NULL.  Returns ramp_record()'s 0 or 1.
 */
int record(enum outcome_kind kind, long count, const char *provider,
           const char *event_id, const char *reason);

/*
 * Apply "change" with today's date for the log.  Returns the step before
 * the change.
 */
long change(struct ramp_change change);

/* A field of the source's ramp state, or of its provider ramp "provider". */
long state_number(const char *provider, const char *field);
void state_text(const char *provider, const char *field, char *buf, size_t len);

/* Entry "index" of a ramp's log (0 is the newest), or "" when absent. */
void log_entry(const char *provider, long index, char *buf, size_t len);

/* The number of entries in a ramp's log. */
long log_length(const char *provider);

#endif
