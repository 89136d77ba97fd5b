/*
 * explain.c - rampartctl explain: the decision the milter would make for
 * one message now, computed by the decision script in explain mode, which
 * writes nothing
 */
#include "commands.h"
#include "domain.h"
#include "quota.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

/* Upper bound of --recipients, to catch typing errors. */
#define RECIPIENTS_MAX 1000000L

/* Return the provider ramp a recipient counts against, or NULL. */
static const struct provider_ramp *ramp_of(const struct rampart_config *cfg,
                                           const char *rcpt)
{
    char domain[DOMAIN_TEXT_MAX];

    if (domain_of_address(rcpt, domain, sizeof(domain)) != 0)
        return NULL;
    return quota_ramp_of(cfg, domain);
}

/* Count one recipient on its provider ramp's part of "msg". */
static void add_to_part(struct quota_message *msg,
                        const struct provider_ramp *ramp)
{
    size_t i;

    if (ramp == NULL)
        return;
    for (i = 0; i < msg->part_count; i++)
        if (msg->parts[i].ramp == ramp)
            break;
    if (i == msg->part_count) {
        if (msg->part_count == LIMITER_MAX_PROVIDERS)
            return;
        msg->parts[msg->part_count].ramp = ramp;
        msg->parts[msg->part_count].recipients = 0;
        msg->part_count++;
    }
    msg->parts[i].recipients++;
}

/*
 * Build the message from the --rcpt addresses, counting each mailbox once
 * as the milter does.  Returns 0, or -1 after printing an error.
 */
static int build_message(const struct rampart_config *cfg, char **rcpts,
                         size_t count, struct quota_message *msg)
{
    char(*seen)[ADDRESS_TEXT_MAX] = calloc(count, sizeof(*seen));
    size_t distinct = 0;

    if (seen == NULL) {
        ctl_error("out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        size_t k;

        if (address_normalize(rcpts[i], seen[distinct], sizeof(seen[0])) != 0) {
            ctl_error("invalid --rcpt address \"%s\": give an address such "
                      "as user@example.com",
                      rcpts[i]);
            free(seen);
            return -1;
        }
        for (k = 0; k < distinct; k++)
            if (strcmp(seen[k], seen[distinct]) == 0)
                break;
        if (k < distinct)
            continue;
        distinct++;
        msg->recipients++;
        add_to_part(msg, ramp_of(cfg, rcpts[i]));
    }
    free(seen);
    return 0;
}

static const char *refusal_text(const struct quota_outcome *out)
{
    switch (out->refusal) {
    case REFUSED_START:
        return "the warm-up has not started yet";
    case REFUSED_PAUSED:
        return "the source or one of its provider ramps is paused";
    case REFUSED_WINDOW:
        return "the send hours are closed now";
    case REFUSED_PACE:
        return "pacing: the day's cap, spread over the send hours, has no "
               "room yet";
    case REFUSED_LIMIT:
        break;
    }
    return out->scope[0] ? "the provider ramp's cap has no room for the "
                           "message"
                         : "a cap has no room for the message";
}

static void print_message(const struct quota_message *msg, size_t rcpt_count)
{
    printf("  message: %ld recipient%s", msg->recipients,
           msg->recipients == 1 ? "" : "s");
    if (rcpt_count == 0)
        printf(", no addresses given, so no provider ramp applies");
    else if (msg->part_count == 0)
        printf(", none on a provider ramp");
    for (size_t i = 0; i < msg->part_count; i++)
        printf("%s%s %ld",
               i ? ", " : "; provider ramps: ", msg->parts[i].ramp->provider,
               msg->parts[i].recipients);
    printf("\n");
}

/* Print the ramp's step, cap and use, and why the step is what it is. */
static int print_ramp(struct ctl *ctl, const struct source *src,
                      const struct quota_outcome *out, long units)
{
    const char *unit = config_unit_name(ctl->cfg->count);
    const char *move;
    struct ramp_view v;

    if (view_load(ctl, src, NULL, NULL, &v) != 0) {
        view_free(&v);
        return -1;
    }
    if (v.fixed)
        printf("  fixed daily cap %ld %s, %ld used", out->cap, unit, v.used);
    else
        printf("  step %ld, cap %ld %s today, %ld used", out->step, out->cap,
               unit, v.used);
    if (out->action == QUOTA_ACCEPT)
        printf(", %ld left after this message",
               out->cap - v.used - units > 0 ? out->cap - v.used - units : 0);
    printf("\n");

    if (!v.has_state)
        printf("  the ramp has no state: the first decision creates it from "
               "the config\n");
    else if (!v.day_begun && !v.fixed && v.step != out->step)
        printf("  no decision today yet: the first one judges the last "
               "sending day and moves the step from %ld to %ld\n",
               v.step, out->step);
    else if (!v.day_begun && !v.fixed)
        printf("  no decision today yet: the first one judges the last "
               "sending day and keeps step %ld\n",
               v.step);
    if ((move = view_field(&v, "last_move")) != NULL)
        printf("  last move: %s\n", move);
    view_free(&v);
    return 0;
}

static int explain(struct ctl *ctl, const struct source *src,
                   const struct quota_message *msg, size_t rcpt_count)
{
    struct quota_outcome out;
    char err[512];
    char retry[64];
    long units = ctl->cfg->count == UNIT_MESSAGES ? 1 : msg->recipients;

    if (quota_run(ctl->store, ctl->cfg, src, LIMITER_EXPLAIN, msg, &out, err,
                  sizeof(err)) != 0) {
        ctl_error("%s: %s", src->address, err);
        return EX_UNAVAILABLE;
    }
    printf("%s: %s\n", src->address,
           out.action == QUOTA_ACCEPT ? "accept" : "defer");
    print_message(msg, rcpt_count);
    if (out.action == QUOTA_DEFER) {
        printf("  reply: 451 4.7.1 %s\n", out.reason);
        printf("  why: %s%s%s\n", refusal_text(&out), out.scope[0] ? ": " : "",
               out.scope);
        if (out.retry_at > 0) {
            ctl_format_time(out.retry_at, retry, sizeof(retry));
            printf("  retry at: %s\n", retry);
        }
    }
    return print_ramp(ctl, src, &out, units) == 0 ? EX_OK : EX_UNAVAILABLE;
}

int cmd_explain(struct ctl *ctl, const struct command *cmd, int argc,
                char **argv)
{
    static const struct option longopts[] = {
        {"rcpt", required_argument, NULL, 'r'},
        {"recipients", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct quota_message msg = {.recipients = 1};
    const char *recipients = NULL;
    const struct source *src;
    char **rcpts = calloc((size_t)argc + 1, sizeof(*rcpts));
    size_t rcpt_count = 0;
    int opt;
    int rc = EX_USAGE;

    if (rcpts == NULL) {
        ctl_error("out of memory");
        return EX_OSERR;
    }
    while ((opt = ctl_getopt(cmd, argc, argv, ":h", longopts)) != -1) {
        if (opt == 'h') {
            ctl_help(cmd, stdout);
            rc = EX_OK;
            goto done;
        }
        if (opt == 'r')
            rcpts[rcpt_count++] = optarg;
        else if (opt == 'n')
            recipients = optarg;
        else
            goto done;
    }
    if (argc - optind != 1) {
        ctl_usage(cmd, "give exactly one SOURCE");
        goto done;
    }
    if (recipients != NULL && rcpt_count > 0) {
        ctl_usage(cmd, "give --rcpt addresses or --recipients N, not both");
        goto done;
    }
    if (recipients != NULL &&
        ctl_parse_long("--recipients", recipients, 1, RECIPIENTS_MAX,
                       &msg.recipients) != 0)
        goto done;
    if ((rc = ctl_load(ctl)) != EX_OK)
        goto done;
    rc = EX_USAGE;
    if ((src = ctl_source(ctl, argv[optind])) == NULL)
        goto done;
    if (rcpt_count > 0) {
        msg.recipients = 0;
        if (build_message(ctl->cfg, rcpts, rcpt_count, &msg) != 0)
            goto done;
    }
    if ((rc = ctl_connect(ctl)) == EX_OK)
        rc = explain(ctl, src, &msg, rcpt_count);
done:
    free(rcpts);
    return rc;
}
