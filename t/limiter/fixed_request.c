/*
 * fixed_request.c - decision requests with fixed caps
 */
#include "fixed_request.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static const struct ramp_config default_gates = {.advance_min_use = 0.8,
                                                 .max_bounce_rate = 0.10,
                                                 .max_complaint_rate = 0.001,
                                                 .on_block = BLOCK_STEP_DOWN,
                                                 .block_step_down = 1,
                                                 .block_pause_hours = 24,
                                                 .history = 100};

void fixed_request(struct limiter_request *req, const char *key, long cap,
                   enum limiter_mode mode, long recipients)
{
    time_t now = time(NULL);
    struct tm tm;
    struct limiter_ramp *r = &req->ramp;

    memset(req, 0, sizeof(*req));
    ck_assert_ptr_nonnull(gmtime_r(&now, &tm));
    req->mode = mode;
    req->day.date =
        (struct cal_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    req->day.start = now - 43200;
    req->day.end = now + 43200;

    snprintf(r->state_key, sizeof(r->state_key), "t:{192.0.2.1}:ramp");
    snprintf(r->log_key, sizeof(r->log_key), "t:{192.0.2.1}:ramp:log");
    snprintf(r->day_prefix, sizeof(r->day_prefix), "t:{192.0.2.1}:day:");
    snprintf(r->start, sizeof(r->start), "1970-01-01");
    r->initial_step = 1;
    r->schedule = "";
    snprintf(r->spec, sizeof(r->spec), "fixed:1000000");
    r->unit = UNIT_RECIPIENTS;
    r->gates = &default_gates;

    req->count = 1;
    snprintf(req->limits[0].key, sizeof(req->limits[0].key), "%s", key);
    req->limits[0].unit = UNIT_RECIPIENTS;
    req->limits[0].cap_kind = LIMITER_CAP_FIXED;
    req->limits[0].cap_value = (double)cap;
    req->limits[0].messages = 1;
    req->limits[0].recipients = recipients;
    req->limits[0].window_start = now - 3600;
    req->limits[0].window_end = now + 3600;
    req->limits[0].expire_at = now + 7200;
}

void fixed_request_add(struct limiter_request *req, const char *key, long cap)
{
    struct limiter_limit *l;

    ck_assert_uint_lt(req->count, LIMITER_MAX_LIMITS);
    l = &req->limits[req->count++];
    *l = req->limits[0];
    snprintf(l->key, sizeof(l->key), "%s", key);
    l->cap_value = (double)cap;
}

void fixed_request_recipients(struct limiter_request *req, long recipients)
{
    for (size_t i = 0; i < req->count; i++)
        req->limits[i].recipients = recipients;
}
