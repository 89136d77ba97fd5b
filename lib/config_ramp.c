/*
 * config_ramp.c - rampart.conf: ramp gates, pacing, providers and
 * provider ramps
 */
#include "config_read.h"

#include "domain.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conf_load_ramp(struct loader *ld, const config_setting_t *root)
{
    static const char *const keys[] = {"advance_min_use",
                                       "max_bounce_rate",
                                       "max_complaint_rate",
                                       "on_block",
                                       "block_step_down",
                                       "block_pause_hours",
                                       "history",
                                       NULL};
    static const char *const actions[] = {"step_down", "hold", "pause", NULL};
    struct ramp_config *r = &ld->cfg->ramp;
    const config_setting_t *g = conf_group(ld, root, "ramp");
    const char *const rates[] = {"advance_min_use", "max_bounce_rate",
                                 "max_complaint_rate"};
    double *values[] = {&r->advance_min_use, &r->max_bounce_rate,
                        &r->max_complaint_rate};
    int action;

    r->advance_min_use = 0.8;
    r->max_bounce_rate = 0.10;
    r->max_complaint_rate = 0.001;
    r->on_block = BLOCK_STEP_DOWN;
    r->block_step_down = 1;
    r->block_pause_hours = 24;
    r->history = 100;
    if (g == NULL)
        return;
    conf_check_keys(ld, g, keys);
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
        if (conf_double(ld, g, rates[i], values[i], NULL) == 1 &&
            (*values[i] < 0.0 || *values[i] > 1.0))
            conf_report(ld, conf_member(g, rates[i]),
                        "invalid value %g: a fraction from 0 to 1 (0.1 is "
                        "10 %%)",
                        *values[i]);
    if (conf_word(ld, g, "on_block", actions, &action) == 1)
        r->on_block = (enum block_action)action;
    conf_int(ld, g, "block_step_down", 1, 1000, &r->block_step_down);
    conf_int(ld, g, "block_pause_hours", 0, 24 * 366, &r->block_pause_hours);
    conf_int(ld, g, "history", 1, 100000, &r->history);
}

/* Parse "HH:MM" (24:00 allowed) into minutes after midnight. */
static int parse_clock(const char *text, int *minutes)
{
    int hours;
    int mins;
    char tail;

    if (strlen(text) != 5 ||
        sscanf(text, "%2d:%2d%c", &hours, &mins, &tail) != 2)
        return -1;
    if (!isdigit((unsigned char)text[0]) || !isdigit((unsigned char)text[3]))
        return -1;
    if (hours < 0 || mins < 0 || mins > 59 || hours > 24 ||
        (hours == 24 && mins != 0))
        return -1;
    *minutes = hours * 60 + mins;
    return 0;
}

static int parse_send_hours(const char *text, int *open, int *close)
{
    char from[8];
    char to[8];

    if (strlen(text) != 11 || text[5] != '-')
        return -1;
    memcpy(from, text, 5);
    from[5] = '\0';
    memcpy(to, text + 6, 5);
    to[5] = '\0';
    if (parse_clock(from, open) != 0 || parse_clock(to, close) != 0)
        return -1;
    return *open < *close ? 0 : -1;
}

/*
 * Read a pacing group into "p", which holds the defaults (the built-in
 * ones, or the global group's for a source).
 */
void conf_load_pacing(struct loader *ld, const config_setting_t *g,
                      struct pacing_config *p)
{
    static const char *const keys[] = {"enabled", "send_hours", "weekdays_only",
                                       "burst",   "per_hour",   NULL};
    const char *text;

    if (g == NULL)
        return;
    conf_check_keys(ld, g, keys);
    p->enabled = true;
    conf_bool(ld, g, "enabled", &p->enabled);
    if (conf_string(ld, g, "send_hours", &text, NULL) == 1 &&
        parse_send_hours(text, &p->open_minute, &p->close_minute) != 0)
        conf_report(ld, conf_member(g, "send_hours"),
                    "invalid value \"%s\": use \"HH:MM-HH:MM\" in local "
                    "time with the start before the end, e.g. "
                    "\"08:00-20:00\" or \"00:00-24:00\"",
                    text);
    conf_bool(ld, g, "weekdays_only", &p->weekdays_only);
    conf_long(ld, g, "burst", 0, SCHED_CAP_MAX, &p->burst, NULL);
    conf_long(ld, g, "per_hour", 0, SCHED_CAP_MAX, &p->per_hour, NULL);
}

void conf_load_global_pacing(struct loader *ld, const config_setting_t *root)
{
    struct pacing_config *p = &ld->cfg->pacing;

    p->enabled = false;
    p->open_minute = 0;
    p->close_minute = 24 * 60;
    conf_load_pacing(ld, conf_group(ld, root, "pacing"), p);
}

static int provider_name_valid(const char *name)
{
    if (*name == '\0' || strlen(name) > 32)
        return 0;
    for (const char *p = name; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) &&
            *p != '_' && *p != '-')
            return 0;
    return 1;
}

/* Read an array of domains; "suffixes" must each start with a dot. */
static void load_domain_list(struct loader *ld, const config_setting_t *g,
                             const char *name, bool suffixes, char ***out,
                             size_t *count)
{
    const config_setting_t *list = conf_member(g, name);
    int n;

    if (list == NULL)
        return;
    if (config_setting_type(list) != CONFIG_TYPE_ARRAY &&
        config_setting_type(list) != CONFIG_TYPE_LIST) {
        conf_report_type(ld, list, "an array of domain names");
        return;
    }
    n = config_setting_length(list);
    *out = calloc((size_t)n + 1, sizeof(**out));
    if (*out == NULL)
        return;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(list, i);
        const char *text = config_setting_get_string(e);
        char domain[DOMAIN_TEXT_MAX];

        if (text == NULL) {
            conf_report_type(ld, e, "a domain name in double quotes");
            continue;
        }
        if ((suffixes && text[0] != '.') ||
            domain_normalize(text + (suffixes ? 1 : 0), domain,
                             sizeof(domain)) != 0) {
            conf_report(ld, e,
                        suffixes ? "invalid suffix \"%s\": use a dot and a "
                                   "domain, e.g. \".yahoo.com\""
                                 : "invalid domain \"%s\"",
                        text);
            continue;
        }
        if (suffixes && asprintf(&(*out)[*count], ".%s", domain) < 0)
            continue;
        if (!suffixes && ((*out)[*count] = strdup(domain)) == NULL)
            continue;
        (*count)++;
    }
}

/*
 * Report the n-th name of provider "self" when an earlier provider, or an
 * earlier entry of the same provider, lists it too: each duplicate once.
 */
static void check_domain_unique(struct loader *ld, const config_setting_t *g,
                                size_t self, char *const *names, size_t n)
{
    const struct rampart_config *cfg = ld->cfg;
    const char *name = names[n];

    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) {
            conf_report(ld, g, "%s is listed twice", name);
            return;
        }
    for (size_t p = 0; p < self; p++) {
        const struct provider *prov = &cfg->providers[p];

        for (size_t i = 0; i < prov->domain_count; i++)
            if (strcmp(prov->domains[i], name) == 0)
                goto other;
        for (size_t i = 0; i < prov->suffix_count; i++)
            if (strcmp(prov->suffixes[i], name) == 0)
                goto other;
        continue;
    other:
        conf_report(ld, g, "%s is listed by provider %s as well", name,
                    prov->name ? prov->name : "(unnamed)");
        return;
    }
}

/* Entries of an array key, 0 when it is absent or not an array. */
static int list_entries(const config_setting_t *list)
{
    if (list == NULL || (config_setting_type(list) != CONFIG_TYPE_ARRAY &&
                         config_setting_type(list) != CONFIG_TYPE_LIST))
        return 0;
    return config_setting_length(list);
}

static void load_provider(struct loader *ld, const config_setting_t *g,
                          size_t index)
{
    static const char *const keys[] = {"name", "domains", "suffixes", NULL};
    struct provider *prov = &ld->cfg->providers[index];
    const char *name;

    prov->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { name = ...; domains = ...; }");
        return;
    }
    conf_check_keys(ld, g, keys);
    if (conf_string(ld, g, "name", &name,
                    "each provider has a name, e.g. \"gmail\"") == 1) {
        if (!provider_name_valid(name) || strcmp(name, "default") == 0 ||
            strcmp(name, "log") == 0)
            conf_report(ld, conf_member(g, "name"),
                        "invalid name \"%s\": use 1 to 32 lowercase "
                        "letters, digits, '_' or '-'; \"default\" (the "
                        "domains no provider lists) and \"log\" are "
                        "reserved",
                        name);
        prov->name = strdup(name);
        for (size_t k = 0; k < index; k++)
            if (ld->cfg->providers[k].name != NULL &&
                strcmp(ld->cfg->providers[k].name, name) == 0)
                conf_report(ld, g,
                            "provider %s is already defined at line "
                            "%d",
                            name, ld->cfg->providers[k].line);
    }
    load_domain_list(ld, g, "domains", false, &prov->domains,
                     &prov->domain_count);
    load_domain_list(ld, g, "suffixes", true, &prov->suffixes,
                     &prov->suffix_count);
    if (list_entries(conf_member(g, "domains")) +
            list_entries(conf_member(g, "suffixes")) ==
        0)
        conf_report(ld, g,
                    "a provider lists at least one of its domains or "
                    "suffixes");
    for (size_t i = 0; i < prov->domain_count; i++)
        check_domain_unique(ld, g, index, prov->domains, i);
    for (size_t i = 0; i < prov->suffix_count; i++)
        check_domain_unique(ld, g, index, prov->suffixes, i);
}

void conf_load_providers(struct loader *ld, const config_setting_t *root)
{
    struct rampart_config *cfg = ld->cfg;
    int count = conf_list_length(ld, conf_member(root, "providers"));

    if (count <= 0)
        return;
    cfg->providers = calloc((size_t)count, sizeof(*cfg->providers));
    if (cfg->providers == NULL)
        return;
    for (int i = 0; i < count; i++) {
        load_provider(
            ld, config_setting_get_elem(conf_member(root, "providers"), i),
            (size_t)i);
        cfg->provider_count++;
    }
}

static void load_provider_ramp(struct loader *ld, const config_setting_t *g,
                               struct provider_ramp *pr)
{
    static const char *const keys[] = {"provider", "share", NULL};
    const struct rampart_config *cfg = ld->cfg;
    const char *name;

    pr->line = config_setting_source_line(g);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
        conf_report(ld, g, "expected a group { provider = ...; share = ...; }");
        return;
    }
    conf_check_keys(ld, g, keys);
    if (conf_string(ld, g, "provider", &name,
                    "name a provider from the providers list, or "
                    "\"default\"") == 1) {
        size_t i;

        for (i = 0; i < cfg->provider_count; i++)
            if (cfg->providers[i].name &&
                strcmp(cfg->providers[i].name, name) == 0)
                break;
        if (i == cfg->provider_count && strcmp(name, "default") != 0)
            conf_report(ld, conf_member(g, "provider"),
                        "no provider named \"%s\" in the providers list", name);
        pr->provider = strdup(name);
    }
    if (conf_double(ld, g, "share", &pr->share,
                    "give the provider's share of the daily cap, e.g. "
                    "share = 0.4") == 1 &&
        (!(pr->share > 0.0) || pr->share > 1.0))
        conf_report(ld, conf_member(g, "share"),
                    "invalid value %g: a fraction greater than 0 and at "
                    "most 1",
                    pr->share);
}

void conf_load_provider_ramps(struct loader *ld, const config_setting_t *root)
{
    struct rampart_config *cfg = ld->cfg;
    const config_setting_t *list = conf_member(root, "provider_ramps");
    int count = conf_list_length(ld, list);

    if (count <= 0)
        return;
    if (count > 8) {
        conf_report(ld, list, "at most 8 provider ramps are supported");
        return;
    }
    cfg->provider_ramps = calloc((size_t)count, sizeof(*cfg->provider_ramps));
    if (cfg->provider_ramps == NULL)
        return;
    for (int i = 0; i < count; i++) {
        struct provider_ramp *pr = &cfg->provider_ramps[i];

        load_provider_ramp(ld, config_setting_get_elem(list, i), pr);
        cfg->provider_ramp_count++;
        for (int k = 0; k < i && pr->provider; k++)
            if (cfg->provider_ramps[k].provider &&
                strcmp(cfg->provider_ramps[k].provider, pr->provider) == 0)
                conf_report(ld, config_setting_get_elem(list, i),
                            "provider %s already has a ramp at line %d",
                            pr->provider, cfg->provider_ramps[k].line);
    }
}

const struct provider *config_provider_of(const struct rampart_config *cfg,
                                          const char *domain)
{
    size_t len = strlen(domain);

    for (size_t p = 0; p < cfg->provider_count; p++) {
        const struct provider *prov = &cfg->providers[p];

        for (size_t i = 0; i < prov->domain_count; i++)
            if (strcmp(prov->domains[i], domain) == 0)
                return prov;
        for (size_t i = 0; i < prov->suffix_count; i++) {
            size_t slen = strlen(prov->suffixes[i]);

            if (len > slen &&
                strcmp(domain + len - slen, prov->suffixes[i]) == 0)
                return prov;
        }
    }
    return NULL;
}

const struct provider_ramp *
config_provider_ramp(const struct rampart_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->provider_ramp_count; i++)
        if (cfg->provider_ramps[i].provider &&
            strcmp(cfg->provider_ramps[i].provider, name) == 0)
            return &cfg->provider_ramps[i];
    return NULL;
}
