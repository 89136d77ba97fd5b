/*
 * config_policy.c - rampart.conf: the policy group and domain_limits of
 * rampart-policyd
 */
#include "config_read.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_SOCKETS_MAX 4

static void add_socket(struct loader *ld, const config_setting_t *s,
                       const char *text)
{
    struct policy_config *p = &ld->cfg->policy;
    struct endpoint *ep = &p->endpoints[p->socket_count];
    char err[512];

    if (endpoint_parse(text, ep, err, sizeof(err)) != 0) {
        conf_report(ld, s, "%s", err);
        return;
    }
    p->sockets[p->socket_count++] = strdup(text);
}

/* policy.socket is one string or an array of up to four. */
static void load_sockets(struct loader *ld, const config_setting_t *g)
{
    struct policy_config *p = &ld->cfg->policy;
    const config_setting_t *s = conf_member(g, "socket");

    p->sockets = calloc(POLICY_SOCKETS_MAX, sizeof(*p->sockets));
    p->endpoints = calloc(POLICY_SOCKETS_MAX, sizeof(*p->endpoints));
    if (p->sockets == NULL || p->endpoints == NULL)
        return;
    if (s == NULL) {
        add_socket(ld, NULL, "unix:/run/rampart/policy.sock");
        return;
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        add_socket(ld, s, config_setting_get_string(s));
        return;
    }
    if (config_setting_type(s) != CONFIG_TYPE_ARRAY ||
        config_setting_length(s) == 0 ||
        config_setting_length(s) > POLICY_SOCKETS_MAX) {
        conf_report(ld, s,
                    "expected a socket string or an array of 1 to 4, "
                    "e.g. [\"unix:/run/rampart/policy.sock\", "
                    "\"inet:127.0.0.1:10031\"]");
        return;
    }
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, i);

        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            conf_report_type(ld, e, "a socket string");
        else
            add_socket(ld, e, config_setting_get_string(e));
    }
}

/* Accept "450 4.7.1", "451 4.7.1" (any 4xx, enhanced code optional),
 * "DEFER" and "DEFER_IF_PERMIT": a limit never rejects for good. */
static int action_valid(const char *action)
{
    if (strcmp(action, "DEFER") == 0 || strcmp(action, "DEFER_IF_PERMIT") == 0)
        return 1;
    if (action[0] != '4' || !isdigit((unsigned char)action[1]) ||
        !isdigit((unsigned char)action[2]))
        return 0;
    if (action[3] == '\0')
        return 1;
    if (action[3] != ' ' || action[4] != '4' || action[5] != '.')
        return 0;
    for (const char *p = action + 6; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    return 1;
}

void conf_load_policy(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {"socket",
                                       "warmup",
                                       "pid_file",
                                       "socket_mode",
                                       "socket_group",
                                       "allow_remote",
                                       "max_connections",
                                       "idle_timeout",
                                       "instance_timeout",
                                       "action",
                                       NULL};
    struct policy_config *p = &ld->cfg->policy;
    const config_setting_t *g = conf_group(ld, root, "policy");
    const char *text;

    p->pid_file = strdup("/run/rampart/rampart-policyd.pid");
    p->socket_mode = 0660;
    p->max_connections = 1000;
    p->idle_timeout_s = 600;
    p->instance_timeout_s = 1800;
    p->action = strdup("450 4.7.1");
    if (g != NULL)
        conf_check_keys(ld, g, keys);
    load_sockets(ld, g);
    conf_bool(ld, g, "warmup", &p->warmup);
    conf_bool(ld, g, "allow_remote", &p->allow_remote);
    for (size_t i = 0; i < p->socket_count; i++)
        if (p->endpoints[i].kind == ENDPOINT_INET &&
            !endpoint_is_loopback(&p->endpoints[i]) && !p->allow_remote)
            conf_report(ld, conf_member(g, "socket"),
                        "\"%s\" is not a loopback address; use a unix socket "
                        "or 127.0.0.1, or set allow_remote = true to serve "
                        "other hosts",
                        p->sockets[i]);
    if (conf_string(ld, g, "pid_file", &text, NULL) == 1) {
        free(p->pid_file);
        p->pid_file = strdup(text);
    }
    if (conf_string(ld, g, "socket_mode", &text, NULL) == 1 &&
        conf_parse_mode(text, &p->socket_mode) != 0)
        conf_report(ld, conf_member(g, "socket_mode"),
                    "invalid mode \"%s\": use an octal string such as "
                    "\"0660\"",
                    text);
    if (conf_string(ld, g, "socket_group", &text, NULL) == 1)
        p->socket_group = strdup(text);
    conf_int(ld, g, "max_connections", 1, 100000, &p->max_connections);
    conf_int(ld, g, "idle_timeout", 1, 86400, &p->idle_timeout_s);
    conf_int(ld, g, "instance_timeout", 60, 86400, &p->instance_timeout_s);
    if (conf_string(ld, g, "action", &text, NULL) == 1) {
        if (!action_valid(text))
            conf_report(ld, conf_member(g, "action"),
                        "invalid action \"%s\": use a 4xx code with an "
                        "optional enhanced status such as \"450 4.7.1\", or "
                        "DEFER or DEFER_IF_PERMIT; a limit never rejects mail "
                        "for good",
                        text);
        free(p->action);
        p->action = strdup(text);
    }
}

static void load_domain_limit(struct loader *ld, const config_setting_t *g,
                              struct domain_limit *dl)
{
    static const char *const keys[] = {"provider",     "per_hour", "per_day",
                                       "share_of_cap", "unit",     NULL};
    static const char *const units[] = {"recipients", "messages", NULL};
    const struct rampart_config *cfg = ld->cfg;
    const char *name;
    int unit;

    dl->line = config_setting_source_line(g);
    dl->unit = cfg->count;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { provider = ...; ... }");
        return;
    }
    conf_check_keys(ld, g, keys);
    if (conf_string(ld, g, "provider", &name,
                    "name a provider from the providers list, or \"*\" for "
                    "each domain no provider lists") == 1) {
        size_t i;

        for (i = 0; i < cfg->provider_count; i++)
            if (cfg->providers[i].name &&
                strcmp(cfg->providers[i].name, name) == 0)
                break;
        if (i == cfg->provider_count && strcmp(name, "*") != 0)
            conf_report(ld, conf_member(g, "provider"),
                        "no provider named \"%s\" in the providers list", name);
        dl->provider = strdup(name);
    }
    conf_long(ld, g, "per_hour", 1, SCHED_CAP_MAX, &dl->per_hour, NULL);
    conf_long(ld, g, "per_day", 1, SCHED_CAP_MAX, &dl->per_day, NULL);
    if (conf_double(ld, g, "share_of_cap", &dl->share_of_cap, NULL) == 1 &&
        (!(dl->share_of_cap > 0.0) || dl->share_of_cap > 1.0))
        conf_report(ld, conf_member(g, "share_of_cap"),
                    "invalid value %g: a fraction greater than 0 and at "
                    "most 1",
                    dl->share_of_cap);
    if (conf_word(ld, g, "unit", units, &unit) == 1)
        dl->unit = (enum count_unit)unit;
    if (dl->per_hour == 0 && dl->per_day == 0 && dl->share_of_cap == 0.0)
        conf_report(ld, g,
                    "a domain limit sets per_hour, per_day, "
                    "share_of_cap or several of them");
}

void conf_load_domain_limits(struct loader *ld, const config_setting_t *root)
{
    struct rampart_config *cfg = ld->cfg;
    const config_setting_t *list = conf_member(root, "domain_limits");
    int count;

    if (list == NULL)
        return;
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        conf_report_type(ld, list, "a list ( { ... }, ... )");
        return;
    }
    count = config_setting_length(list);
    cfg->domain_limits = calloc((size_t)count + 1, sizeof(*cfg->domain_limits));
    if (cfg->domain_limits == NULL)
        return;
    for (int i = 0; i < count; i++) {
        struct domain_limit *dl = &cfg->domain_limits[i];

        load_domain_limit(ld, config_setting_get_elem(list, i), dl);
        cfg->domain_limit_count++;
        for (int k = 0; k < i && dl->provider; k++)
            if (cfg->domain_limits[k].provider &&
                strcmp(cfg->domain_limits[k].provider, dl->provider) == 0)
                conf_report(ld, config_setting_get_elem(list, i),
                            "provider %s already has limits at line %d; "
                            "put all of its limits in one entry",
                            dl->provider, cfg->domain_limits[k].line);
    }
}

const struct domain_limit *config_domain_limit(const struct rampart_config *cfg,
                                               const char *provider)
{
    for (size_t i = 0; i < cfg->domain_limit_count; i++)
        if (cfg->domain_limits[i].provider &&
            strcmp(cfg->domain_limits[i].provider, provider) == 0)
            return &cfg->domain_limits[i];
    return NULL;
}

void conf_free_policy(struct rampart_config *cfg)
{
    struct policy_config *p = &cfg->policy;

    for (size_t i = 0; i < p->socket_count; i++)
        free(p->sockets[i]);
    free(p->sockets);
    free(p->endpoints);
    free(p->pid_file);
    free(p->socket_group);
    free(p->action);
    for (size_t i = 0; i < cfg->domain_limit_count; i++)
        free(cfg->domain_limits[i].provider);
    free(cfg->domain_limits);
}
