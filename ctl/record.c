/*
 * record.c - rampartctl record: add a delivery outcome to a source's day
 * counters through ramp_record(), the entry point a log reader uses too
 */
#include "commands.h"
#include "domain.h"
#include "ramp.h"

#include <string.h>
#include <sysexits.h>

/* Maximum length of an event ID, which becomes part of a Redis key name. */
#define EVENT_ID_MAX 200

struct record_options {
    const char *provider;
    const char *domain;
    const char *date;
    const char *id;
    const char *reason;
};

static int check_event_id(const char *id)
{
    size_t len = strlen(id);

    for (const char *p = id; *p; p++)
        if (*p <= ' ' || *p > '~')
            len = 0;
    if (len == 0 || len > EVENT_ID_MAX) {
        ctl_error("invalid --id \"%s\": give 1 to %d printable ASCII "
                  "characters without spaces, e.g. a queue ID and a "
                  "recipient",
                  id, EVENT_ID_MAX);
        return -1;
    }
    return 0;
}

/*
 * Resolve --provider or --domain to the provider name whose day counter
 * the outcome also feeds, or NULL.  Returns 0, or -1 after an error.
 */
static int find_provider(const struct ctl *ctl, const struct record_options *o,
                         const char **provider)
{
    const struct rampart_config *cfg = ctl->cfg;
    const int has_default = config_provider_ramp(cfg, "default") != NULL;
    char domain[DOMAIN_TEXT_MAX];
    const struct provider *p;

    *provider = NULL;
    if (o->domain != NULL) {
        if (domain_normalize(o->domain, domain, sizeof(domain)) != 0) {
            ctl_error("invalid --domain \"%s\": give a recipient domain such "
                      "as gmail.com",
                      o->domain);
            return -1;
        }

        /* The milter counts an unlisted domain on the "default" ramp. */
        p = config_provider_of(cfg, domain);
        if (p != NULL)
            *provider = p->name;
        else if (has_default)
            *provider = "default";
        return 0;
    }
    if (o->provider == NULL)
        return 0;
    for (size_t i = 0; i < cfg->provider_count; i++)
        if (strcmp(cfg->providers[i].name, o->provider) == 0) {
            *provider = cfg->providers[i].name;
            return 0;
        }
    if (has_default && strcmp(o->provider, "default") == 0) {
        *provider = "default";
        return 0;
    }
    fprintf(stderr,
            "rampartctl: --provider %s: no provider of that name; give one "
            "of the providers in %s:",
            o->provider, cfg->path);
    for (size_t i = 0; i < cfg->provider_count; i++)
        fprintf(stderr, "%s%s", i ? ", " : " ", cfg->providers[i].name);
    fprintf(stderr, "%s\n",
            has_default               ? ", default"
            : cfg->provider_count > 0 ? ""
                                      : " none, so leave out --provider");
    return -1;
}

/* Check that the counters of "date" exist: not ahead, not expired. */
static int check_date(const struct ctl *ctl, struct cal_date date,
                      const char *text)
{
    long days = cal_days_from_civil(date);
    time_t end = cal_local_time(cal_civil_from_days(days + 1), 0);
    long keep = (long)ctl->cfg->redis.retention_days * 86400;

    if (days > cal_days_from_civil(ctl->today.date)) {
        ctl_error("--date %s is after today (%s in zone %s); give the day "
                  "the message was sent",
                  text, ctl->today_text, ctl->cfg->timezone);
        return -1;
    }
    if (end == (time_t)-1 || end + keep <= ctl->now) {
        ctl_error("--date %s is more than redis.retention_days (%d) days ago, "
                  "so its counters have expired; give a later date",
                  text, ctl->cfg->redis.retention_days);
        return -1;
    }
    return 0;
}

/* Print what a block signal does to the ramp it marks. */
static void print_block(const struct ctl *ctl, const char *source,
                        const char *provider)
{
    const struct ramp_config *r = &ctl->cfg->ramp;
    const char *ramp =
        provider && config_provider_ramp(ctl->cfg, provider) ? provider : NULL;

    printf("block signal on %s%s%s: ", source, ramp ? " provider " : "",
           ramp ? ramp : "");
    if (r->on_block == BLOCK_STEP_DOWN)
        printf("steps down by %d at its next sending day\n",
               r->block_step_down);
    else if (r->on_block == BLOCK_HOLD)
        printf("holds its step at its next sending day\n");
    else if (r->block_pause_hours > 0)
        printf("paused for %d hours\n", r->block_pause_hours);
    else
        printf("paused until rampartctl resume\n");
}

/*
 * Parse the options into "o".  Returns EX_OK after printing the help,
 * EX_USAGE after a usage error, or -1 to go on with argv[optind].
 */
static int parse_options(const struct command *cmd, int argc, char **argv,
                         struct record_options *o)
{
    static const struct option longopts[] = {
        {"provider", required_argument, NULL, 'p'},
        {"domain", required_argument, NULL, 'D'},
        {"date", required_argument, NULL, 'd'},
        {"id", required_argument, NULL, 'i'},
        {"reason", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int opt;

    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        switch (opt) {
        case 'p':
            o->provider = optarg;
            break;
        case 'D':
            o->domain = optarg;
            break;
        case 'd':
            o->date = optarg;
            break;
        case 'i':
            o->id = optarg;
            break;
        case 'r':
            o->reason = optarg;
            break;
        case 'h':
            ctl_help(cmd, stdout);
            return EX_OK;
        default:
            return EX_USAGE;
        }
    }
    return -1;
}

int cmd_record(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv)
{
    struct record_options o = {0};
    struct outcome_event ev = {.count = 1};
    const struct source *src;
    long count_after;
    char err[512];
    int rc = parse_options(cmd, argc, argv, &o);

    if (rc != -1)
        return rc;
    if (argc - optind < 2 || argc - optind > 3)
        return ctl_usage(cmd, "give a SOURCE, an OUTCOME and an optional "
                              "COUNT");
    if (outcome_parse(argv[optind + 1], &ev.kind) != 0)
        return ctl_usage(cmd,
                         "invalid outcome \"%s\": give delivered, "
                         "deferred, bounced, complained or blocked",
                         argv[optind + 1]);
    if (argc - optind == 3 && ctl_parse_long("COUNT", argv[optind + 2], 1,
                                             SCHED_CAP_MAX, &ev.count) != 0)
        return EX_USAGE;
    if (o.provider != NULL && o.domain != NULL)
        return ctl_usage(cmd, "give --provider or --domain, not both");
    if (o.reason != NULL && ev.kind != OUTCOME_BLOCKED)
        return ctl_usage(cmd, "--reason applies only to blocked, whose "
                              "ramp log entry and pause carry it");
    if ((o.reason != NULL && ctl_check_reason("--reason", o.reason) != 0) ||
        (o.id != NULL && check_event_id(o.id) != 0) ||
        (o.date != NULL && ctl_parse_date("--date", o.date, &ev.date) != 0))
        return EX_USAGE;
    ev.event_id = o.id;
    ev.reason = o.reason;

    if ((rc = ctl_load(ctl)) != EX_OK)
        return rc;
    if ((src = ctl_source(ctl, argv[optind])) == NULL ||
        find_provider(ctl, &o, &ev.provider) != 0)
        return EX_USAGE;
    if ((rc = ctl_connect(ctl)) != EX_OK)
        return rc;
    if (o.date == NULL)
        ev.date = ctl->today.date;
    else if (check_date(ctl, ev.date, o.date) != 0)
        return EX_USAGE;

    rc = ramp_record(ctl->store, ctl->cfg, src->address, &ev, &count_after, err,
                     sizeof(err));
    if (rc < 0) {
        ctl_error("%s: %s", src->address, err);
        return EX_UNAVAILABLE;
    }
    if (rc == 1) {
        printf("duplicate event ID, not counted\n");
        return EX_OK;
    }
    printf("recorded\n");
    if (ev.kind == OUTCOME_BLOCKED)
        print_block(ctl, src->address, ev.provider);
    return EX_OK;
}
