/*
 * ctl.c - what the rampartctl commands share: the loaded configuration,
 * the Redis connection and clock, and the checks of command-line values
 */
#include "ctl.h"

#include "addr.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* Maximum --for duration: 3660 days, about ten years. */
#define DURATION_MAX (3660L * 86400)

void ctl_error(const char *fmt, ...)
{
    va_list ap;

    fputs("rampartctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int ctl_usage(const struct command *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "rampartctl %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: rampartctl [-c FILE] %s%s%s\n", cmd->name,
            cmd->synopsis[0] ? " " : "", cmd->synopsis);
    fprintf(stderr, "Run \"rampartctl %s --help\" for the options.\n",
            cmd->name);
    return EX_USAGE;
}

void ctl_help(const struct command *cmd, FILE *out)
{
    fprintf(out, "usage: rampartctl [-c FILE] %s%s%s\n%s\n", cmd->name,
            cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->summary);
    if (cmd->options[0] != '\0')
        fprintf(out, "options:\n%s", cmd->options);
}

int ctl_getopt(const struct command *cmd, int argc, char **argv,
               const char *shortopts, const struct option *longopts)
{
    int opt;

    opterr = 0;
    opt = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (opt == '?' && optopt >= '0' && optopt <= '9') {
        for (int i = 1; i < argc; i++)
            if (argv[i][0] == '-' && strspn(argv[i] + 1, "0123456789") > 0 &&
                argv[i][1 + strspn(argv[i] + 1, "0123456789")] == '\0') {
                ctl_usage(cmd,
                          "invalid number \"%s\": negative values are not "
                          "allowed here",
                          argv[i]);
                return '?';
            }
    }
    if (opt == '?') {
        if (optopt != 0)
            ctl_usage(cmd, "unknown option -%c", optopt);
        else
            ctl_usage(cmd, "unknown option %s", argv[optind - 1]);
        return '?';
    }
    if (opt == ':') {
        ctl_usage(cmd, "option %s needs a value", argv[optind - 1]);
        return '?';
    }
    return opt;
}

int ctl_parse_help_only(const struct command *cmd, int argc, char **argv)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int opt = ctl_getopt(cmd, argc, argv, ":h", longopts);

    if (opt == 'h') {
        ctl_help(cmd, stdout);
        return EX_OK;
    }
    return opt == -1 ? -1 : EX_USAGE;
}

int ctl_load(struct ctl *ctl)
{
    char *errors = NULL;
    char err[512];

    ctl->cfg = config_load(ctl->config_path, &errors);
    if (ctl->cfg == NULL) {
        fprintf(stderr, "%s", errors ? errors : "out of memory\n");
        free(errors);
        return EX_CONFIG;
    }
    if (cal_set_zone(ctl->cfg->timezone, err, sizeof(err)) != 0) {
        ctl_error("%s", err);
        return EX_CONFIG;
    }
    return EX_OK;
}

int ctl_connect(struct ctl *ctl)
{
    redisReply *reply;
    long long sec;
    long usec;

    ctl->store = store_open(&ctl->cfg->redis);
    if (ctl->store == NULL) {
        ctl_error("out of memory");
        return EX_OSERR;
    }

    /* Every rampart host decides by the Redis clock, not its own. */
    reply = ctl_redis(ctl, "TIME", NULL);
    if (reply == NULL)
        return EX_UNAVAILABLE;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_STRING) {
        ctl_error("unexpected reply to TIME from Redis at %s",
                  ctl->cfg->redis.address);
        freeReplyObject(reply);
        return EX_UNAVAILABLE;
    }
    sec = strtoll(reply->element[0]->str, NULL, 10);
    usec = strtol(reply->element[1]->str, NULL, 10);
    freeReplyObject(reply);
    ctl->now = (time_t)(sec + ctl->cfg->test_clock_offset);

    /* ramp_record() and quota_run() read the clock from the store. */
    store_observe_time(ctl->store, ctl->now, usec);
    if (cal_day_at(ctl->now, &ctl->today) != 0) {
        ctl_error("cannot compute the calendar day of %lld in time zone %s",
                  (long long)ctl->now, ctl->cfg->timezone);
        return EX_SOFTWARE;
    }
    cal_format_date(ctl->today.date, ctl->today_text, sizeof(ctl->today_text));
    return EX_OK;
}

void ctl_close(struct ctl *ctl)
{
    store_close(ctl->store);
    config_free(ctl->cfg);
    ctl->store = NULL;
    ctl->cfg = NULL;
}

redisReply *ctl_redis(struct ctl *ctl, const char *command, ...)
{
    const char *argv[16];
    size_t argvlen[16];
    int argc = 0;
    char err[512];
    redisReply *reply;
    va_list ap;

    va_start(ap, command);
    for (const char *a = command; a != NULL && argc < 16;
         a = va_arg(ap, const char *)) {
        argv[argc] = a;
        argvlen[argc] = strlen(a);
        argc++;
    }
    va_end(ap);
    reply = store_command(ctl->store, argc, argv, argvlen, err, sizeof(err));
    if (reply == NULL) {
        ctl_error("%s", err);
        return NULL;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        ctl_error("Redis %s %s failed: %s", command, argc > 1 ? argv[1] : "",
                  reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

/* Finish an error line with the configured sources. */
static void list_sources(const struct rampart_config *cfg)
{
    for (size_t i = 0; i < cfg->source_count; i++)
        fprintf(stderr, "%s%s", i ? ", " : " ", cfg->sources[i].address);
    fputc('\n', stderr);
}

const struct source *ctl_source(const struct ctl *ctl, const char *text)
{
    char canon[ADDR_TEXT_MAX];
    const struct source *src = NULL;

    if (addr_canonical(text, canon, sizeof(canon)) != 0)
        fprintf(stderr,
                "rampartctl: invalid source \"%s\": give the IPv4 or IPv6 "
                "address of one of the sources in %s:",
                text, ctl->cfg->path);
    else if ((src = config_find_source(ctl->cfg, canon)) == NULL)
        fprintf(stderr,
                "rampartctl: %s is not a configured source; add it to the "
                "sources list or give one of the sources in %s:",
                canon, ctl->cfg->path);
    if (src == NULL)
        list_sources(ctl->cfg);
    return src;
}

const struct provider_ramp *ctl_provider_ramp(const struct ctl *ctl,
                                              const char *name)
{
    const struct rampart_config *cfg = ctl->cfg;
    const struct provider_ramp *pr = config_provider_ramp(cfg, name);

    if (pr != NULL)
        return pr;
    if (cfg->provider_ramp_count == 0) {
        ctl_error("--provider %s: %s configures no provider_ramps, so every "
                  "source has only its own ramp; leave out --provider",
                  name, cfg->path);
        return NULL;
    }
    fprintf(stderr,
            "rampartctl: --provider %s: no provider ramp of that name; give "
            "one of the provider_ramps in %s:",
            name, cfg->path);
    for (size_t i = 0; i < cfg->provider_ramp_count; i++)
        fprintf(stderr, "%s%s", i ? ", " : " ",
                cfg->provider_ramps[i].provider);
    fputc('\n', stderr);
    return NULL;
}

const struct schedule *ctl_schedule(const struct rampart_config *cfg,
                                    const char *name)
{
    for (size_t i = 0; i < cfg->schedule_count; i++)
        if (strcmp(cfg->schedules[i].name, name) == 0)
            return &cfg->schedules[i];
    return NULL;
}

int ctl_parse_number(const char *text, long min, long max, long *out)
{
    char *end;
    long value;

    if (!isdigit((unsigned char)*text) && *text != '-')
        return -1;
    errno = 0;
    value = strtol(text, &end, 10);
    if (*end != '\0' || errno != 0 || value < min || value > max)
        return -1;
    *out = value;
    return 0;
}

int ctl_parse_long(const char *name, const char *text, long min, long max,
                   long *out)
{
    if (ctl_parse_number(text, min, max, out) != 0) {
        ctl_error("invalid %s \"%s\": give a whole number from %ld to %ld",
                  name, text, min, max);
        return -1;
    }
    return 0;
}

int ctl_parse_date(const char *name, const char *text, struct cal_date *out)
{
    if (cal_parse_date(text, out) != 0) {
        ctl_error("invalid %s \"%s\": give a date as YYYY-MM-DD, e.g. "
                  "2026-12-01",
                  name, text);
        return -1;
    }
    return 0;
}

int ctl_parse_duration(const char *name, const char *text, long *seconds)
{
    static const struct {
        char unit;
        long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    char *end;
    long value;

    errno = 0;
    value = isdigit((unsigned char)*text) ? strtol(text, &end, 10) : -1;
    if (value > 0 && errno == 0 && end[0] != '\0' && end[1] == '\0') {
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (*end == units[i].unit &&
                value <= DURATION_MAX / units[i].seconds) {
                *seconds = value * units[i].seconds;
                return 0;
            }
    }
    ctl_error("invalid %s \"%s\": give a positive number and a unit s, m, h "
              "or d (at most %ld days), e.g. 30m, 12h or 2d",
              name, text, DURATION_MAX / 86400);
    return -1;
}

int ctl_parse_local_time(const char *name, const char *text, time_t *out)
{
    char date_text[CAL_DATE_TEXT];
    struct cal_date date;
    int hour = -1;
    int minute = -1;
    char tail;

    if (strlen(text) == 16 && (text[10] == ' ' || text[10] == 'T') &&
        isdigit((unsigned char)text[11]) && isdigit((unsigned char)text[14])) {
        memcpy(date_text, text, 10);
        date_text[10] = '\0';
        if (cal_parse_date(date_text, &date) != 0 ||
            sscanf(text + 11, "%2d:%2d%c", &hour, &minute, &tail) != 2)
            hour = -1;
    }
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59) {
        ctl_error("invalid %s \"%s\": give a local time as 'YYYY-MM-DD "
                  "HH:MM', e.g. '2026-12-05 08:00'",
                  name, text);
        return -1;
    }
    *out = cal_local_time(date, hour * 3600L + minute * 60L);
    if (*out == (time_t)-1) {
        ctl_error("cannot convert %s \"%s\" to a time in zone %s", name, text,
                  getenv("TZ") ? getenv("TZ") : "UTC");
        return -1;
    }
    return 0;
}

int ctl_check_reason(const char *name, const char *text)
{
    size_t len = strlen(text);

    if (len == 0 || len > CTL_REASON_MAX) {
        ctl_error("invalid %s: give 1 to %d characters, e.g. --reason "
                  "'complaints from example.net'",
                  name, CTL_REASON_MAX);
        return -1;
    }

    /*
     * The milter sends the reason in its SMTP reply, which is ASCII, and
     * libmilter drops a reply text that contains a lone '%'.
     */
    for (const char *p = text; *p; p++)
        if (*p < ' ' || *p > '~' || *p == '%') {
            ctl_error("invalid %s \"%s\": use printable ASCII characters "
                      "other than '%%'",
                      name, text);
            return -1;
        }
    return 0;
}

void ctl_note(char *buf, size_t len)
{
    const char *user = getenv("SUDO_USER");
    const struct passwd *pw;

    if (user == NULL || *user == '\0')
        user = getenv("USER");
    if (user == NULL || *user == '\0') {
        pw = getpwuid(getuid());
        user = pw ? pw->pw_name : NULL;
    }
    if (user != NULL)
        snprintf(buf, len, "rampartctl by %s", user);
    else
        snprintf(buf, len, "rampartctl by uid %ld", (long)getuid());
}

void ctl_format_time(time_t t, char *buf, size_t len)
{
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, len, "%Y-%m-%d %H:%M %Z", &tm) == 0)
        snprintf(buf, len, "%lld", (long long)t);
}
