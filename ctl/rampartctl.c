/*
 * rampartctl.c - inspect the warm-up state that rampart keeps in Redis
 *
 * Usage: rampartctl [-c FILE] COMMAND [ARGS]
 */
#include "config.h"
#include "keys.h"
#include "store.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

struct ctl {
    struct rampart_config *cfg;
    struct store *store;
};

struct command {
    const char *name;
    const char *args;
    const char *help;
    int (*run)(struct ctl *ctl, int argc, char **argv);
};

static void usage(FILE *out);

/* Read Redis TIME, the clock every rampart host decides by. */
static int redis_time(struct ctl *ctl, time_t *now)
{
    const char *argv[] = {"TIME"};
    size_t argvlen[] = {4};
    char err[512];
    redisReply *reply =
        store_command(ctl->store, 1, argv, argvlen, err, sizeof(err));

    if (reply == NULL) {
        fprintf(stderr, "rampartctl: %s\n", err);
        return -1;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING) {
        fprintf(stderr, "rampartctl: unexpected reply to TIME from Redis\n");
        freeReplyObject(reply);
        return -1;
    }
    *now = (time_t)strtoll(reply->element[0]->str, NULL, 10);
    freeReplyObject(reply);
    return 0;
}

/* Fetch the day hash fields messages, recipients, tempfailed and its TTL. */
static int __attribute__((unused))
day_counts(struct ctl *ctl, const char *key, long counts[3], long *ttl)
{
    const char *hmget[] = {"HMGET", key, "messages", "recipients",
                           "tempfailed"};
    const char *ttl_argv[] = {"TTL", key};
    size_t lens[5];
    char err[512];
    redisReply *reply;

    for (int i = 0; i < 5; i++)
        lens[i] = strlen(hmget[i]);
    reply = store_command(ctl->store, 5, hmget, lens, err, sizeof(err));
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != 3) {
        fprintf(stderr, "rampartctl: reading %s failed: %s\n", key,
                reply ? (reply->type == REDIS_REPLY_ERROR ? reply->str
                                                          : "bad reply")
                      : err);
        if (reply)
            freeReplyObject(reply);
        return -1;
    }
    for (int i = 0; i < 3; i++)
        counts[i] = reply->element[i]->type == REDIS_REPLY_STRING
                        ? strtol(reply->element[i]->str, NULL, 10)
                        : 0;
    freeReplyObject(reply);

    lens[0] = 3;
    lens[1] = strlen(key);
    reply = store_command(ctl->store, 2, ttl_argv, lens, err, sizeof(err));
    *ttl = reply && reply->type == REDIS_REPLY_INTEGER ? reply->integer : -2;
    if (reply)
        freeReplyObject(reply);
    return 0;
}

/* Read one field of a hash as a long; 0 when it is missing. */
static long hash_long(struct ctl *ctl, const char *key, const char *field)
{
    const char *argv[] = {"HGET", key, field};
    size_t lens[] = {4, strlen(key), strlen(field)};
    char err[512];
    redisReply *reply =
        store_command(ctl->store, 3, argv, lens, err, sizeof(err));
    long value = 0;

    if (reply != NULL && reply->type == REDIS_REPLY_STRING)
        value = strtol(reply->str, NULL, 10);
    if (reply != NULL)
        freeReplyObject(reply);
    return value;
}

static int cmd_status(struct ctl *ctl, int argc, char **argv)
{
    const struct rampart_config *cfg = ctl->cfg;
    time_t now;
    struct cal_day day;

    if (redis_time(ctl, &now) != 0)
        return EX_UNAVAILABLE;
    now += cfg->test_clock_offset;
    if (cal_day_at(now, &day) != 0)
        return EX_SOFTWARE;
    printf("%-16s %-10s %5s %10s %10s %10s  %s\n", "SOURCE", "SCHEDULE", "STEP",
           "CAP", "ACCEPTED", "DEFERRED", "KEY");
    for (size_t i = 0; i < cfg->source_count; i++) {
        const struct source *src = &cfg->sources[i];
        char key[LIMITER_KEY_MAX];
        char ramp[LIMITER_KEY_MAX];
        long used;
        int wanted = argc == 0;

        for (int k = 0; k < argc; k++) {
            char canon[ADDR_TEXT_MAX];

            if (addr_canonical(argv[k], canon, sizeof(canon)) == 0 &&
                strcmp(canon, src->address) == 0)
                wanted = 1;
        }
        if (!wanted)
            continue;
        keys_day(key, sizeof(key), cfg->redis.prefix, src->address, day.date,
                 NULL);
        keys_ramp(ramp, sizeof(ramp), cfg->redis.prefix, src->address, NULL);
        used = hash_long(ctl, key, config_unit_name(cfg->count));
        printf("%-16s %-10s %5ld %10ld %10ld %10ld  %s\n", src->address,
               src->schedule ? src->schedule->name : "fixed",
               hash_long(ctl, ramp, "step"), hash_long(ctl, ramp, "cap"), used,
               hash_long(ctl, key, "tempfailed"), key);
    }
    return EX_OK;
}

static int cmd_check(struct ctl *ctl, int argc, char **argv)
{
    printf("%s: configuration OK\n", ctl->cfg->path);
    return EX_OK;
}

static const struct command commands[] = {
    {"status", "[SOURCE...]",
     "show each source's ramp day, today's cap and today's counts", cmd_status},
    {"check", "", "check the configuration file and exit", cmd_check},
    {NULL, NULL, NULL, NULL}};

static void usage(FILE *out)
{
    fprintf(out, "usage: rampartctl [-c FILE] COMMAND [ARGS]\n"
                 "  -c FILE  configuration file (default " CONFIG_DEFAULT_PATH
                 ")\ncommands:\n");
    for (const struct command *c = commands; c->name; c++)
        fprintf(out, "  %s %s\n      %s\n", c->name, c->args, c->help);
}

int main(int argc, char **argv)
{
    const char *path = CONFIG_DEFAULT_PATH;
    struct ctl ctl = {0};
    char *errors = NULL;
    char err[512];
    int opt;
    int rc;

    /* A Redis restart must not kill the command through a broken pipe. */
    signal(SIGPIPE, SIG_IGN);
    while ((opt = getopt(argc, argv, "+c:h")) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'h':
            usage(stdout);
            return EX_OK;
        default:
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EX_USAGE;
    }
    for (const struct command *c = commands; c->name; c++) {
        if (strcmp(c->name, argv[optind]) != 0)
            continue;
        ctl.cfg = config_load(path, &errors);
        if (ctl.cfg == NULL) {
            fprintf(stderr, "%s", errors ? errors : "out of memory\n");
            free(errors);
            return EX_CONFIG;
        }
        if (cal_set_zone(ctl.cfg->timezone, err, sizeof(err)) != 0) {
            fprintf(stderr, "rampartctl: %s\n", err);
            return EX_CONFIG;
        }
        ctl.store = store_open(&ctl.cfg->redis);
        rc = c->run(&ctl, argc - optind - 1, argv + optind + 1);
        store_close(ctl.store);
        config_free(ctl.cfg);
        return rc;
    }
    fprintf(stderr, "rampartctl: unknown command \"%s\"\n", argv[optind]);
    usage(stderr);
    return EX_USAGE;
}
