/*
 * config_sending.c - rampart.conf: schedules, sources and routes
 */
#include "config_read.h"

#include "domain.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Read an array of positive caps that never shrink. */
static int load_cap_table(struct loader *ld, const config_setting_t *s,
                          long **table, size_t *len)
{
    int count;
    long previous = 0;

    if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
        config_setting_type(s) != CONFIG_TYPE_LIST) {
        conf_report_type(ld, s, "an array of caps, e.g. [2800, 4300]");
        return -1;
    }
    count = config_setting_length(s);
    if (count == 0) {
        conf_report(ld, s, "empty array: list at least one cap");
        return -1;
    }
    *table = calloc((size_t)count, sizeof(**table));
    if (*table == NULL)
        return -1;
    *len = (size_t)count;
    for (int i = 0; i < count; i++) {
        const config_setting_t *e = config_setting_get_elem(s, i);

        if (conf_setting_long(ld, e, 1, SCHED_CAP_MAX, &(*table)[i]) != 1)
            return -1;
        if ((*table)[i] < previous) {
            conf_report(ld, e,
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
        if (conf_member(g, keys[i]) != NULL)
            conf_report(ld, conf_member(g, keys[i]),
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
    if (load_cap_table(ld, conf_member(g, "per_day_by_week"), &s->table,
                       &s->table_len) != 0)
        return;
    last = s->table[s->table_len - 1];
    conf_long(ld, g, "then_add_per_week", 0, SCHED_CAP_MAX, &s->add_per_week,
              NULL);
    if (conf_long(ld, g, "target", 1, SCHED_CAP_MAX, &s->target, NULL) == 0) {
        if (s->add_per_week > 0)
            conf_report(ld, g,
                        "missing key \"target\": a schedule that grows by "
                        "then_add_per_week needs the cap where it stops");
        return;
    }
    if (s->target < last)
        conf_report(ld, conf_member(g, "target"),
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
    conf_long(ld, g, "start", 1, SCHED_CAP_MAX, &s->start,
              "a doubling schedule needs the cap of day 1");
    if (conf_double(ld, g, "factor", &s->factor,
                    "a doubling schedule needs its multiplier, e.g. "
                    "factor = 2.0") == 1 &&
        (!(s->factor > 1.0) || s->factor > 100.0))
        conf_report(
            ld, conf_member(g, "factor"),
            "invalid value %g: must be greater than 1.0 and at most 100",
            s->factor);
    conf_long(ld, g, "every_days", 1, 3660, &s->every_days, NULL);
    if (conf_long(ld, g, "target", 1, SCHED_CAP_MAX, &s->target,
                  "a doubling schedule needs the cap where it stops") == 1 &&
        s->start > s->target)
        conf_report(ld, conf_member(g, "target"),
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
    const config_setting_t *per_day = conf_member(g, "per_day");

    reject_keys(ld, g, "per_day", foreign);
    if (config_setting_type(per_day) == CONFIG_TYPE_ARRAY ||
        config_setting_type(per_day) == CONFIG_TYPE_LIST) {
        s->kind = SCHED_DAILY;
        load_cap_table(ld, per_day, &s->table, &s->table_len);
        return;
    }
    s->kind = SCHED_FLAT;
    conf_setting_long(ld, per_day, 1, SCHED_CAP_MAX, &s->per_day);
}

static void load_schedule(struct loader *ld, const config_setting_t *g,
                          struct schedule *s)
{
    static const char *const keys[] = {"per_day",
                                       "per_day_by_week",
                                       "then_add_per_week",
                                       "start",
                                       "factor",
                                       "every_days",
                                       "target",
                                       NULL};

    s->name = strdup(config_setting_name(g));
    s->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { ... } describing a schedule");
        s->kind = SCHED_FLAT;
        return;
    }
    conf_check_keys(ld, g, keys);
    if (conf_member(g, "per_day_by_week") != NULL)
        load_weekly(ld, g, s);
    else if (conf_member(g, "start") != NULL ||
             conf_member(g, "factor") != NULL)
        load_doubling(ld, g, s);
    else if (conf_member(g, "per_day") != NULL)
        load_per_day(ld, g, s);
    else
        conf_report(
            ld, g,
            "cannot tell the schedule's form: give per_day (a cap or an "
            "array of daily caps), per_day_by_week, or start and factor");
}

void conf_load_schedules(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *g = conf_group(ld, root, "schedules");
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
    static const char *const keys[] = {
        "address", "schedule", "start", "daily_cap", "step", "pacing", NULL};
    const char *text;
    int has_schedule;
    int has_cap;

    src->line = config_setting_source_line(g);
    src->initial_step = 1;
    src->start = (struct cal_date){1970, 1, 1};
    src->pacing = ld->cfg->pacing;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { address = ...; ... }");
        return;
    }
    conf_check_keys(ld, g, keys);
    conf_load_pacing(ld, conf_group(ld, g, "pacing"), &src->pacing);
    if (conf_string(ld, g, "address", &text,
                    "each source names its IP address") == 1 &&
        addr_canonical(text, src->address, sizeof(src->address)) != 0)
        conf_report(
            ld, conf_member(g, "address"),
            "invalid IP address \"%s\": use an IPv4 or IPv6 address such "
            "as \"203.0.113.10\" or \"2001:db8::10\"",
            text);

    has_schedule = conf_string(ld, g, "schedule", &text, NULL);
    has_cap =
        conf_long(ld, g, "daily_cap", 0, SCHED_CAP_MAX, &src->daily_cap, NULL);
    if (has_schedule == 0 && has_cap == 0) {
        conf_report(ld, g,
                    "give either schedule (with start) for a warming IP "
                    "or daily_cap for a warm one");
        return;
    }
    if (has_schedule != 0 && has_cap != 0) {
        conf_report(ld, conf_member(g, "daily_cap"),
                    "a source has either a schedule or a daily_cap, not both");
        return;
    }
    if (has_schedule == 1) {
        src->schedule = find_schedule(ld->cfg, text);
        if (src->schedule == NULL)
            conf_report(ld, conf_member(g, "schedule"),
                        "no schedule named \"%s\" in the schedules group",
                        text);
        if (conf_string(ld, g, "start", &text,
                        "a scheduled source needs its day 1, e.g. start = "
                        "\"2026-12-01\"") == 1 &&
            cal_parse_date(text, &src->start) != 0)
            conf_report(
                ld, conf_member(g, "start"),
                "invalid date \"%s\": use YYYY-MM-DD, e.g. \"2026-12-01\"",
                text);
    } else if (conf_member(g, "start") != NULL) {
        conf_report(ld, conf_member(g, "start"),
                    "start applies only to a source with a schedule");
    }
    if (conf_long(ld, g, "step", 1, 100000, &src->initial_step, NULL) == 1 &&
        has_schedule == 0)
        conf_report(ld, conf_member(g, "step"),
                    "step applies only to a source with a schedule");
}

void conf_load_sources(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *list = conf_member(root, "sources");
    struct rampart_config *cfg = ld->cfg;
    int count;

    if (list == NULL) {
        conf_report(ld, NULL,
                    "missing key \"sources\": list the sending IPs, "
                    "e.g. sources = ( { address = \"203.0.113.10\"; "
                    "daily_cap = 1000; } );");
        return;
    }
    count = conf_list_length(ld, list);
    if (count < 0)
        return;
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
                conf_report(ld, g, "source %s is already defined at line %d",
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

static void load_route_conditions(struct loader *ld, const config_setting_t *g,
                                  struct route *route)
{
    const char *text;
    char canon[ADDR_TEXT_MAX];
    char domain[DOMAIN_TEXT_MAX];

    if (conf_string(ld, g, "daemon_addr", &text, NULL) == 1) {
        if (addr_canonical(text, canon, sizeof(canon)) != 0)
            conf_report(ld, conf_member(g, "daemon_addr"),
                        "invalid IP address \"%s\": give the address the MTA "
                        "received the message on",
                        text);
        else
            route->daemon_addr = strdup(canon);
    }
    if (conf_string(ld, g, "daemon_name", &text, NULL) == 1)
        route->daemon_name = strdup(text);
    if (conf_string(ld, g, "client_addr", &text, NULL) == 1 &&
        parse_network(text, &route->client) != 0)
        conf_report(ld, conf_member(g, "client_addr"),
                    "invalid network \"%s\": use an address or CIDR such as "
                    "\"192.0.2.0/24\"",
                    text);
    if (conf_string(ld, g, "sender_domain", &text, NULL) == 1) {
        int subdomains = text[0] == '.';

        if (domain_normalize(text + subdomains, domain, sizeof(domain)) != 0)
            conf_report(ld, conf_member(g, "sender_domain"),
                        "invalid domain \"%s\": use \"example.com\", or "
                        "\".example.com\" for its subdomains",
                        text);
        else if (asprintf(&route->sender_domain, "%s%s", subdomains ? "." : "",
                          domain) < 0)
            route->sender_domain = NULL;
    }
    if (conf_string(ld, g, "sasl_user", &text, NULL) == 1)
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
    static const char *const keys[] = {
        "daemon_addr", "daemon_name", "client_addr", "sender_domain",
        "sasl_user",   "source",      NULL};
    const char *text;
    char canon[ADDR_TEXT_MAX];
    const struct rampart_config *cfg = ld->cfg;

    route->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { ...; source = \"...\"; }");
        return;
    }
    conf_check_keys(ld, g, keys);
    load_route_conditions(ld, g, route);
    if (conf_string(ld, g, "source", &text,
                    "each route names the source IP its messages use") != 1)
        return;
    if (addr_canonical(text, canon, sizeof(canon)) != 0) {
        conf_report(ld, conf_member(g, "source"), "invalid IP address \"%s\"",
                    text);
        return;
    }
    for (route->source = 0; route->source < cfg->source_count; route->source++)
        if (strcmp(cfg->sources[route->source].address, canon) == 0)
            return;
    conf_report(ld, conf_member(g, "source"),
                "source %s is not in the sources list; add it there with a "
                "schedule or daily_cap",
                canon);
}

void conf_load_routes(struct loader *ld, const config_setting_t *root)
{
    const config_setting_t *list = conf_member(root, "routes");
    struct rampart_config *cfg = ld->cfg;
    int count;

    if (list == NULL) {
        conf_report(ld, NULL,
                    "missing key \"routes\": map messages to sources, "
                    "e.g. routes = ( { source = \"203.0.113.10\"; } );");
        return;
    }
    count = conf_list_length(ld, list);
    if (count < 0)
        return;
    cfg->routes = calloc((size_t)count + 1, sizeof(*cfg->routes));
    if (cfg->routes == NULL)
        return;
    for (int i = 0; i < count; i++) {
        const config_setting_t *g = config_setting_get_elem(list, i);

        load_route(ld, g, &cfg->routes[i]);
        cfg->route_count++;
        if (i > 0 && route_is_catch_all(&cfg->routes[i - 1]) &&
            config_setting_type(g) == CONFIG_TYPE_GROUP)
            conf_report(ld, g,
                        "this route never matches: the route at line %d has "
                        "no conditions and matches every message; move it last",
                        cfg->routes[i - 1].line);
    }
}
