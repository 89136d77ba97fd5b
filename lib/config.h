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
    char *address;        /* as written in the file */
    struct endpoint endpoint;
    int timeout_ms;       /* bound on each Redis call, connect included */
    char *prefix;         /* first part of every key name */
    char *username;       /* ACL user for AUTH, or NULL */
    char *password_file;  /* or NULL */
    char *password;       /* contents of password_file; never logged */
    int database;         /* SELECT index */
    int retention_days;   /* days a day's counters stay after the day ends */
};

/* A sending IP and how much it may send per day. */
struct source {
    char address[ADDR_TEXT_MAX];    /* canonical form */
    const struct schedule *schedule; /* NULL for a fixed daily_cap */
    struct cal_date start;           /* day 1 of the schedule */
    long daily_cap;                  /* cap when schedule is NULL */
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
    char *daemon_addr;       /* canonical, or NULL */
    char *daemon_name;       /* the MTA's {daemon_name} macro, or NULL */
    struct network client;   /* client network, or family 0 */
    char *sender_domain;     /* normalized; ".example.com": subdomains */
    char *sasl_user;         /* or NULL */
    size_t source;           /* index into rampart_config.sources */
    int line;
};

struct milter_config {
    char *socket;             /* as written in the file */
    struct endpoint endpoint;
    char *pid_file;
    char *header;             /* header naming the source IP, or NULL */
    int socket_mode;          /* permissions of a unix socket */
    char *socket_group;       /* group of a unix socket, or NULL */
    bool allow_remote;        /* accept a non-loopback inet socket */
    int timeout_s;            /* libmilter's I/O timeout towards the MTA */
};

struct rampart_config {
    char *path;
    struct redis_config redis;
    char *timezone;
    enum count_unit count;
    enum store_error_action on_store_error;
    struct milter_config milter;
    char *user;            /* run as this user after binding sockets */
    char *group;           /* or the user's primary group when NULL */
    int syslog_facility;   /* LOG_MAIL etc. */
    bool log_debug;

    struct schedule *schedules;
    size_t schedule_count;
    struct source *sources;
    size_t source_count;
    struct route *routes;
    size_t route_count;
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

/* Return "recipients" or "messages". */
const char *config_unit_name(enum count_unit unit);

#endif
