/*
 * filter.c - the milter callbacks of rampart-milter
 *
 * A message is mapped to its source IP at MAIL FROM.  Each RCPT is checked
 * without charging: the recipients already accepted in the transaction
 * count as pending.  End of message charges all of them in one atomic
 * step.  An ABORT, or a transaction the MTA refuses, charges nothing.
 */
#include "filter.h"

#include "domain.h"
#include "log.h"
#include "quota.h"
#include "route.h"
#include "runtime.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Recipients remembered per transaction to skip duplicates. */
#define SEEN_MAX 10000

/* One SMTP session, from connect to close. */
struct session {
    struct runtime *rt;
    char client_addr[ADDR_TEXT_MAX];
    char daemon_addr[ADDR_TEXT_MAX]; /* "" when the MTA sent none */
    char daemon_name[64];
    char queue_id[32];

    /* The open transaction, reset by MAIL FROM, ABORT and end of message. */
    const struct source *source; /* NULL: no route matched */
    char sender[ADDRESS_TEXT_MAX];
    long recipients; /* distinct recipients accepted so far */
    struct quota_part parts[LIMITER_MAX_PROVIDERS]; /* per provider ramp */
    size_t part_count;
    struct quota_cache cache; /* the transaction's last Redis check */
    char **seen;              /* normalized addresses of those recipients */
    size_t seen_count;
    size_t seen_size;
};

static struct log_repeat store_errors = LOG_REPEAT_INIT(60, "Redis errors");

void filter_flush_logs(void)
{
    log_repeat_flush(&store_errors);
}

static void reset_transaction(struct session *s)
{
    for (size_t i = 0; i < s->seen_count; i++)
        free(s->seen[i]);
    s->seen_count = 0;
    s->source = NULL;
    s->sender[0] = '\0';
    s->recipients = 0;
    s->part_count = 0;
    s->cache.valid = 0;
    s->queue_id[0] = '\0';
}

/* Copy a macro value, or "" when the MTA did not send it. */
static void copy_macro(SMFICTX *ctx, const char *name, char *buf, size_t len)
{
    const char *value = smfi_getsymval(ctx, (char *)name);

    snprintf(buf, len, "%s", value ? value : "");
}

static void update_queue_id(SMFICTX *ctx, struct session *s)
{
    const char *id = smfi_getsymval(ctx, "i");

    if (id != NULL && *id != '\0')
        snprintf(s->queue_id, sizeof(s->queue_id), "%s", id);
}

static const char *queue_id(const struct session *s)
{
    return s->queue_id[0] ? s->queue_id : "NOQUEUE";
}

static sfsistat cb_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
                             unsigned long f2, unsigned long f3,
                             unsigned long *pf0, unsigned long *pf1,
                             unsigned long *pf2, unsigned long *pf3)
{
    /* Steps rampart does not need: the MTA skips sending them. */
    unsigned long skip = SMFIP_NOHELO | SMFIP_NOHDRS | SMFIP_NOEOH |
                         SMFIP_NOBODY | SMFIP_NOUNKNOWN;

    *pf0 = f0 & SMFIF_ADDHDRS;
    *pf1 = f1 & skip;
    *pf2 = 0;
    *pf3 = 0;
    smfi_setsymlist(ctx, SMFIM_CONNECT, "{daemon_addr} {daemon_name} j");
    smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
    smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
    smfi_setsymlist(ctx, SMFIM_DATA, "i");
    smfi_setsymlist(ctx, SMFIM_EOM, "i");
    return SMFIS_CONTINUE;
}

static void sockaddr_text(const struct sockaddr *sa, char *buf, size_t len)
{
    char text[INET6_ADDRSTRLEN] = "";

    buf[0] = '\0';
    if (sa == NULL)
        return;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text,
                  sizeof(text));
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text,
                  sizeof(text));
    if (text[0] != '\0' && addr_canonical(text, buf, len) != 0)
        buf[0] = '\0';
}

static sfsistat cb_connect(SMFICTX *ctx, char *hostname,
                           struct sockaddr *hostaddr)
{
    struct session *s = calloc(1, sizeof(*s));
    char daemon_addr[128];

    if (s == NULL) {
        log_err("out of memory for a new milter session; tempfail");
        return SMFIS_TEMPFAIL;
    }
    s->rt = runtime_acquire();
    if (s->rt == NULL) {
        free(s);
        return SMFIS_TEMPFAIL;
    }
    sockaddr_text(hostaddr, s->client_addr, sizeof(s->client_addr));
    copy_macro(ctx, "{daemon_addr}", daemon_addr, sizeof(daemon_addr));
    if (daemon_addr[0] != '\0' && addr_canonical(daemon_addr, s->daemon_addr,
                                                 sizeof(s->daemon_addr)) != 0)
        log_warn("ignoring invalid {daemon_addr} \"%.64s\" from the MTA",
                 daemon_addr);
    copy_macro(ctx, "{daemon_name}", s->daemon_name, sizeof(s->daemon_name));
    smfi_setpriv(ctx, s);
    return SMFIS_CONTINUE;
}

/* Keep the sender without angle brackets: Postfix sends them for SMTP
 * mail but not for mail submitted with sendmail(1). */
static void copy_sender(struct session *s, const char *sender)
{
    size_t len = strlen(sender);

    if (len >= 2 && sender[0] == '<' && sender[len - 1] == '>') {
        sender++;
        len -= 2;
    }
    if (len >= sizeof(s->sender))
        len = sizeof(s->sender) - 1;
    memcpy(s->sender, sender, len);
    s->sender[len] = '\0';
}

static sfsistat cb_envfrom(SMFICTX *ctx, char **argv)
{
    struct session *s = smfi_getpriv(ctx);
    struct route_input in = {0};
    const struct route *route;
    const struct rampart_config *cfg;

    if (s == NULL)
        return SMFIS_TEMPFAIL;
    cfg = s->rt->cfg;
    reset_transaction(s);
    update_queue_id(ctx, s);
    copy_sender(s, argv[0] ? argv[0] : "");

    strcpy(in.daemon_addr, s->daemon_addr);
    strcpy(in.client_addr, s->client_addr);
    in.daemon_name = s->daemon_name[0] ? s->daemon_name : NULL;
    in.sasl_user = smfi_getsymval(ctx, "{auth_authen}");
    if (domain_of_address(s->sender, in.sender_domain,
                          sizeof(in.sender_domain)) < 0)
        in.sender_domain[0] = '\0';

    route = route_find(cfg, &in);
    if (route != NULL)
        s->source = &cfg->sources[route->source];
    else
        log_info("%s: action=skip stage=mail reason=\"no route matched\" "
                 "client=%s daemon_addr=%s from=<%s>",
                 queue_id(s), s->client_addr[0] ? s->client_addr : "none",
                 s->daemon_addr[0] ? s->daemon_addr : "none", s->sender);
    return SMFIS_CONTINUE;
}

/*
 * Write the normalized form of "rcpt" to "norm" and return 1 when the
 * transaction accepted it already.  An address that cannot be normalized
 * is taken as new ("norm" is then "").
 */
static int seen_before(const struct session *s, const char *rcpt, char *norm,
                       size_t len)
{
    if (address_normalize(rcpt, norm, len) != 0) {
        norm[0] = '\0';
        return 0;
    }
    for (size_t i = 0; i < s->seen_count; i++)
        if (strcmp(s->seen[i], norm) == 0)
            return 1;
    return 0;
}

/* Return the provider ramp a recipient counts against, or NULL. */
static const struct provider_ramp *ramp_of(const struct rampart_config *cfg,
                                           const char *rcpt)
{
    char domain[DOMAIN_TEXT_MAX];

    if (cfg->provider_ramp_count == 0 ||
        domain_of_address(rcpt, domain, sizeof(domain)) != 0)
        return NULL;
    return quota_ramp_of(cfg, domain);
}

/* The transaction's part for "ramp", or NULL when it has none yet. */
static struct quota_part *part_of(struct session *s,
                                  const struct provider_ramp *ramp)
{
    for (size_t i = 0; i < s->part_count; i++)
        if (s->parts[i].ramp == ramp)
            return &s->parts[i];
    return NULL;
}

/* Count an accepted recipient and remember it, up to SEEN_MAX of them. */
static void accept_recipient(struct session *s, const char *norm,
                             const struct provider_ramp *ramp)
{
    struct quota_part *part;
    char **grown;

    s->recipients++;
    if (ramp != NULL) {
        part = part_of(s, ramp);
        if (part == NULL && s->part_count < LIMITER_MAX_PROVIDERS) {
            part = &s->parts[s->part_count++];
            part->ramp = ramp;
            part->recipients = 0;
        }
        if (part != NULL)
            part->recipients++;
    }
    if (norm[0] == '\0' || s->seen_count == SEEN_MAX)
        return;
    if (s->seen_count == s->seen_size) {
        size_t size = s->seen_size ? s->seen_size * 2 : 16;

        grown = realloc(s->seen, size * sizeof(*grown));
        if (grown == NULL)
            return;
        s->seen = grown;
        s->seen_size = size;
    }
    if ((s->seen[s->seen_count] = strdup(norm)) != NULL)
        s->seen_count++;
}

/* Apply on_store_error after a failed Redis call. */
static sfsistat store_failed(SMFICTX *ctx, struct session *s, const char *stage,
                             const char *err)
{
    const struct rampart_config *cfg = s->rt->cfg;
    int tempfail = cfg->on_store_error == STORE_ERROR_TEMPFAIL;

    log_repeat(&store_errors, LOG_WARNING, "%s: %s", queue_id(s), err);
    log_info("%s: action=%s stage=%s source=%s reason=\"store error\" "
             "on_store_error=%s",
             queue_id(s), tempfail ? "tempfail" : "accept", stage,
             s->source->address, tempfail ? "tempfail" : "accept");
    if (!tempfail)
        return SMFIS_CONTINUE;
    smfi_setreply(ctx, "451", "4.3.0",
                  "rampart: send quota store unavailable, retry later");
    return SMFIS_TEMPFAIL;
}

/*
 * Log one decision.  At RCPT, "count" is the day's count in Redis and
 * "pending" the units this transaction would add with the new recipient.
 * At end of message, "count" includes the "charged" units of an accepted
 * message; "refused" gives those of a deferred one.
 */
static const char *refusal_word(enum limiter_refusal refusal)
{
    switch (refusal) {
    case REFUSED_START:
        return "start";
    case REFUSED_PAUSED:
        return "paused";
    case REFUSED_WINDOW:
        return "window";
    case REFUSED_PACE:
        return "pace";
    case REFUSED_LIMIT:
        break;
    }
    return "cap";
}

static void log_decision(const struct session *s, const char *stage,
                         const struct quota_outcome *out, long units,
                         const char *rcpt)
{
    const struct rampart_config *cfg = s->rt->cfg;
    char why[96] = "";
    int at_rcpt = rcpt != NULL;
    int accepted = out->action == QUOTA_ACCEPT;

    if (!accepted)
        snprintf(why, sizeof(why), " reason=%s%s%s", refusal_word(out->refusal),
                 out->scope[0] ? " provider=" : "", out->scope);
    log_info("%s: action=%s stage=%s source=%s unit=%s count=%ld %s=%ld "
             "cap=%ld step=%ld%s key=%s from=<%s>%s%s",
             queue_id(s), accepted ? "accept" : "defer", stage,
             s->source->address, config_unit_name(cfg->count), out->count,
             at_rcpt    ? "pending"
             : accepted ? "charged"
                        : "refused",
             units, out->cap, out->step, why, out->key, s->sender,
             at_rcpt ? " to=" : "", at_rcpt ? rcpt : "");
}

static sfsistat cb_envrcpt(SMFICTX *ctx, char **argv)
{
    struct session *s = smfi_getpriv(ctx);
    struct quota_outcome out;
    char err[512];
    const char *rcpt = argv[0] ? argv[0] : "";
    char norm[ADDRESS_TEXT_MAX];
    const struct provider_ramp *ramp;
    const struct quota_part *part;
    struct quota_message msg = {0};
    long pending;

    if (s == NULL)
        return SMFIS_TEMPFAIL;
    update_queue_id(ctx, s);
    if (s->source == NULL)
        return SMFIS_CONTINUE;
    if (seen_before(s, rcpt, norm, sizeof(norm))) {
        log_debug("%s: duplicate recipient %s counted once", queue_id(s), rcpt);
        return SMFIS_CONTINUE;
    }

    /* This recipient plus those the transaction accepted already. */
    ramp = ramp_of(s->rt->cfg, rcpt);
    msg.recipients = s->recipients + 1;
    if (ramp != NULL) {
        part = part_of(s, ramp);
        msg.parts[0].ramp = ramp;
        msg.parts[0].recipients = (part ? part->recipients : 0) + 1;
        msg.part_count = 1;
    }
    pending = s->rt->cfg->count == UNIT_MESSAGES ? 1 : msg.recipients;
    if (quota_run_cached(s->rt->store, s->rt->cfg, s->source, LIMITER_CHECK,
                         &msg, &s->cache, &out, err, sizeof(err)) != 0) {
        sfsistat rc = store_failed(ctx, s, "rcpt", err);

        if (rc == SMFIS_CONTINUE)
            accept_recipient(s, norm, ramp);
        return rc;
    }
    log_decision(s, "rcpt", &out, pending, rcpt);
    if (out.action == QUOTA_DEFER) {
        smfi_setreply(ctx, "451", "4.7.1", out.reason);
        return SMFIS_TEMPFAIL;
    }
    accept_recipient(s, norm, ramp);
    return SMFIS_CONTINUE;
}

/*
 * Replying to DATA also keeps Postfix from stalling on a TCP milter: with
 * nothing to answer between RCPT and end of message, Nagle's algorithm on
 * the MTA side meets delayed ACKs here.
 */
static sfsistat cb_data(SMFICTX *ctx)
{
    struct session *s = smfi_getpriv(ctx);

    if (s != NULL)
        update_queue_id(ctx, s);
    return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
    struct session *s = smfi_getpriv(ctx);
    struct quota_outcome out;
    char err[512];
    sfsistat rc = SMFIS_CONTINUE;
    const struct rampart_config *cfg;
    struct quota_message msg = {0};

    if (s == NULL)
        return SMFIS_TEMPFAIL;
    cfg = s->rt->cfg;
    update_queue_id(ctx, s);
    if (s->source == NULL || s->recipients == 0) {
        reset_transaction(s);
        return SMFIS_CONTINUE;
    }
    msg.recipients = s->recipients;
    msg.part_count = s->part_count;
    memcpy(msg.parts, s->parts, sizeof(msg.parts));
    if (quota_run(s->rt->store, cfg, s->source, LIMITER_CHARGE, &msg, &out, err,
                  sizeof(err)) != 0) {
        rc = store_failed(ctx, s, "eom", err);
    } else {
        log_decision(s, "eom", &out,
                     cfg->count == UNIT_MESSAGES ? 1 : s->recipients, NULL);
        if (out.action == QUOTA_DEFER) {
            smfi_setreply(ctx, "451", "4.7.1", out.reason);
            rc = SMFIS_TEMPFAIL;
        }
    }
    if (rc == SMFIS_CONTINUE && cfg->milter.header != NULL &&
        smfi_addheader(ctx, cfg->milter.header, (char *)s->source->address) !=
            MI_SUCCESS)
        log_warn("%s: cannot add header %s; the MTA did not allow header "
                 "changes",
                 queue_id(s), cfg->milter.header);
    reset_transaction(s);
    return rc;
}

static sfsistat cb_abort(SMFICTX *ctx)
{
    struct session *s = smfi_getpriv(ctx);

    if (s != NULL)
        reset_transaction(s);
    return SMFIS_CONTINUE;
}

static sfsistat cb_close(SMFICTX *ctx)
{
    struct session *s = smfi_getpriv(ctx);

    if (s == NULL)
        return SMFIS_CONTINUE;
    reset_transaction(s);
    free(s->seen);
    runtime_release(s->rt);
    free(s);
    smfi_setpriv(ctx, NULL);
    return SMFIS_CONTINUE;
}

struct smfiDesc filter_description = {
    .xxfi_name = "rampart",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS,
    .xxfi_connect = cb_connect,
    .xxfi_envfrom = cb_envfrom,
    .xxfi_envrcpt = cb_envrcpt,
    .xxfi_eom = cb_eom,
    .xxfi_abort = cb_abort,
    .xxfi_close = cb_close,
    .xxfi_data = cb_data,
    .xxfi_negotiate = cb_negotiate,
};
