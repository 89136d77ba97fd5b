/*
 * config.c - read and validate rampart.conf (libconfig syntax)
 *
 * Every problem found is reported, each as "file:line: key: problem", so
 * an admin fixes a broken file in one pass.  Unknown keys are errors
 * because a misspelt limit would otherwise be silently ignored.  The
 * typed readers are in config_read.c, the sending sections in
 * config_sending.c.
 */
#include "config_read.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define TIMEOUT_MS_MAX 60000
#define PASSWORD_MAX   512

/* Read the first line of a password file; the secret never enters a message. */
static void read_password(struct loader *ld, const config_setting_t *s,
                          const char *path, char **out)
{
    FILE *fp = fopen(path, "r");
    char buf[PASSWORD_MAX + 2];
    size_t len;

    if (fp == NULL) {
        conf_report(ld, s,
                    "cannot open password file %s: %s; create it (mode "
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
        conf_report(ld, s,
                    "password file %s is empty; put the Redis password "
                    "on its first line",
                    path);
    else if (len > PASSWORD_MAX)
        conf_report(ld, s,
                    "password file %s has a first line longer than %d "
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
        "address",       "timeout_ms", "prefix",         "username",
        "password_file", "database",   "retention_days", NULL};
    struct redis_config *r = &ld->cfg->redis;
    const config_setting_t *g = conf_group(ld, root, "redis");
    const char *text;
    char err[512];

    r->address = strdup("127.0.0.1:6379");
    r->timeout_ms = 250;
    r->prefix = strdup("rampart");
    r->retention_days = 7;
    if (g != NULL)
        conf_check_keys(ld, g, keys);

    if (conf_string(ld, g, "address", &text, NULL) == 1) {
        free(r->address);
        r->address = strdup(text);
    }
    if (endpoint_parse(r->address, &r->endpoint, err, sizeof(err)) != 0)
        conf_report(ld, conf_member(g, "address"), "%s", err);

    conf_int(ld, g, "timeout_ms", 1, TIMEOUT_MS_MAX, &r->timeout_ms);
    conf_int(ld, g, "database", 0, 1000000, &r->database);
    conf_int(ld, g, "retention_days", 1, 3660, &r->retention_days);

    if (conf_string(ld, g, "prefix", &text, NULL) == 1) {
        if (!prefix_valid(text))
            conf_report(ld, conf_member(g, "prefix"),
                        "invalid value \"%s\": use 1 to 64 letters, digits, "
                        "'_', '-' or '.'",
                        text);
        free(r->prefix);
        r->prefix = strdup(text);
    }
    if (conf_string(ld, g, "username", &text, NULL) == 1)
        r->username = strdup(text);
    if (conf_string(ld, g, "password_file", &text, NULL) == 1) {
        r->password_file = strdup(text);
        read_password(ld, conf_member(g, "password_file"), text, &r->password);
    } else if (r->username != NULL) {
        conf_report(ld, conf_member(g, "username"),
                    "a username needs password_file as well");
    }
}

static void load_milter(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {
        "socket",       "pid_file",     "header",  "socket_mode",
        "socket_group", "allow_remote", "timeout", NULL};
    struct milter_config *m = &ld->cfg->milter;
    const config_setting_t *g = conf_group(ld, root, "milter");
    const char *text;
    char err[512];

    m->socket = strdup("unix:/run/rampart/milter.sock");
    m->pid_file = strdup("/run/rampart/rampart-milter.pid");
    m->socket_mode = 0660;
    m->timeout_s = 30;
    if (g != NULL)
        conf_check_keys(ld, g, keys);

    if (conf_string(ld, g, "socket", &text, NULL) == 1) {
        free(m->socket);
        m->socket = strdup(text);
    }
    conf_bool(ld, g, "allow_remote", &m->allow_remote);
    if (endpoint_parse(m->socket, &m->endpoint, err, sizeof(err)) != 0)
        conf_report(ld, conf_member(g, "socket"), "%s", err);
    else if (m->endpoint.kind == ENDPOINT_INET &&
             !endpoint_is_loopback(&m->endpoint) && !m->allow_remote)
        conf_report(ld, conf_member(g, "socket"),
                    "\"%s\" is not a loopback address; use a unix socket or "
                    "127.0.0.1, or set allow_remote = true to accept milter "
                    "connections from other hosts",
                    m->socket);

    if (conf_string(ld, g, "pid_file", &text, NULL) == 1) {
        free(m->pid_file);
        m->pid_file = strdup(text);
    }
    if (conf_string(ld, g, "header", &text, NULL) == 1) {
        int ok = *text != '\0';

        for (const char *p = text; *p; p++)
            if (*p <= ' ' || *p > '~' || *p == ':')
                ok = 0;
        if (!ok)
            conf_report(ld, conf_member(g, "header"),
                        "invalid header name \"%s\": use printable ASCII "
                        "without spaces or ':', e.g. \"X-Rampart-Source\"",
                        text);
        m->header = strdup(text);
    }
    if (conf_string(ld, g, "socket_mode", &text, NULL) == 1 &&
        conf_parse_mode(text, &m->socket_mode) != 0)
        conf_report(ld, conf_member(g, "socket_mode"),
                    "invalid mode \"%s\": use an octal string such as \"0660\"",
                    text);
    if (conf_string(ld, g, "socket_group", &text, NULL) == 1)
        m->socket_group = strdup(text);
    conf_int(ld, g, "timeout", 1, 3600, &m->timeout_s);
}

static const struct {
    const char *name;
    int value;
} facilities[] = {{"mail", LOG_MAIL},
                  {"daemon", LOG_DAEMON},
                  {"local0", LOG_LOCAL0},
                  {"local1", LOG_LOCAL1},
                  {"local2", LOG_LOCAL2},
                  {"local3", LOG_LOCAL3},
                  {"local4", LOG_LOCAL4},
                  {"local5", LOG_LOCAL5},
                  {"local6", LOG_LOCAL6},
                  {"local7", LOG_LOCAL7},
                  {NULL, 0}};

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
    if (conf_string(ld, root, "timezone", &text, NULL) == 1) {
        free(cfg->timezone);
        cfg->timezone = strdup(text);
    }
    if (cal_check_zone(cfg->timezone, err, sizeof(err)) != 0)
        conf_report(ld, conf_member(root, "timezone"), "%s", err);

    cfg->count = UNIT_RECIPIENTS;
    if (conf_word(ld, root, "count", units, &index) == 1)
        cfg->count = (enum count_unit)index;
    cfg->on_store_error = STORE_ERROR_TEMPFAIL;
    if (conf_word(ld, root, "on_store_error", actions, &index) == 1)
        cfg->on_store_error = (enum store_error_action)index;
    if (conf_word(ld, root, "log_level", levels, &index) == 1)
        cfg->log_debug = index == 1;

    cfg->syslog_facility = LOG_MAIL;
    if (conf_string(ld, root, "syslog_facility", &text, NULL) == 1) {
        int i;

        for (i = 0; facilities[i].name != NULL; i++)
            if (strcmp(facilities[i].name, text) == 0)
                break;
        if (facilities[i].name == NULL)
            conf_report(ld, conf_member(root, "syslog_facility"),
                        "invalid value \"%s\": use \"mail\", \"daemon\" or "
                        "\"local0\" to \"local7\"",
                        text);
        else
            cfg->syslog_facility = facilities[i].value;
    }
    if (conf_string(ld, root, "user", &text, NULL) == 1)
        cfg->user = strdup(text);
    if (conf_string(ld, root, "group", &text, NULL) == 1)
        cfg->group = strdup(text);
}

/*
 * The test clock moves the time every decision uses.  Only builds made
 * with -DRAMPART_TESTING=ON accept it, so production cannot move time.
 */
static void load_test_clock(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *s = conf_member(root, "test_clock_offset");

    if (s == NULL)
        return;
#ifdef RAMPART_TESTING
    conf_setting_long(ld, s, -3660L * 86400, 3660L * 86400,
                      &ld->cfg->test_clock_offset);
#else
    conf_report(ld, s,
                "test_clock_offset works only in test builds (cmake "
                "-DRAMPART_TESTING=ON); remove it");
#endif
}

static void load_root(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {"redis",
                                       "timezone",
                                       "count",
                                       "on_store_error",
                                       "milter",
                                       "schedules",
                                       "sources",
                                       "routes",
                                       "user",
                                       "group",
                                       "syslog_facility",
                                       "log_level",
                                       "ramp",
                                       "pacing",
                                       "providers",
                                       "provider_ramps",
                                       "test_clock_offset",
                                       "policy",
                                       "domain_limits",
                                       NULL};

    conf_check_keys(ld, root, keys);
    load_general(ld, root);
    load_test_clock(ld, root);
    load_redis(ld, root);
    load_milter(ld, root);
    conf_load_ramp(ld, root);
    conf_load_global_pacing(ld, root);
    conf_load_schedules(ld, root);
    conf_load_sources(ld, root);
    conf_load_routes(ld, root);
    conf_load_providers(ld, root);
    conf_load_provider_ramps(ld, root);
    conf_load_policy(ld, root);
    conf_load_domain_limits(ld, root);
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
            conf_report(&ld, NULL, "cannot read the file: %s", strerror(errno));
        else
            conf_report_syntax(&ld, &file);
        *errors = ld.errors;
        config_destroy(&file);
        config_free(ld.cfg);
        return NULL;
    }
    conf_check_wide_integers(&ld, path);
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
    for (size_t i = 0; i < cfg->provider_count; i++) {
        struct provider *p = &cfg->providers[i];

        free(p->name);
        for (size_t k = 0; k < p->domain_count; k++)
            free(p->domains[k]);
        for (size_t k = 0; k < p->suffix_count; k++)
            free(p->suffixes[k]);
        free(p->domains);
        free(p->suffixes);
    }
    free(cfg->providers);
    for (size_t i = 0; i < cfg->provider_ramp_count; i++)
        free(cfg->provider_ramps[i].provider);
    free(cfg->provider_ramps);
    conf_free_policy(cfg);
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
