/*
 * config.h - rampart.conf: the settings every rampart program shares
 */
#ifndef RAMPART_CONFIG_H
#define RAMPART_CONFIG_H

#include "addr.h"
#include "calendar.h"
#include "endpoint.h"
#include "schedule.h"

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_DEFAULT_PATH "/etc/rampart/rampart.conf"

/* What warm-up caps count. */
enum count_unit { UNIT_RECIPIENTS, UNIT_MESSAGES };

/* What a daemon does when Redis fails, times out or returns an error. */
enum store_error_action { STORE_ERROR_TEMPFAIL, STORE_ERROR_ACCEPT };

struct redis_config {
    char *address; /* as written in the file */
    struct endpoint endpoint;
    int timeout_ms;      /* bound on each Redis call, connect included */
    char *prefix;        /* first part of every key name */
    char *username;      /* ACL user for AUTH, or NULL */
    char *password_file; /* or NULL */
    char *password;      /* contents of password_file; never logged */
    int database;        /* SELECT index */
    int retention_days;  /* days a day's counters stay after the day ends */
};

/* The effect of a block signal (a provider's "stop sending") on a ramp. */
enum block_action {
    BLOCK_STEP_DOWN, /* at the next sending day, go back block_step_down */
    BLOCK_HOLD,      /* at the next sending day, keep the step */
    BLOCK_PAUSE      /* pause at once, for block_pause_hours */
};

/* Gates that decide, each new sending day, how the ramp moves. */
struct ramp_config {
    double advance_min_use;    /* share of the last day's cap to use */
    double max_bounce_rate;    /* bounced / (delivered + bounced) */
    double max_complaint_rate; /* complained / delivered */
    enum block_action on_block;
    int block_step_down;   /* steps back per block signal day */
    int block_pause_hours; /* BLOCK_PAUSE: 0 pauses until resumed */
    int history;           /* ramp moves kept in the log list */
};

/* The day's cap spread over the send hours (GCRA), and an hourly cap. */
struct pacing_config {
    bool enabled;
    int open_minute;    /* minutes after local midnight */
    int close_minute;   /* 1..1440, after open_minute */
    bool weekdays_only; /* no sending on Saturday and Sunday */
    long burst;         /* units sent at once; 0: max(20, cap / 100) */
    long per_hour;      /* cap per local clock hour; 0: none */
};

/* A sending IP and how much it may send per day. */
struct source {
    char address[ADDR_TEXT_MAX];     /* canonical form */
    const struct schedule *schedule; /* NULL for a fixed daily_cap */
    struct cal_date start;           /* first day the source may send */
    long initial_step;               /* step of a new ramp state */
    long daily_cap;                  /* cap when schedule is NULL */
    struct pacing_config pacing;     /* the global pacing, overridden */
    int line;
};

/* A group of recipient domains that one mailbox provider serves. */
struct provider {
    char *name;
    char **domains; /* normalized, exact matches */
    size_t domain_count;
    char **suffixes; /* ".yahoo.com" matches any subdomain */
    size_t suffix_count;
    int line;
};

/* Hourly and daily limits per source IP for one provider's domains. */
struct domain_limit {
    char *provider;      /* a provider name, or "*": each other domain */
    long per_hour;       /* 0: none */
    long per_day;        /* 0: none */
    double share_of_cap; /* of the source's cap today; 0: none */
    enum count_unit unit;
    int line;
};

/* rampart-policyd settings: sockets, connection limits and replies. */
struct policy_config {
    char **sockets; /* as written in the file */
    struct endpoint *endpoints;
    size_t socket_count;
    bool warmup; /* also enforce the sources' warm-up caps */
    char *pid_file;
    int socket_mode;
    char *socket_group;
    bool allow_remote;
    int max_connections;
    int idle_timeout_s;
    int instance_timeout_s; /* drop a transaction's pending state */
    char *action;           /* reply over a limit, e.g. "450 4.7.1" */
};

/* A per-provider ramp, applied to every source. */
struct provider_ramp {
    char *provider; /* a provider name, or "default" for the rest */
    double share;   /* of the schedule's cap at the provider's step */
    int line;
};

/* A client network for route matching, e.g. 192.0.2.0/24. */
struct network {
    int family; /* AF_INET or AF_INET6; 0 when unset */
    unsigned char bytes[16];
    int prefix_len;
};

/* The first route whose conditions all hold picks the source. */
struct route {
    char *daemon_addr;     /* canonical, or NULL */
    char *daemon_name;     /* the MTA's {daemon_name} macro, or NULL */
    struct network client; /* client network, or family 0 */
    char *sender_domain;   /* normalized; ".example.com": subdomains */
    char *sasl_user;       /* or NULL */
    size_t source;         /* index into rampart_config.sources */
    int line;
};

struct milter_config {
    char *socket; /* as written in the file */
    struct endpoint endpoint;
    char *pid_file;
    char *header;       /* header naming the source IP, or NULL */
    int socket_mode;    /* permissions of a unix socket */
    char *socket_group; /* group of a unix socket, or NULL */
    bool allow_remote;  /* accept a non-loopback inet socket */
    int timeout_s;      /* libmilter's I/O timeout towards the MTA */
};

struct rampart_config {
    char *path;
    struct redis_config redis;
    char *timezone;
    enum count_unit count;
    enum store_error_action on_store_error;
    struct milter_config milter;
    char *user;          /* run as this user after binding sockets */
    char *group;         /* or the user's primary group when NULL */
    int syslog_facility; /* LOG_MAIL etc. */
    bool log_debug;

    struct schedule *schedules;
    size_t schedule_count;
    struct source *sources;
    size_t source_count;
    struct route *routes;
    size_t route_count;

    struct ramp_config ramp;
    struct pacing_config pacing;
    struct provider *providers;
    size_t provider_count;
    struct provider_ramp *provider_ramps;
    size_t provider_ramp_count;

    struct domain_limit *domain_limits;
    size_t domain_limit_count;
    struct policy_config policy;

    long test_clock_offset; /* seconds; only test builds accept it */
};

/*
 * Read and validate the file at "path".  On success returns the new
 * configuration.  On failure returns NULL and stores in *errors a
 * malloc'ed text with one "file:line: key: problem" line per error.
 */
struct rampart_config *config_load(const char *path, char **errors);

void config_free(struct rampart_config *cfg);

/* Return the source with this canonical address, or NULL. */
const struct source *config_find_source(const struct rampart_config *cfg,
                                        const char *address);

/*
 * Return the provider of a normalized recipient domain, or NULL when no
 * provider lists it.
 */
const struct provider *config_provider_of(const struct rampart_config *cfg,
                                          const char *domain);

/* Return the provider ramp named "name", or NULL. */
const struct provider_ramp *
config_provider_ramp(const struct rampart_config *cfg, const char *name);

/* Return the domain limit of a provider name (or "*"), or NULL. */
const struct domain_limit *config_domain_limit(const struct rampart_config *cfg,
                                               const char *provider);

/* Return "recipients" or "messages". */
const char *config_unit_name(enum count_unit unit);

#endif
