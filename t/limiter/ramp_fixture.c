/*
 * ramp_fixture.c - the ramp of one source in a private redis-server, with
 * a decision clock that the test moves
 */
#include "ramp_fixture.h"

#include "keys.h"
#include "test_files.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct redis_server fixture_server;
struct rampart_config *fixture_cfg;
struct store *fixture_store;

void fixture_start(const char *conf)
{
    char text[8192];
    char path[512];
    char *errors = NULL;
    char err[512];
    int n;

    /* As the daemons do: a write to a closed socket must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    redis_server_start(&fixture_server, NULL);

    /*
     * Counters expire retention_days after their simulated day, and
     * EXPIREAT drops a key at once when that time has passed on the real
     * Redis clock.  The maximum keeps past days (such as a DST date before
     * today) readable.
     */
    n = snprintf(text, sizeof(text),
                 "redis = {\n    address = \"unix:%s\";\n"
                 "    timeout_ms = 2000;\n    retention_days = 3660;\n};\n"
                 "%s"
                 "routes = ( { source = \"" FIXTURE_SOURCE "\"; } );\n",
                 fixture_server.socket, conf);
    ck_assert_msg(n > 0 && (size_t)n < sizeof(text), "config text too long");
    file_write(path, sizeof(path), fixture_server.dir, "rampart.conf", text);
    fixture_cfg = config_load(path, &errors);
    ck_assert_msg(fixture_cfg != NULL, "rampart.conf rejected: %s", errors);
    ck_assert_msg(cal_set_zone(fixture_cfg->timezone, err, sizeof(err)) == 0,
                  "%s", err);
    fixture_store = store_open(&fixture_cfg->redis);
    ck_assert_ptr_nonnull(fixture_store);
}

void fixture_stop(void)
{
    store_close(fixture_store);
    fixture_store = NULL;
    config_free(fixture_cfg);
    fixture_cfg = NULL;
    redis_server_cleanup(&fixture_server);
}

const struct source *fixture_source(void)
{
    return &fixture_cfg->sources[0];
}

time_t local_time(struct cal_date date, int hour, int minute)
{
    time_t t = cal_local_time(date, hour * 3600L + minute * 60L);

    ck_assert_msg(t != (time_t)-1, "cal_local_time(%04d-%02d-%02d %02d:%02d)",
                  date.year, date.month, date.day, hour, minute);
    return t;
}

struct cal_date date_add(struct cal_date date, long days)
{
    return cal_civil_from_days(cal_days_from_civil(date) + days);
}

struct cal_date future_monday(void)
{
    struct cal_day today;
    long days;

    ck_assert_int_eq(cal_day_at(time(NULL), &today), 0);
    days = cal_days_from_civil(today.date) + 14;
    while ((days + 4) % 7 != 1) /* 1970-01-01 was a Thursday */
        days++;
    return cal_civil_from_days(days);
}

void start_daily(const char *source_keys, const char *extra)
{
    char conf[4096];
    int n = snprintf(conf, sizeof(conf),
                     "schedules = { daily = { per_day = [100, 200, 400, 800, "
                     "1600]; }; };\n"
                     "sources = ( { address = \"" FIXTURE_SOURCE "\";\n"
                     "    schedule = \"daily\"; start = \"2026-01-01\";%s } "
                     ");\n%s",
                     source_keys, extra);

    ck_assert_msg(n > 0 && (size_t)n < sizeof(conf), "config text too long");
    start_at_monday(conf);
}

void start_at_monday(const char *conf)
{
    fixture_start(conf);
    clock_set(local_time(future_monday(), 10, 0));
}

void next_days(long days)
{
    clock_set(local_time(date_add(clock_date(), days), 10, 0));
}

void clock_set(time_t t)
{
    fixture_cfg->test_clock_offset = (long)(t - time(NULL));

    /*
     * The store estimates the Redis clock from its last reply.  Telling it
     * the new time lets the next request name the right day at once.
     */
    store_observe_time(fixture_store, t, 0);
}

void clock_advance(long seconds)
{
    clock_set(clock_now() + seconds);
}

time_t clock_now(void)
{
    return time(NULL) + fixture_cfg->test_clock_offset;
}

struct cal_date clock_date(void)
{
    struct cal_day day;

    ck_assert_int_eq(cal_day_at(clock_now(), &day), 0);
    return day.date;
}

void decide(enum limiter_mode mode, const struct quota_message *msg,
            struct quota_outcome *out)
{
    char err[512] = "";

    ck_assert_msg(quota_run(fixture_store, fixture_cfg, fixture_source(), mode,
                            msg, out, err, sizeof(err)) == 0,
                  "quota_run failed: %s", err);
}

void decide_simple(enum limiter_mode mode, long recipients,
                   struct quota_outcome *out)
{
    struct quota_message msg = {.recipients = recipients};

    decide(mode, &msg, out);
}

long current_step(void)
{
    struct quota_outcome out;

    decide_simple(LIMITER_CHECK, 1, &out);
    return out.step;
}

long current_cap(void)
{
    struct quota_outcome out;

    decide_simple(LIMITER_CHECK, 1, &out);
    return out.cap;
}

void send_accepted(long recipients)
{
    struct quota_outcome out;

    decide_simple(LIMITER_CHARGE, recipients, &out);
    ck_assert_msg(out.action == QUOTA_ACCEPT,
                  "charge of %ld recipients: got a deferral (%s), want "
                  "acceptance",
                  recipients, out.reason);
}

void send_day(long recipients, long bounced, long complained)
{
    send_accepted(recipients);
    record(OUTCOME_DELIVERED, recipients - bounced, NULL, NULL, NULL);
    if (bounced > 0)
        record(OUTCOME_BOUNCED, bounced, NULL, NULL, NULL);
    if (complained > 0)
        record(OUTCOME_COMPLAINED, complained, NULL, NULL, NULL);
}

int record(enum outcome_kind kind, long count, const char *provider,
           const char *event_id, const char *reason)
{
    struct outcome_event ev = {.kind = kind,
                               .count = count,
                               .provider = provider,
                               .date = clock_date(),
                               .event_id = event_id,
                               .reason = reason};
    long after = 0;
    char err[512] = "";
    int rc = ramp_record(fixture_store, fixture_cfg, FIXTURE_SOURCE, &ev,
                         &after, err, sizeof(err));

    ck_assert_msg(rc == 0 || rc == 1, "ramp_record(%s) failed: %s",
                  outcome_field(kind), err);
    return rc;
}

long change(struct ramp_change c)
{
    long previous = -1;
    char err[512] = "";

    c.date = clock_date();
    ck_assert_msg(ramp_change(fixture_store, fixture_cfg, FIXTURE_SOURCE, &c,
                              &previous, err, sizeof(err)) == 0,
                  "ramp_change failed: %s", err);
    return previous;
}

static void ramp_key(const char *provider, char *key, size_t len)
{
    ck_assert_int_eq(keys_ramp(key, len, fixture_cfg->redis.prefix,
                               FIXTURE_SOURCE, provider),
                     0);
}

long state_number(const char *provider, const char *field)
{
    char key[LIMITER_KEY_MAX];

    ramp_key(provider, key, sizeof(key));
    return redis_server_field(&fixture_server, key, field);
}

void state_text(const char *provider, const char *field, char *buf, size_t len)
{
    char key[LIMITER_KEY_MAX];
    redisReply *reply;

    ramp_key(provider, key, sizeof(key));
    reply = redis_server_command(&fixture_server, "HGET %s %s", key, field);
    snprintf(buf, len, "%s",
             reply->type == REDIS_REPLY_STRING ? reply->str : "");
    freeReplyObject(reply);
}

void log_entry(const char *provider, long index, char *buf, size_t len)
{
    char key[LIMITER_KEY_MAX];
    redisReply *reply;

    ck_assert_int_eq(keys_ramp_log(key, sizeof(key), fixture_cfg->redis.prefix,
                                   FIXTURE_SOURCE, provider),
                     0);
    reply = redis_server_command(&fixture_server, "LINDEX %s %ld", key, index);
    snprintf(buf, len, "%s",
             reply->type == REDIS_REPLY_STRING ? reply->str : "");
    freeReplyObject(reply);
}

long log_length(const char *provider)
{
    char key[LIMITER_KEY_MAX];

    ck_assert_int_eq(keys_ramp_log(key, sizeof(key), fixture_cfg->redis.prefix,
                                   FIXTURE_SOURCE, provider),
                     0);
    return (long)redis_server_integer(&fixture_server, "LLEN %s", key);
}
