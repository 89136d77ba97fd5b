/*
 * limiter.h - the arguments and the reply of the decision script (limit.lua)
 *
 * Building the request and reading the reply are kept apart from any I/O,
 * so that blocking (milter) and event-driven (policy server) callers share
 * them and tests can exercise them without a network.
 */
#ifndef RAMPART_LIMITER_H
#define RAMPART_LIMITER_H

#include "calendar.h"
#include "config.h"

#include <hiredis.h>
#include <stddef.h>
#include <time.h>

#define LIMITER_MAX_LIMITS    56
#define LIMITER_MAX_PROVIDERS 8
#define LIMITER_KEY_MAX       320
#define LIMITER_SPEC_MAX      1024

/* Each script's source and SHA1, generated from its .lua file at build time. */
extern const char limit_script[];
extern const char limit_script_sha1[];
extern const char outcome_script[];
extern const char outcome_script_sha1[];
extern const char admin_script[];
extern const char admin_script_sha1[];

enum limiter_mode {
    LIMITER_CHECK,  /* at RCPT: charges nothing */
    LIMITER_CHARGE, /* at end of message: checks and charges */
    LIMITER_EXPLAIN /* like CHECK, but writes nothing at all */
};

/*
 * The ramp of the source: its state key and the defaults to create it.
 * "skip" leaves it out (no limit needs the source's cap or state); the
 * source is then neither paused nor started by the script.
 */
struct limiter_ramp {
    int skip;
    char state_key[LIMITER_KEY_MAX];  /* PREFIX:{SOURCE}:ramp */
    char log_key[LIMITER_KEY_MAX];    /* PREFIX:{SOURCE}:ramp:log */
    char day_prefix[LIMITER_KEY_MAX]; /* PREFIX:{SOURCE}:day: */
    char start[CAL_DATE_TEXT];        /* first sending date */
    long initial_step;                /* step of a new ramp state */
    const char *schedule;             /* name; "" for a fixed daily cap */
    char spec[LIMITER_SPEC_MAX];      /* see sched_spec() */
    enum count_unit unit;
    const struct ramp_config *gates;
};

/* A per-provider ramp: its own step, a share of the schedule's cap. */
struct limiter_provider_ramp {
    const char *name;
    double share;
};

enum limiter_cap_kind {
    LIMITER_CAP_FIXED,   /* cap_value is the cap */
    LIMITER_CAP_SOURCE,  /* cap_value is a share of the source's cap */
    LIMITER_CAP_PROVIDER /* cap_value is a provider ramp index (from 1) */
};

/* The subject of a limit, for reply texts (not sent to the script). */
enum limiter_kind {
    LIMIT_SOURCE_DAY,    /* the source's daily cap */
    LIMIT_SOURCE_HOUR,   /* the source's hourly cap */
    LIMIT_PROVIDER_RAMP, /* a provider ramp's daily cap */
    LIMIT_POLICY_HOUR,   /* a domain limit per hour */
    LIMIT_POLICY_DAY     /* a domain limit per day */
};

/* One limit on one counter key. */
struct limiter_limit {
    enum limiter_kind kind;
    const char *scope; /* provider or domain of the limit, or NULL */
    char key[LIMITER_KEY_MAX];
    enum count_unit unit;
    enum limiter_cap_kind cap_kind;
    double cap_value;
    long messages; /* units this message adds to the key */
    long recipients;
    time_t window_start; /* the UTC interval the key counts */
    time_t window_end;
    time_t expire_at; /* TTL set when the step creates the key */
};

/* Pacing of the source: its cap spread over the send window by GCRA. */
struct limiter_pacing {
    int enabled;
    char key[LIMITER_KEY_MAX]; /* PREFIX:{SOURCE}:pace */
    time_t open;               /* today's send window; open == close: shut */
    time_t close;
    time_t next_open; /* start of the next window after now */
    long burst;       /* units of tolerance; 0: automatic */
    long units;       /* units this message adds */
    time_t expire_at;
};

struct limiter_request {
    enum limiter_mode mode;
    long clock_offset; /* seconds added to Redis TIME (test builds only) */
    struct cal_day day;
    struct limiter_ramp ramp;
    size_t provider_count;
    struct limiter_provider_ramp providers[LIMITER_MAX_PROVIDERS];
    size_t count; /* limits in use; limits[0] is the source's day counter */
    struct limiter_limit limits[LIMITER_MAX_LIMITS];
    struct limiter_pacing pacing;
};

enum limiter_status {
    LIMITER_OK,      /* every limit has room (and was charged) */
    LIMITER_OVER,    /* refused; nothing was charged */
    LIMITER_CLOCK,   /* Redis time lies outside the day: rebuild, retry */
    LIMITER_SCHEDULE /* the ramp state names another schedule: retry */
};

/* The reason a message or recipient was deferred. */
enum limiter_refusal {
    REFUSED_START,  /* before the source's start date */
    REFUSED_PAUSED, /* the source or one of its provider ramps is paused */
    REFUSED_WINDOW, /* outside the send hours */
    REFUSED_LIMIT,  /* limits[over_index] has no room */
    REFUSED_PACE    /* the pacing rate has no room yet */
};

struct limiter_result {
    enum limiter_status status;
    time_t now; /* Redis TIME plus the clock offset, seconds */
    long now_usec;
    long step; /* the source's ramp step after any move today */
    long cap;  /* the source's cap today */
    enum limiter_refusal refusal;
    size_t over_index;      /* REFUSED_LIMIT: index into the request's limits */
    size_t paused_provider; /* REFUSED_PAUSED: provider ramp index + 1, or
                               0 when the source itself is paused */
    long over_used;
    long over_cap;
    time_t retry_at;  /* PAUSED: end of the pause or 0; WINDOW, PACE */
    char detail[256]; /* START: date; PAUSED: reason; SCHEDULE: name */
    long used[LIMITER_MAX_LIMITS]; /* count of each limit after the step */
    long caps[LIMITER_MAX_LIMITS]; /* LIMITER_OK: the cap of each limit */
};

/* Text arguments of EVALSHA, with room for every limit and provider. */
#define LIMITER_ARGC_MAX                                                       \
    (3 + LIMITER_MAX_LIMITS + 24 + 2 * LIMITER_MAX_PROVIDERS +                 \
     8 * LIMITER_MAX_LIMITS + 8)

struct limiter_argv {
    int argc;
    const char *argv[LIMITER_ARGC_MAX];
    size_t argvlen[LIMITER_ARGC_MAX];
    char numbers[LIMITER_ARGC_MAX][32]; /* storage for numeric arguments */
};

/*
 * Fill "out" with an EVALSHA command for "req".  The strings point into
 * "req" and "out", which must outlive the command.  With "use_eval" set,
 * the command is EVAL with the script text, for the NOSCRIPT fallback.
 */
void limiter_build(const struct limiter_request *req, int use_eval,
                   struct limiter_argv *out);

/*
 * Read the script's reply.  Returns 0, or -1 with a description of the
 * unexpected reply in "err" (an error reply is passed on as its text).
 */
int limiter_parse(const redisReply *reply, const struct limiter_request *req,
                  struct limiter_result *out, char *err, size_t errlen);

#endif
