/*
 * decide.c - the decision on one policy request
 */
#include "decide.h"

#include "domain.h"
#include "log.h"
#include "protocol.h"
#include "quota.h"
#include "route.h"
#include "runtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCOPE_TEXT_MAX 300

/* One decision under way: parsed request, limits and script call. */
struct job {
    struct decider *d;
    struct slot *slot;
    struct runtime *rt;
    struct policy_request req;
    const struct source *src;
    enum limiter_mode mode;
    struct quota_message msg;
    time_t now;
    char schedule[256];
    const char *named_schedule;
    int attempt;
    char norm[ADDRESS_TEXT_MAX];
    char scopes[2][SCOPE_TEXT_MAX]; /* "ramp:NAME", "limit:SCOPE" */
    const char *scope_list[2];
    size_t scope_count;
    char part_scopes[QUOTA_DOMAIN_PARTS_MAX][DOMAIN_TEXT_MAX];
    long units;        /* pending or charged units, for the log */
    int pending_added; /* the recipient is in its instance's pending state */
    int in_flight;     /* counted in its instance's in_flight */
    /* Last: decide_request() clears only the fields before it. */
    struct limiter_request lreq;
};

static struct log_repeat store_errors = LOG_REPEAT_INIT(60, "Redis errors");

static void start_eom(struct job *job);

/*
 * An END-OF-MESSAGE that arrived while RCPT checks of its transaction were
 * still on their way to Redis waits for them (a client that pipelines the
 * whole transaction), so it charges exactly the recipients allowed.
 */
static void check_finished(struct decider *d, const char *id)
{
    struct instance *in = instances_find(d->instances, id);
    struct job *eom;

    if (in == NULL || --in->in_flight > 0)
        return;
    if (in->parked != NULL) {
        eom = in->parked;
        in->parked = NULL;
        start_eom(eom);
    } else if (in->orphaned) {
        instances_remove(d->instances, id);
    }
}

static void job_free(struct job *job)
{
    if (job->in_flight)
        check_finished(job->d, job->req.instance);
    policy_request_free(&job->req);
    runtime_release(job->rt);
    free(job);
}

static const char *queue_id(const struct job *job)
{
    const char *id = job->req.queue_id;

    return id != NULL && *id != '\0' ? id : "NOQUEUE";
}

static const char *stage(const struct job *job)
{
    return job->mode == LIMITER_CHARGE ? "eom" : "rcpt";
}

/* Log the decision in one line and send the reply. */
static void answer(struct job *job, const struct quota_outcome *out)
{
    const struct rampart_config *cfg = job->rt->cfg;
    char action[700];
    int accepted = out->action == QUOTA_ACCEPT;

    job->d->decisions++;
    if (accepted) {
        snprintf(action, sizeof(action), "DUNNO");
    } else {
        job->d->deferred++;
        snprintf(action, sizeof(action), "%s %s", cfg->policy.action,
                 out->reason);
    }
    log_info(
        "%s: action=%s stage=%s source=%s unit=%s count=%ld %s=%ld "
        "cap=%ld step=%ld%s%s key=%s instance=%s client=%s from=<%s>%s%s%s",
        queue_id(job), accepted ? "dunno" : "defer", stage(job),
        job->src->address, config_unit_name(cfg->count), out->count,
        job->mode == LIMITER_CHARGE ? "charged" : "pending", job->units,
        out->cap, out->step, out->scope[0] ? " scope=" : "", out->scope,
        out->key, job->req.instance,
        job->req.client_address ? job->req.client_address : "",
        job->req.sender ? job->req.sender : "",
        job->req.recipient && job->mode != LIMITER_CHARGE ? " to=<" : "",
        job->req.recipient && job->mode != LIMITER_CHARGE ? job->req.recipient
                                                          : "",
        job->req.recipient && job->mode != LIMITER_CHARGE ? ">" : "");
    slot_done(job->slot, action);
}

static void undo_pending(struct job *job);

/* Apply on_store_error after a failed Redis call. */
static void store_failed(struct job *job, const char *err)
{
    const struct rampart_config *cfg = job->rt->cfg;
    int tempfail = cfg->on_store_error == STORE_ERROR_TEMPFAIL;

    if (tempfail)
        undo_pending(job);
    job->d->store_errors++;
    log_repeat(&store_errors, LOG_WARNING, "%s: %s", queue_id(job), err);
    log_info("%s: action=%s stage=%s source=%s reason=\"store error\" "
             "on_store_error=%s instance=%s",
             queue_id(job), tempfail ? "defer" : "dunno", stage(job),
             job->src->address, tempfail ? "tempfail" : "accept",
             job->req.instance);
    slot_done(job->slot,
              tempfail ? "451 4.3.0 rampart: send quota store unavailable, "
                         "retry later"
                       : "DUNNO");
}

static void send_job(struct job *job);

/* The pending state of the job's transaction, if it still exists. */
static struct instance *job_instance(struct job *job)
{
    if (job->req.instance[0] == '\0')
        return NULL;
    return instances_find(job->d->instances, job->req.instance);
}

/*
 * A recipient counts as pending from the moment its check is sent, so a
 * client that pipelines RCPT requests cannot slip past a limit.  A
 * deferral or an error takes it back.
 */
static void undo_pending(struct job *job)
{
    struct instance *in = job_instance(job);

    if (job->mode == LIMITER_CHECK && in != NULL && job->pending_added)
        instance_undo(in, job->norm, job->scope_list, job->scope_count);
    job->pending_added = 0;
}

static void finish(struct job *job, const struct limiter_result *res)
{
    struct quota_outcome out;
    struct instance *in = job_instance(job);

    quota_finish(job->rt->cfg, job->src, &job->lreq, res, &out);
    if (out.action != QUOTA_ACCEPT)
        undo_pending(job);
    if (job->mode == LIMITER_CHARGE && in != NULL)
        instances_remove(job->d->instances, job->req.instance);
    answer(job, &out);
}

static void on_reply(redisReply *reply, const char *err, void *arg)
{
    struct job *job = arg;
    struct limiter_result res;
    char why[512];

    if (reply == NULL ||
        limiter_parse(reply, &job->lreq, &res, why, sizeof(why)) != 0) {
        store_failed(job, reply == NULL ? err : why);
        job_free(job);
        return;
    }
    store_observe_time(job->rt->store, res.now, res.now_usec);
    if (quota_retry(&res, &job->now, job->schedule, sizeof(job->schedule))) {
        if (res.status == LIMITER_SCHEDULE)
            job->named_schedule = job->schedule;
        if (++job->attempt < 3) {
            send_job(job);
            return;
        }
        store_failed(job, "the decision script asked to retry three times");
        job_free(job);
        return;
    }
    finish(job, &res);
    job_free(job);
}

/* Build the script call for the job's current clock and send it. */
static void send_job(struct job *job)
{
    struct limiter_argv args;
    char err[512];

    if (quota_build(job->rt->cfg, job->src, job->now, job->mode, &job->msg,
                    job->named_schedule, &job->lreq, err, sizeof(err)) != 0) {
        store_failed(job, err);
        job_free(job);
        return;
    }
    limiter_build(&job->lreq, 0, &args);
    aredis_eval(job->d->redis, limit_script_sha1, args.argc, args.argv,
                args.argvlen, on_reply, job);
}

/* Map the request to its source by the routes; NULL when none matches. */
static const struct source *route_request(const struct rampart_config *cfg,
                                          const struct policy_request *req)
{
    struct route_input in = {0};
    const struct route *route;

    if (req->server_address != NULL &&
        addr_canonical(req->server_address, in.daemon_addr,
                       sizeof(in.daemon_addr)) != 0)
        in.daemon_addr[0] = '\0';
    if (req->client_address != NULL &&
        addr_canonical(req->client_address, in.client_addr,
                       sizeof(in.client_addr)) != 0)
        in.client_addr[0] = '\0';
    if (req->sender == NULL || domain_of_address(req->sender, in.sender_domain,
                                                 sizeof(in.sender_domain)) != 0)
        in.sender_domain[0] = '\0';
    if (req->sasl_username != NULL && *req->sasl_username != '\0')
        in.sasl_user = req->sasl_username;
    route = route_find(cfg, &in);
    return route ? &cfg->sources[route->source] : NULL;
}

/* The provider ramp and domain limit a recipient domain falls under. */
struct scopes {
    const struct provider_ramp *ramp;
    const struct domain_limit *limit;
    const char *limit_scope; /* provider name or the domain */
};

static void scopes_of(const struct rampart_config *cfg, const char *domain,
                      struct scopes *out)
{
    const struct provider *provider = config_provider_of(cfg, domain);

    out->ramp = NULL;
    if (cfg->policy.warmup)
        out->ramp =
            config_provider_ramp(cfg, provider ? provider->name : "default");
    out->limit = config_domain_limit(cfg, provider ? provider->name : "*");
    out->limit_scope = provider ? provider->name : domain;
}

/* Add one recipient's scopes to an end-of-message charge. */
static int add_to_message(struct job *job, const struct scopes *sc)
{
    struct quota_message *msg = &job->msg;
    size_t i;

    msg->recipients++;
    if (sc->ramp != NULL) {
        for (i = 0; i < msg->part_count; i++)
            if (msg->parts[i].ramp == sc->ramp)
                break;
        if (i == msg->part_count) {
            if (i == LIMITER_MAX_PROVIDERS)
                return -1;
            msg->parts[i].ramp = sc->ramp;
            msg->parts[i].recipients = 0;
            msg->part_count++;
        }
        msg->parts[i].recipients++;
    }
    if (sc->limit != NULL) {
        for (i = 0; i < msg->domain_part_count; i++)
            if (strcmp(msg->domain_parts[i].scope, sc->limit_scope) == 0)
                break;
        if (i == msg->domain_part_count) {
            if (i == QUOTA_DOMAIN_PARTS_MAX)
                return -1;
            snprintf(job->part_scopes[i], sizeof(job->part_scopes[i]), "%s",
                     sc->limit_scope);
            msg->domain_parts[i].limit = sc->limit;
            msg->domain_parts[i].scope = job->part_scopes[i];
            msg->domain_parts[i].recipients = 0;
            msg->domain_part_count++;
        }
        msg->domain_parts[i].recipients++;
    }
    return 0;
}

static int has_limits(const struct rampart_config *cfg,
                      const struct quota_message *msg)
{
    return cfg->policy.warmup || msg->domain_part_count > 0;
}

/*
 * One END-OF-MESSAGE charges at most QUOTA_DOMAIN_PARTS_MAX domain limit
 * scopes and LIMITER_MAX_PROVIDERS provider ramps, all in one step.  A
 * recipient that would add one more is deferred, and Postfix retries it in
 * a later transaction.
 */
static int scopes_fit(const struct instance *in, const char *const *scopes,
                      size_t count)
{
    size_t limits = 0;
    size_t ramps = 0;

    if (instance_scopes_full(in, scopes, count))
        return 0;
    for (size_t i = 0; i < in->scope_count; i++) {
        limits += strncmp(in->scopes[i].name, "limit:", 6) == 0;
        ramps += strncmp(in->scopes[i].name, "ramp:", 5) == 0;
    }
    for (size_t i = 0; i < count; i++) {
        int known = 0;

        for (size_t k = 0; k < in->scope_count; k++)
            known |= strcmp(in->scopes[k].name, scopes[i]) == 0;
        if (known)
            continue;
        limits += strncmp(scopes[i], "limit:", 6) == 0;
        ramps += strncmp(scopes[i], "ramp:", 5) == 0;
    }
    return limits <= QUOTA_DOMAIN_PARTS_MAX && ramps <= LIMITER_MAX_PROVIDERS;
}

/* A new instance on a connection ends the transaction asked about before. */
static void track_instance(struct job *job)
{
    size_t len;
    char *last = slot_last_instance(job->slot, &len);

    struct instance *old;

    if (strcmp(last, job->req.instance) == 0)
        return;
    old = last[0] != '\0' ? instances_find(job->d->instances, last) : NULL;
    if (old != NULL && (old->in_flight > 0 || old->parked != NULL))
        old->orphaned = 1;
    else if (old != NULL)
        instances_remove(job->d->instances, last);
    snprintf(last, len, "%s", job->req.instance);
}

static void start_rcpt(struct job *job)
{
    const struct rampart_config *cfg = job->rt->cfg;
    char domain[DOMAIN_TEXT_MAX];
    struct scopes sc;
    struct instance *in = NULL;

    if (job->req.recipient == NULL ||
        address_normalize(job->req.recipient, job->norm, sizeof(job->norm)) !=
            0 ||
        domain_of_address(job->req.recipient, domain, sizeof(domain)) != 0) {
        log_warn("%s: no usable recipient in RCPT request (instance %s); "
                 "DUNNO",
                 queue_id(job), job->req.instance);
        slot_done(job->slot, "DUNNO");
        job_free(job);
        return;
    }
    track_instance(job);
    if (job->req.instance[0] != '\0')
        in = instances_get(job->d->instances, job->req.instance, time(NULL));
    if (in != NULL && instance_seen(in, job->norm)) {
        log_debug("%s: duplicate recipient %s counted once", queue_id(job),
                  job->norm);
        slot_done(job->slot, "DUNNO");
        job_free(job);
        return;
    }

    scopes_of(cfg, domain, &sc);
    job->msg.domain_limits_only = !cfg->policy.warmup;
    job->msg.recipients = (in ? in->recipients : 0) + 1;
    if (sc.ramp != NULL) {
        snprintf(job->scopes[job->scope_count], SCOPE_TEXT_MAX, "ramp:%s",
                 sc.ramp->provider);
        job->msg.parts[0].ramp = sc.ramp;
        job->msg.parts[0].recipients =
            (in ? instance_scope_count(in, job->scopes[job->scope_count]) : 0) +
            1;
        job->msg.part_count = 1;
        job->scope_count++;
    }
    if (sc.limit != NULL) {
        snprintf(job->scopes[job->scope_count], SCOPE_TEXT_MAX, "limit:%s",
                 sc.limit_scope);
        snprintf(job->part_scopes[0], sizeof(job->part_scopes[0]), "%s",
                 sc.limit_scope);
        job->msg.domain_parts[0].limit = sc.limit;
        job->msg.domain_parts[0].scope = job->part_scopes[0];
        job->msg.domain_parts[0].recipients =
            (in ? instance_scope_count(in, job->scopes[job->scope_count]) : 0) +
            1;
        job->msg.domain_part_count = 1;
        job->scope_count++;
    }
    for (size_t i = 0; i < job->scope_count; i++)
        job->scope_list[i] = job->scopes[i];
    if (!has_limits(cfg, &job->msg)) {
        slot_done(job->slot, "DUNNO");
        job_free(job);
        return;
    }
    if (in != NULL && !scopes_fit(in, job->scope_list, job->scope_count)) {
        log_info("%s: action=defer stage=rcpt source=%s reason=\"too many "
                 "recipient domains in one transaction\" instance=%s",
                 queue_id(job), job->src->address, job->req.instance);
        slot_done(job->slot, "451 4.5.3 rampart: too many recipient domains "
                             "in one transaction, retry later");
        job_free(job);
        return;
    }
    job->units = cfg->count == UNIT_MESSAGES ? 1 : job->msg.recipients;
    if (in != NULL) {
        if (instance_add(in, job->norm, job->scope_list, job->scope_count) != 0)
            log_warn("%s: cannot remember recipient %s of instance %s",
                     queue_id(job), job->norm, job->req.instance);
        else
            job->pending_added = 1;
        in->in_flight++;
        job->in_flight = 1;
    }
    send_job(job);
}

/* Exim lists the accepted recipients; Postfix relies on the RCPT state. */
static int message_from_list(struct job *job)
{
    const struct rampart_config *cfg = job->rt->cfg;
    const struct policy_request *req = &job->req;

    for (size_t i = 0; i < req->recipient_list_count; i++) {
        char domain[DOMAIN_TEXT_MAX];
        char norm[ADDRESS_TEXT_MAX];
        struct scopes sc;
        int duplicate = 0;

        if (address_normalize(req->recipients[i], norm, sizeof(norm)) != 0 ||
            domain_of_address(req->recipients[i], domain, sizeof(domain)) != 0)
            continue;
        for (size_t k = 0; k < i && !duplicate; k++) {
            char other[ADDRESS_TEXT_MAX];

            duplicate = address_normalize(req->recipients[k], other,
                                          sizeof(other)) == 0 &&
                        strcmp(other, norm) == 0;
        }
        if (duplicate)
            continue;
        scopes_of(cfg, domain, &sc);
        if (add_to_message(job, &sc) != 0)
            return -1;
    }
    return 0;
}

static int message_from_instance(struct job *job, struct instance *in)
{
    const struct rampart_config *cfg = job->rt->cfg;
    long excess = 0;
    long excess_ramp;
    long excess_limit;

    /*
     * recipient_count below the recipients allowed here means a later
     * restriction rejected some.  NOTE: which ones is unknown, so the
     * excess comes off the most recent scopes first.
     */
    if (job->req.recipient_count >= 0 &&
        job->req.recipient_count < in->recipients)
        excess = in->recipients - job->req.recipient_count;
    job->msg.recipients = in->recipients - excess;
    excess_ramp = excess;
    excess_limit = excess;
    for (size_t i = in->scope_count; i-- > 0;) {
        const struct instance_scope *s = &in->scopes[i];
        int is_ramp = strncmp(s->name, "ramp:", 5) == 0;
        long *left = is_ramp ? &excess_ramp : &excess_limit;
        long cut = *left < s->recipients ? *left : s->recipients;
        long n = s->recipients - cut;

        *left -= cut;
        if (n == 0)
            continue;
        if (is_ramp && job->msg.part_count < LIMITER_MAX_PROVIDERS) {
            struct quota_part *p = &job->msg.parts[job->msg.part_count];

            p->ramp = config_provider_ramp(cfg, s->name + 5);
            p->recipients = n;
            job->msg.part_count += p->ramp != NULL;
        } else if (!is_ramp &&
                   job->msg.domain_part_count < QUOTA_DOMAIN_PARTS_MAX) {
            size_t k = job->msg.domain_part_count;
            const struct provider *prov = NULL;

            for (size_t p = 0; p < cfg->provider_count; p++)
                if (strcmp(cfg->providers[p].name, s->name + 6) == 0)
                    prov = &cfg->providers[p];
            snprintf(job->part_scopes[k], sizeof(job->part_scopes[k]), "%s",
                     s->name + 6);
            job->msg.domain_parts[k].limit =
                config_domain_limit(cfg, prov ? prov->name : "*");
            job->msg.domain_parts[k].scope = job->part_scopes[k];
            job->msg.domain_parts[k].recipients = n;
            job->msg.domain_part_count +=
                job->msg.domain_parts[k].limit != NULL;
        }
    }
    return 0;
}

static void start_eom(struct job *job)
{
    const struct rampart_config *cfg = job->rt->cfg;
    struct instance *in = job_instance(job);
    int rc;

    if (in != NULL && in->in_flight > 0 && job->req.recipient_list_count == 0) {
        if (in->parked == NULL) {
            in->parked = job; /* check_finished() starts it again */
            return;
        }
        log_warn("%s: a second END-OF-MESSAGE for instance %s while the "
                 "first waits; DUNNO",
                 queue_id(job), job->req.instance);
        slot_done(job->slot, "DUNNO");
        job_free(job);
        return;
    }
    job->msg.domain_limits_only = !cfg->policy.warmup;
    if (job->req.recipient_list_count > 0)
        rc = message_from_list(job);
    else if (in != NULL && in->recipients > 0)
        rc = message_from_instance(job, in);
    else
        rc = 1;
    if (rc < 0) {
        /* Charging only part of the message would lose counts: defer it. */
        log_info("%s: action=defer stage=eom source=%s reason=\"more than %d "
                 "recipient scopes in one message\" instance=%s",
                 queue_id(job), job->src->address, QUOTA_DOMAIN_PARTS_MAX,
                 job->req.instance);
        if (in != NULL)
            instances_remove(job->d->instances, job->req.instance);
        slot_done(job->slot, "451 4.5.3 rampart: too many recipient domains "
                             "in one message, retry later");
        job_free(job);
        return;
    }
    if (rc != 0 || job->msg.recipients == 0 || !has_limits(cfg, &job->msg)) {
        if (in != NULL)
            instances_remove(job->d->instances, job->req.instance);
        slot_done(job->slot, "DUNNO");
        job_free(job);
        return;
    }
    job->units = cfg->count == UNIT_MESSAGES ? 1 : job->msg.recipients;
    send_job(job);
}

void decide_request(void *ctx, struct slot *slot, const char *text, size_t len,
                    const char *peer)
{
    struct decider *d = ctx;
    struct job *job = malloc(sizeof(*job));
    char err[256];

    if (job == NULL) {
        slot_done(slot, "451 4.3.0 rampart: out of memory, retry later");
        return;
    }
    memset(job, 0, offsetof(struct job, lreq));
    job->d = d;
    job->slot = slot;
    if (policy_request_parse(text, len, &job->req, err, sizeof(err)) != 0) {
        log_warn("malformed policy request from %s: %s; closing the "
                 "connection without a reply",
                 peer, err);
        slot_done(slot, NULL);
        free(job);
        return;
    }
    if (job->req.state == POLICY_STATE_OTHER) {
        slot_done(slot, "DUNNO");
        policy_request_free(&job->req);
        free(job);
        return;
    }
    job->rt = runtime_acquire();
    job->src = route_request(job->rt->cfg, &job->req);
    if (job->src == NULL) {
        log_debug("%s: action=dunno reason=\"no route matched\" client=%s",
                  queue_id(job),
                  job->req.client_address ? job->req.client_address : "");
        slot_done(slot, "DUNNO");
        job_free(job);
        return;
    }
    job->now = store_now(job->rt->store);
    if (job->req.state == POLICY_STATE_RCPT) {
        job->mode = LIMITER_CHECK;
        start_rcpt(job);
    } else {
        job->mode = LIMITER_CHARGE;
        start_eom(job);
    }
}

void decide_expire(struct decider *d)
{
    struct runtime *rt = runtime_acquire();
    time_t now = time(NULL);
    size_t dropped;

    if (rt == NULL)
        return;
    dropped = instances_expire(d->instances,
                               now - rt->cfg->policy.instance_timeout_s);
    if (dropped > 0)
        log_info("dropped the pending state of %zu transactions idle for "
                 "%d s",
                 dropped, rt->cfg->policy.instance_timeout_s);
    runtime_release(rt);
    log_repeat_flush(&store_errors);
}
