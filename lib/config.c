/*
 * config.c - read and validate rampart.conf (libconfig syntax)
 *
 * Every problem found is reported, each as "file:line: key: problem", so
 * an admin fixes a broken file in one pass.  Unknown keys are errors
 * because a misspelt limit would otherwise be silently ignored.
 */
#include "config.h"

#include "domain.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#define TIMEOUT_MS_MAX 60000
#define PASSWORD_MAX 512

/* Accumulates error lines while one file is loaded. */
struct loader {
    const char *path;
    char *errors;
    size_t errors_len;
    int error_count;
    struct rampart_config *cfg;
};

/* Write the dotted path of a setting, e.g. "schedules.weekly.target". */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
    const config_setting_t *parent = config_setting_parent(s);
    size_t used;

    if (parent == NULL || config_setting_is_root(parent)) {
        snprintf(buf, len, "%s", config_setting_name(s) ?: "");
        return;
    }
    setting_path(parent, buf, len);
    used = strlen(buf);
    if (config_setting_name(s) != NULL)
        snprintf(buf + used, len - used, ".%s", config_setting_name(s));
    else
        snprintf(buf + used, len - used, "[%d]", config_setting_index(s));
}

/* Add one line to the error text; the count decides success. */
static void append_error(struct loader *ld, const char *line)
{
    size_t len = strlen(line);
    char *grown = realloc(ld->errors, ld->errors_len + len + 1);

    ld->error_count++;
    if (grown == NULL)
        return;
    ld->errors = grown;
    memcpy(ld->errors + ld->errors_len, line, len + 1);
    ld->errors_len += len;
}

__attribute__((format(printf, 3, 4))) static void
report(struct loader *ld, const config_setting_t *s, const char *fmt, ...)
{
    char message[1024];
    char path[512];
    char line[1700];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (s != NULL) {
        setting_path(s, path, sizeof(path));
        n = snprintf(line, sizeof(line), "%s:%u: %s: %s\n",
                     config_setting_source_file(s) ?: ld->path,
                     config_setting_source_line(s), path, message);
    } else {
        n = snprintf(line, sizeof(line), "%s: %s\n", ld->path, message);
    }
    if (n < 0)
        return;
    append_error(ld, line);
}

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a number";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "true or false";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ... ]";
    case CONFIG_TYPE_LIST:
        return "a list ( ... )";
    }
    return "a value";
}

/*
 * Report a setting of the wrong type, with its value when it is a scalar:
 * "expected an integer, found a string \"250\"".
 */
static void report_type(struct loader *ld, const config_setting_t *s,
                        const char *expected)
{
    const char *found = type_name(config_setting_type(s));

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        report(ld, s, "expected %s, found %s %lld", expected, found,
               config_setting_get_int64(s));
        return;
    case CONFIG_TYPE_FLOAT:
        report(ld, s, "expected %s, found %s %g", expected, found,
               config_setting_get_float(s));
        return;
    case CONFIG_TYPE_STRING:
        report(ld, s, "expected %s, found %s \"%.200s\"", expected, found,
               config_setting_get_string(s));
        return;
    case CONFIG_TYPE_BOOL:
        report(ld, s, "expected %s, found %s", expected,
               config_setting_get_bool(s) ? "true" : "false");
        return;
    }
    report(ld, s, "expected %s, found %s", expected, found);
}

/* Report every child of "group" whose name is not in "allowed". */
static void check_keys(struct loader *ld, const config_setting_t *group,
                       const char *const *allowed)
{
    int count = config_setting_length(group);

    for (int i = 0; i < count; i++) {
        const config_setting_t *child = config_setting_get_elem(group, i);
        const char *name = config_setting_name(child);
        size_t k;

        for (k = 0; allowed[k] != NULL; k++)
            if (strcmp(allowed[k], name) == 0)
                break;
        if (allowed[k] == NULL)
            report(ld, child, "unknown key; check its spelling against "
                              "rampart.conf(5)");
    }
}

/*
 * Typed lookups.  Each returns 1 when the key is present and valid, 0
 * when it is absent (a required key is then reported), -1 when invalid.
 */
static const config_setting_t *member(const config_setting_t *group,
                                      const char *name)
{
    return group ? config_setting_get_member(group, name) : NULL;
}

static int report_missing(struct loader *ld, const config_setting_t *group,
                          const char *name, const char *hint)
{
    if (group != NULL && !config_setting_is_root(group))
        report(ld, group, "missing key \"%s\"; %s", name, hint);
    else
        report(ld, NULL, "missing key \"%s\"; %s", name, hint);
    return 0;
}

static int get_string(struct loader *ld, const config_setting_t *group,
                      const char *name, const char **out, const char *hint)
{
    const config_setting_t *s = member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        report_type(ld, s, "a string in double quotes");
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

static int setting_long(struct loader *ld, const config_setting_t *s,
                        long min, long max, long *out)
{
    long long value;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        report_type(ld, s, "an integer");
        return -1;
    }
    value = config_setting_get_int64(s);
    if (value < min || value > max) {
        report(ld, s, "invalid value %lld: must be from %ld to %ld", value,
               min, max);
        return -1;
    }
    *out = (long)value;
    return 1;
}

static int get_long(struct loader *ld, const config_setting_t *group,
                    const char *name, long min, long max, long *out,
                    const char *hint)
{
    const config_setting_t *s = member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    return setting_long(ld, s, min, max, out);
}

static int get_int(struct loader *ld, const config_setting_t *group,
                   const char *name, int min, int max, int *out)
{
    long value;
    int rc = get_long(ld, group, name, min, max, &value, NULL);

    if (rc == 1)
        *out = (int)value;
    return rc;
}

static int get_double(struct loader *ld, const config_setting_t *group,
                      const char *name, double *out, const char *hint)
{
    const config_setting_t *s = member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_FLOAT:
        *out = config_setting_get_float(s);
        return 1;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(s);
        return 1;
    }
    report_type(ld, s, "a number");
    return -1;
}

static int get_bool(struct loader *ld, const config_setting_t *group,
                    const char *name, bool *out)
{
    const config_setting_t *s = member(group, name);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        report_type(ld, s, "true or false");
        return -1;
    }
    *out = config_setting_get_bool(s) != 0;
    return 1;
}

/* A string key that must be one of "words"; returns the word's index. */
static int get_word(struct loader *ld, const config_setting_t *group,
                    const char *name, const char *const *words, int *out)
{
    const char *value;
    int rc = get_string(ld, group, name, &value, NULL);
    char allowed[256] = "";

    if (rc != 1)
        return rc;
    for (int i = 0; words[i] != NULL; i++) {
        if (strcmp(words[i], value) == 0) {
            *out = i;
            return 1;
        }
        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
                 "%s\"%s\"", i ? " or " : "", words[i]);
    }
    report(ld, member(group, name), "invalid value \"%s\": must be %s",
           value, allowed);
    return -1;
}

/* Check that a group key, if present, is a group. */
static const config_setting_t *get_group(struct loader *ld,
                                         const config_setting_t *parent,
                                         const char *name)
{
    const config_setting_t *s = member(parent, name);

    if (s == NULL)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        report_type(ld, s, "a group { ... }");
        return NULL;
    }
    return s;
}

/* Read the first line of a password file; the secret never enters a message. */
static void read_password(struct loader *ld, const config_setting_t *s,
                          const char *path, char **out)
{
    FILE *fp = fopen(path, "r");
    char buf[PASSWORD_MAX + 2];
    size_t len;

    if (fp == NULL) {
        report(ld, s, "cannot open password file %s: %s; create it (mode "
                      "0640, readable by the rampart user) or remove the key",
               path, strerror(errno));
        return;
    }
    if (fgets(buf, sizeof(buf), fp) == NULL)
        buf[0] = '\0';
    fclose(fp);
    len = strcspn(buf, "\r\n");
    buf[len] = '\0';
    if (len == 0)
        report(ld, s, "password file %s is empty; put the Redis password "
                      "on its first line",
               path);
    else if (len > PASSWORD_MAX)
        report(ld, s, "password file %s has a first line longer than %d "
                      "bytes",
               path, PASSWORD_MAX);
    else
        *out = strdup(buf);
    explicit_bzero(buf, sizeof(buf));
}

static int prefix_valid(const char *prefix)
{
    if (*prefix == '\0' || strlen(prefix) > 64)
        return 0;
    for (const char *p = prefix; *p; p++)
        if (!isalnum((unsigned char)*p) && strchr("_-.", *p) == NULL)
            return 0;
    return 1;
}

static void load_redis(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "address",  "timeout_ms", "prefix",         "username",
        "password_file", "database", "retention_days", NULL};
    struct redis_config *r = &ld->cfg->redis;
    const config_setting_t *g = get_group(ld, root, "redis");
    const char *text;
    char err[512];

    r->address = strdup("127.0.0.1:6379");
    r->timeout_ms = 250;
    r->prefix = strdup("rampart");
    r->retention_days = 7;
    if (g != NULL)
        check_keys(ld, g, keys);

    if (get_string(ld, g, "address", &text, NULL) == 1) {
        free(r->address);
        r->address = strdup(text);
    }
    if (endpoint_parse(r->address, &r->endpoint, err, sizeof(err)) != 0)
        report(ld, member(g, "address"), "%s", err);

    get_int(ld, g, "timeout_ms", 1, TIMEOUT_MS_MAX, &r->timeout_ms);
    get_int(ld, g, "database", 0, 1000000, &r->database);
    get_int(ld, g, "retention_days", 1, 3660, &r->retention_days);

    if (get_string(ld, g, "prefix", &text, NULL) == 1) {
        if (!prefix_valid(text))
            report(ld, member(g, "prefix"),
                   "invalid value \"%s\": use 1 to 64 letters, digits, "
                   "'_', '-' or '.'",
                   text);
        free(r->prefix);
        r->prefix = strdup(text);
    }
    if (get_string(ld, g, "username", &text, NULL) == 1)
        r->username = strdup(text);
    if (get_string(ld, g, "password_file", &text, NULL) == 1) {
        r->password_file = strdup(text);
        read_password(ld, member(g, "password_file"), text, &r->password);
    } else if (r->username != NULL) {
        report(ld, member(g, "username"),
               "a username needs password_file as well");
    }
}

static int parse_mode(const char *text, int *mode)
{
    char *end;
    long value;

    if (*text == '\0')
        return -1;
    value = strtol(text, &end, 8);
    if (*end != '\0' || value < 0 || value > 0777)
        return -1;
    *mode = (int)value;
    return 0;
}

static void load_milter(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "socket", "pid_file", "header", "socket_mode", "socket_group",
        "allow_remote", "timeout", NULL};
    struct milter_config *m = &ld->cfg->milter;
    const config_setting_t *g = get_group(ld, root, "milter");
    const char *text;
    char err[512];

    m->socket = strdup("unix:/run/rampart/milter.sock");
    m->pid_file = strdup("/run/rampart/rampart-milter.pid");
    m->socket_mode = 0660;
    m->timeout_s = 30;
    if (g != NULL)
        check_keys(ld, g, keys);

    if (get_string(ld, g, "socket", &text, NULL) == 1) {
        free(m->socket);
        m->socket = strdup(text);
    }
    get_bool(ld, g, "allow_remote", &m->allow_remote);
    if (endpoint_parse(m->socket, &m->endpoint, err, sizeof(err)) != 0)
        report(ld, member(g, "socket"), "%s", err);
    else if (m->endpoint.kind == ENDPOINT_INET &&
             !endpoint_is_loopback(&m->endpoint) && !m->allow_remote)
        report(ld, member(g, "socket"),
               "\"%s\" is not a loopback address; use a unix socket or "
               "127.0.0.1, or set allow_remote = true to accept milter "
               "connections from other hosts",
               m->socket);

    if (get_string(ld, g, "pid_file", &text, NULL) == 1) {
        free(m->pid_file);
        m->pid_file = strdup(text);
    }
    if (get_string(ld, g, "header", &text, NULL) == 1) {
        int ok = *text != '\0';

        for (const char *p = text; *p; p++)
            if (*p <= ' ' || *p > '~' || *p == ':')
                ok = 0;
        if (!ok)
            report(ld, member(g, "header"),
                   "invalid header name \"%s\": use printable ASCII "
                   "without spaces or ':', e.g. \"X-Rampart-Source\"",
                   text);
        m->header = strdup(text);
    }
    if (get_string(ld, g, "socket_mode", &text, NULL) == 1 &&
        parse_mode(text, &m->socket_mode) != 0)
        report(ld, member(g, "socket_mode"),
               "invalid mode \"%s\": use an octal string such as \"0660\"",
               text);
    if (get_string(ld, g, "socket_group", &text, NULL) == 1)
        m->socket_group = strdup(text);
    get_int(ld, g, "timeout", 1, 3600, &m->timeout_s);
}

static const struct {
    const char *name;
    int value;
} facilities[] = {
    {"mail", LOG_MAIL},     {"daemon", LOG_DAEMON}, {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7}, {NULL, 0}};

static void load_general(struct loader *ld, const config_setting_t *root)
{
    static const char *const units[] = {"recipients", "messages", NULL};
    static const char *const actions[] = {"tempfail", "accept", NULL};
    static const char *const levels[] = {"info", "debug", NULL};
    struct rampart_config *cfg = ld->cfg;
    const char *text;
    int index;
    char err[512];

    cfg->timezone = strdup("UTC");
    if (get_string(ld, root, "timezone", &text, NULL) == 1) {
        free(cfg->timezone);
        cfg->timezone = strdup(text);
    }
    if (cal_check_zone(cfg->timezone, err, sizeof(err)) != 0)
        report(ld, member(root, "timezone"), "%s", err);

    cfg->count = UNIT_RECIPIENTS;
    if (get_word(ld, root, "count", units, &index) == 1)
        cfg->count = (enum count_unit)index;
    cfg->on_store_error = STORE_ERROR_TEMPFAIL;
    if (get_word(ld, root, "on_store_error", actions, &index) == 1)
        cfg->on_store_error = (enum store_error_action)index;
    if (get_word(ld, root, "log_level", levels, &index) == 1)
        cfg->log_debug = index == 1;

    cfg->syslog_facility = LOG_MAIL;
    if (get_string(ld, root, "syslog_facility", &text, NULL) == 1) {
        int i;

        for (i = 0; facilities[i].name != NULL; i++)
            if (strcmp(facilities[i].name, text) == 0)
                break;
        if (facilities[i].name == NULL)
            report(ld, member(root, "syslog_facility"),
                   "invalid value \"%s\": use \"mail\", \"daemon\" or "
                   "\"local0\" to \"local7\"",
                   text);
        else
            cfg->syslog_facility = facilities[i].value;
    }
    if (get_string(ld, root, "user", &text, NULL) == 1)
        cfg->user = strdup(text);
    if (get_string(ld, root, "group", &text, NULL) == 1)
        cfg->group = strdup(text);
}

/* Read an array of positive caps that never shrink. */
static int load_cap_table(struct loader *ld, const config_setting_t *s,
                          long **table, size_t *len)
{
    int count;
    long previous = 0;

    if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
        config_setting_type(s) != CONFIG_TYPE_LIST) {
        report_type(ld, s, "an array of caps, e.g. [2800, 4300]");
        return -1;
    }
    count = config_setting_length(s);
    if (count == 0) {
        report(ld, s, "empty array: list at least one cap");
        return -1;
    }
    *table = calloc((size_t)count, sizeof(**table));
    if (*table == NULL)
        return -1;
    *len = (size_t)count;
    for (int i = 0; i < count; i++) {
        const config_setting_t *e = config_setting_get_elem(s, i);

        if (setting_long(ld, e, 1, SCHED_CAP_MAX, &(*table)[i]) != 1)
            return -1;
        if ((*table)[i] < previous) {
            report(ld, e,
                   "the ramp shrinks from %ld to %ld; caps must never "
                   "decrease",
                   previous, (*table)[i]);
            return -1;
        }
        previous = (*table)[i];
    }
    return 0;
}

/* Report keys of "g" that do not belong to the form already chosen. */
static void reject_keys(struct loader *ld, const config_setting_t *g,
                        const char *form, const char *const *keys)
{
    for (size_t i = 0; keys[i] != NULL; i++)
        if (member(g, keys[i]) != NULL)
            report(ld, member(g, keys[i]),
                   "key does not apply to a %s schedule", form);
}

static void load_weekly(struct loader *ld, const config_setting_t *g,
                        struct schedule *s)
{
    static const char *const foreign[] = {"per_day", "start", "factor",
                                          "every_days", NULL};
    long last;

    s->kind = SCHED_WEEKLY;
    reject_keys(ld, g, "weekly (per_day_by_week)", foreign);
    if (load_cap_table(ld, member(g, "per_day_by_week"), &s->table,
                       &s->table_len) != 0)
        return;
    last = s->table[s->table_len - 1];
    get_long(ld, g, "then_add_per_week", 0, SCHED_CAP_MAX, &s->add_per_week,
             NULL);
    if (get_long(ld, g, "target", 1, SCHED_CAP_MAX, &s->target, NULL) == 0) {
        if (s->add_per_week > 0)
            report(ld, g,
                   "missing key \"target\": a schedule that grows by "
                   "then_add_per_week needs the cap where it stops");
        return;
    }
    if (s->target < last)
        report(ld, member(g, "target"),
               "target %ld is below the last weekly cap %ld; raise target "
               "or lower per_day_by_week",
               s->target, last);
}

static void load_doubling(struct loader *ld, const config_setting_t *g,
                          struct schedule *s)
{
    static const char *const foreign[] = {"per_day", "per_day_by_week",
                                          "then_add_per_week", NULL};

    s->kind = SCHED_DOUBLING;
    s->every_days = 1;
    reject_keys(ld, g, "doubling (start, factor)", foreign);
    get_long(ld, g, "start", 1, SCHED_CAP_MAX, &s->start,
             "a doubling schedule needs the cap of day 1");
    if (get_double(ld, g, "factor", &s->factor,
                   "a doubling schedule needs its multiplier, e.g. "
                   "factor = 2.0") == 1 &&
        (!(s->factor > 1.0) || s->factor > 100.0))
        report(ld, member(g, "factor"),
               "invalid value %g: must be greater than 1.0 and at most 100",
               s->factor);
    get_long(ld, g, "every_days", 1, 3660, &s->every_days, NULL);
    if (get_long(ld, g, "target", 1, SCHED_CAP_MAX, &s->target,
                 "a doubling schedule needs the cap where it stops") == 1 &&
        s->start > s->target)
        report(ld, member(g, "target"),
               "target %ld is below start %ld; the ramp would exceed its "
               "target on day 1",
               s->target, s->start);
}

static void load_per_day(struct loader *ld, const config_setting_t *g,
                         struct schedule *s)
{
    static const char *const foreign[] = {"per_day_by_week",
                                          "then_add_per_week",
                                          "start",
                                          "factor",
                                          "every_days",
                                          "target",
                                          NULL};
    const config_setting_t *per_day = member(g, "per_day");

    reject_keys(ld, g, "per_day", foreign);
    if (config_setting_type(per_day) == CONFIG_TYPE_ARRAY ||
        config_setting_type(per_day) == CONFIG_TYPE_LIST) {
        s->kind = SCHED_DAILY;
        load_cap_table(ld, per_day, &s->table, &s->table_len);
        return;
    }
    s->kind = SCHED_FLAT;
    setting_long(ld, per_day, 1, SCHED_CAP_MAX, &s->per_day);
}

static void load_schedule(struct loader *ld, const config_setting_t *g,
                          struct schedule *s)
{
    static const char *const keys[] = {
        "per_day", "per_day_by_week", "then_add_per_week", "start",
        "factor",  "every_days",      "target",            NULL};

    s->name = strdup(config_setting_name(g));
    s->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        report(ld, g, "expected a group { ... } describing a schedule");
        s->kind = SCHED_FLAT;
        return;
    }
    check_keys(ld, g, keys);
    if (member(g, "per_day_by_week") != NULL)
        load_weekly(ld, g, s);
    else if (member(g, "start") != NULL || member(g, "factor") != NULL)
        load_doubling(ld, g, s);
    else if (member(g, "per_day") != NULL)
        load_per_day(ld, g, s);
    else
        report(ld, g,
               "cannot tell the schedule's form: give per_day (a cap or an "
               "array of daily caps), per_day_by_week, or start and factor");
}

static void load_schedules(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *g = get_group(ld, root, "schedules");
    struct rampart_config *cfg = ld->cfg;
    int count;

    if (g == NULL)
        return;
    count = config_setting_length(g);
    cfg->schedules = calloc((size_t)count + 1, sizeof(*cfg->schedules));
    if (cfg->schedules == NULL)
        return;
    for (int i = 0; i < count; i++) {
        load_schedule(ld, config_setting_get_elem(g, i),
                      &cfg->schedules[cfg->schedule_count]);
        cfg->schedule_count++;
    }
}

static const struct schedule *find_schedule(const struct rampart_config *cfg,
                                            const char *name)
{
    for (size_t i = 0; i < cfg->schedule_count; i++)
        if (strcmp(cfg->schedules[i].name, name) == 0)
            return &cfg->schedules[i];
    return NULL;
}

static void load_source(struct loader *ld, const config_setting_t *g,
                        struct source *src)
{
    static const char *const keys[] = {"address", "schedule", "start",
                                       "daily_cap", NULL};
    const char *text;
    int has_schedule;
    int has_cap;

    src->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        report(ld, g, "expected a group { address = ...; ... }");
        return;
    }
    check_keys(ld, g, keys);
    if (get_string(ld, g, "address", &text,
                   "each source names its IP address") == 1 &&
        addr_canonical(text, src->address, sizeof(src->address)) != 0)
        report(ld, member(g, "address"),
               "invalid IP address \"%s\": use an IPv4 or IPv6 address such "
               "as \"203.0.113.10\" or \"2001:db8::10\"",
               text);

    has_schedule = get_string(ld, g, "schedule", &text, NULL);
    has_cap = get_long(ld, g, "daily_cap", 0, SCHED_CAP_MAX, &src->daily_cap,
                       NULL);
    if (has_schedule == 0 && has_cap == 0) {
        report(ld, g, "give either schedule (with start) for a warming IP "
                      "or daily_cap for a warm one");
        return;
    }
    if (has_schedule != 0 && has_cap != 0) {
        report(ld, member(g, "daily_cap"),
               "a source has either a schedule or a daily_cap, not both");
        return;
    }
    if (has_schedule == 1) {
        src->schedule = find_schedule(ld->cfg, text);
        if (src->schedule == NULL)
            report(ld, member(g, "schedule"),
                   "no schedule named \"%s\" in the schedules group", text);
        if (get_string(ld, g, "start", &text,
                       "a scheduled source needs its day 1, e.g. start = "
                       "\"2026-12-01\"") == 1 &&
            cal_parse_date(text, &src->start) != 0)
            report(ld, member(g, "start"),
                   "invalid date \"%s\": use YYYY-MM-DD, e.g. \"2026-12-01\"",
                   text);
    } else if (member(g, "start") != NULL) {
        report(ld, member(g, "start"),
               "start applies only to a source with a schedule");
    }
}

static void load_sources(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *list = member(root, "sources");
    struct rampart_config *cfg = ld->cfg;
    int count;

    if (list == NULL) {
        report(ld, NULL, "missing key \"sources\": list the sending IPs, "
                         "e.g. sources = ( { address = \"203.0.113.10\"; "
                         "daily_cap = 1000; } );");
        return;
    }
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        report_type(ld, list, "a list ( { ... }, ... )");
        return;
    }
    count = config_setting_length(list);
    cfg->sources = calloc((size_t)count + 1, sizeof(*cfg->sources));
    if (cfg->sources == NULL)
        return;
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem(list, i);
        struct source *src = &cfg->sources[i];

        load_source(ld, g, src);
        cfg->source_count++;
        for (int k = 0; k < i && src->address[0] != '\0'; k++)
            if (strcmp(cfg->sources[k].address, src->address) == 0)
                report(ld, g, "source %s is already defined at line %d",
                       src->address, cfg->sources[k].line);
    }
}

/* Parse "192.0.2.0/24", "2001:db8::/32" or a single address. */
static int parse_network(const char *text, struct network *net)
{
    char buf[80];
    char *slash;
    int max;

    if (strlen(text) >= sizeof(buf))
        return -1;
    strcpy(buf, text);
    slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    if (inet_pton(AF_INET, buf, net->bytes) == 1) {
        net->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, net->bytes) == 1) {
        net->family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    net->prefix_len = max;
    if (slash != NULL) {
        char *end;
        long len = strtol(slash + 1, &end, 10);

        if (slash[1] == '\0' || *end != '\0' || len < 0 || len > max)
            return -1;
        net->prefix_len = (int)len;
    }
    return 0;
}

static void load_route_conditions(struct loader *ld,
                                  const config_setting_t *g,
                                  struct route *route)
{
    const char *text;
    char canon[ADDR_TEXT_MAX];
    char domain[DOMAIN_TEXT_MAX];

    if (get_string(ld, g, "daemon_addr", &text, NULL) == 1) {
        if (addr_canonical(text, canon, sizeof(canon)) != 0)
            report(ld, member(g, "daemon_addr"),
                   "invalid IP address \"%s\": give the address the MTA "
                   "received the message on",
                   text);
        else
            route->daemon_addr = strdup(canon);
    }
    if (get_string(ld, g, "daemon_name", &text, NULL) == 1)
        route->daemon_name = strdup(text);
    if (get_string(ld, g, "client_addr", &text, NULL) == 1 &&
        parse_network(text, &route->client) != 0)
        report(ld, member(g, "client_addr"),
               "invalid network \"%s\": use an address or CIDR such as "
               "\"192.0.2.0/24\"",
               text);
    if (get_string(ld, g, "sender_domain", &text, NULL) == 1) {
        int subdomains = text[0] == '.';

        if (domain_normalize(text + subdomains, domain, sizeof(domain)) != 0)
            report(ld, member(g, "sender_domain"),
                   "invalid domain \"%s\": use \"example.com\", or "
                   "\".example.com\" for its subdomains",
                   text);
        else if (asprintf(&route->sender_domain, "%s%s",
                          subdomains ? "." : "", domain) < 0)
            route->sender_domain = NULL;
    }
    if (get_string(ld, g, "sasl_user", &text, NULL) == 1)
        route->sasl_user = strdup(text);
}

static int route_is_catch_all(const struct route *r)
{
    return r->daemon_addr == NULL && r->daemon_name == NULL &&
           r->client.family == 0 && r->sender_domain == NULL &&
           r->sasl_user == NULL;
}

static void load_route(struct loader *ld, const config_setting_t *g,
                       struct route *route)
{
    static const char *const keys[] = {"daemon_addr",   "daemon_name",
                                       "client_addr",   "sender_domain",
                                       "sasl_user",     "source",
                                       NULL};
    const char *text;
    char canon[ADDR_TEXT_MAX];
    const struct rampart_config *cfg = ld->cfg;

    route->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        report(ld, g, "expected a group { ...; source = \"...\"; }");
        return;
    }
    check_keys(ld, g, keys);
    load_route_conditions(ld, g, route);
    if (get_string(ld, g, "source", &text,
                   "each route names the source IP its messages use") != 1)
        return;
    if (addr_canonical(text, canon, sizeof(canon)) != 0) {
        report(ld, member(g, "source"), "invalid IP address \"%s\"", text);
        return;
    }
    for (route->source = 0; route->source < cfg->source_count;
         route->source++)
        if (strcmp(cfg->sources[route->source].address, canon) == 0)
            return;
    report(ld, member(g, "source"),
           "source %s is not in the sources list; add it there with a "
           "schedule or daily_cap",
           canon);
}

static void load_routes(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *list = member(root, "routes");
    struct rampart_config *cfg = ld->cfg;
    int count;

    if (list == NULL) {
        report(ld, NULL, "missing key \"routes\": map messages to sources, "
                         "e.g. routes = ( { source = \"203.0.113.10\"; } );");
        return;
    }
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        report_type(ld, list, "a list ( { ... }, ... )");
        return;
    }
    count = config_setting_length(list);
    cfg->routes = calloc((size_t)count + 1, sizeof(*cfg->routes));
    if (cfg->routes == NULL)
        return;
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem(list, i);

        load_route(ld, g, &cfg->routes[i]);
        cfg->route_count++;
        if (i > 0 && route_is_catch_all(&cfg->routes[i - 1]) &&
            config_setting_type(g) == CONFIG_TYPE_GROUP)
            report(ld, g,
                   "this route never matches: the route at line %d has "
                   "no conditions and matches every message; move it last",
                   cfg->routes[i - 1].line);
    }
}

/* A syntax error stops libconfig at its first problem. */
static void report_syntax(struct loader *ld, const config_t *file)
{
    char line[1200];

    snprintf(line, sizeof(line), "%s:%d: syntax error: %s\n",
             config_error_file(file) ?: ld->path, config_error_line(file),
             config_error_text(file));
    append_error(ld, line);
}

static void load_root(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "redis",   "timezone", "count",  "on_store_error", "milter",
        "schedules", "sources", "routes", "user",           "group",
        "syslog_facility", "log_level", NULL};

    check_keys(ld, root, keys);
    load_general(ld, root);
    load_redis(ld, root);
    load_milter(ld, root);
    load_schedules(ld, root);
    load_sources(ld, root);
    load_routes(ld, root);
}

/* Report one integer literal of "text" that libconfig would truncate. */
static void check_integer_literal(struct loader *ld, const char *text,
                                  size_t len, int line)
{
    char literal[32];
    char message[256];
    unsigned long long value;

    if (len >= sizeof(literal))
        len = sizeof(literal) - 1;
    memcpy(literal, text, len);
    literal[len] = '\0';
    errno = 0;
    value = strtoull(literal, NULL, 0);
    if (errno == 0 && value <= 2147483647ULL)
        return;
    snprintf(message, sizeof(message),
             "%s:%d: integer %s does not fit in 32 bits; write it with an L "
             "suffix (%sL) or libconfig stores a truncated value\n",
             ld->path, line, literal, literal);
    append_error(ld, message);
}

/*
 * libconfig 1.5 silently truncates integer literals above 2^31-1 that lack
 * the L suffix (daily_cap = 5000000000 loads as 705032704).  Scan the
 * file's text for such literals, skipping strings and comments.
 * NOTE: files pulled in with @include are not scanned.
 */
static void check_wide_integers(struct loader *ld, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *text = NULL;
    size_t size = 0;
    int line = 1;

    if (fp == NULL)
        return;
    if (getdelim(&text, &size, '\0', fp) < 0) {
        fclose(fp);
        free(text);
        return;
    }
    fclose(fp);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            line++;
        } else if (*p == '"') {
            for (p++; *p != '\0' && *p != '"'; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '\0')
                break;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (p[1] != '\0' && p[1] != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n')
                    line++;
            if (*p == '\0')
                break;
            p++;
        } else if (isdigit((unsigned char)*p) &&
                   (p == text || (!isalnum((unsigned char)p[-1]) &&
                                  p[-1] != '_' && p[-1] != '.'))) {
            size_t len = strspn(p, "0123456789abcdefABCDEFxX");

            if (strchr("Ll.eE", p[len]) == NULL || p[len] == '\0')
                check_integer_literal(ld, p, len, line);
            p += len - 1;
        }
    }
    free(text);
}

struct rampart_config *config_load(const char *path, char **errors)
{
    struct loader ld = {.path = path};
    config_t file;

    *errors = NULL;
    ld.cfg = calloc(1, sizeof(*ld.cfg));
    if (ld.cfg == NULL) {
        *errors = strdup("out of memory");
        return NULL;
    }
    ld.cfg->path = strdup(path);
    config_init(&file);
    if (config_read_file(&file, path) != CONFIG_TRUE) {
        if (config_error_type(&file) == CONFIG_ERR_FILE_IO)
            report(&ld, NULL, "cannot read the file: %s", strerror(errno));
        else
            report_syntax(&ld, &file);
        *errors = ld.errors;
        config_destroy(&file);
        config_free(ld.cfg);
        return NULL;
    }
    check_wide_integers(&ld, path);
    load_root(&ld, config_root_setting(&file));
    config_destroy(&file);
    if (ld.error_count > 0) {
        *errors = ld.errors;
        config_free(ld.cfg);
        return NULL;
    }
    free(ld.errors);
    return ld.cfg;
}

void config_free(struct rampart_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->redis.address);
    free(cfg->redis.prefix);
    free(cfg->redis.username);
    free(cfg->redis.password_file);
    if (cfg->redis.password != NULL) {
        explicit_bzero(cfg->redis.password, strlen(cfg->redis.password));
        free(cfg->redis.password);
    }
    free(cfg->timezone);
    free(cfg->milter.socket);
    free(cfg->milter.pid_file);
    free(cfg->milter.header);
    free(cfg->milter.socket_group);
    free(cfg->user);
    free(cfg->group);
    for (size_t i = 0; i < cfg->schedule_count; i++) {
        free(cfg->schedules[i].name);
        free(cfg->schedules[i].table);
    }
    free(cfg->schedules);
    free(cfg->sources);
    for (size_t i = 0; i < cfg->route_count; i++) {
        free(cfg->routes[i].daemon_addr);
        free(cfg->routes[i].daemon_name);
        free(cfg->routes[i].sender_domain);
        free(cfg->routes[i].sasl_user);
    }
    free(cfg->routes);
    free(cfg);
}

const struct source *config_find_source(const struct rampart_config *cfg,
                                        const char *address)
{
    for (size_t i = 0; i < cfg->source_count; i++)
        if (strcmp(cfg->sources[i].address, address) == 0)
            return &cfg->sources[i];
    return NULL;
}

const char *config_unit_name(enum count_unit unit)
{
    return unit == UNIT_MESSAGES ? "messages" : "recipients";
}
