/*
 * main.c - rampart-policyd: start-up, privilege drop, reload and shutdown
 *
 * One event loop serves every connection and pipelines the decisions to
 * Redis over one connection.  Signals: SIGHUP reloads rampart.conf,
 * SIGTERM and SIGINT stop the server.
 */
#include "aredis.h"
#include "daemon.h"
#include "decide.h"
#include "log.h"
#include "runtime.h"
#include "server.h"

#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

struct daemon_state {
    const struct daemon_options *opt;
    struct event_base *base;
    struct server *server;
    struct decider decider;
};

static int same_redis(const struct redis_config *a,
                      const struct redis_config *b)
{
    return strcmp(a->address, b->address) == 0 &&
           a->timeout_ms == b->timeout_ms && a->database == b->database &&
           !!a->password == !!b->password &&
           (a->password == NULL || strcmp(a->password, b->password) == 0) &&
           !!a->username == !!b->username &&
           (a->username == NULL || strcmp(a->username, b->username) == 0);
}

static struct aredis *open_redis(struct event_base *base,
                                 const struct redis_config *rc)
{
    struct aredis *r = aredis_new(base, rc);

    if (r != NULL)
        aredis_add_script(r, limit_script, limit_script_sha1);
    return r;
}

static void reload(struct daemon_state *ds)
{
    char *errors = NULL;
    char err[512];
    struct rampart_config *cfg = config_load(ds->opt->config_path, &errors);
    struct runtime *old;
    int new_redis;

    if (cfg == NULL) {
        for (char *line = strtok(errors, "\n"); line != NULL;
             line = strtok(NULL, "\n"))
            log_err("reload failed, keeping the running configuration: %s",
                    line);
        free(errors);
        return;
    }
    if (cal_set_zone(cfg->timezone, err, sizeof(err)) != 0) {
        log_err("reload failed, keeping the running configuration: %s", err);
        config_free(cfg);
        return;
    }
    old = runtime_acquire();
    new_redis = !same_redis(&old->cfg->redis, &cfg->redis);
    for (size_t i = 0; i < cfg->policy.socket_count; i++)
        if (i >= old->cfg->policy.socket_count ||
            strcmp(cfg->policy.sockets[i], old->cfg->policy.sockets[i]) != 0)
            log_warn("reload: policy.socket changed; the new sockets take "
                     "effect at the next restart");
    runtime_release(old);
    log_set_debug(cfg->log_debug);
    if (runtime_install(cfg) != 0) {
        log_err("reload failed: out of memory");
        return;
    }
    if (new_redis) {
        struct runtime *rt = runtime_acquire();
        struct aredis *r = open_redis(ds->base, &rt->cfg->redis);

        runtime_release(rt);
        if (r != NULL) {
            /* Calls still under way on the old connection fail. */
            aredis_free(ds->decider.redis);
            ds->decider.redis = r;
        }
    }
    log_info("reloaded %s", ds->opt->config_path);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon_state *ds = arg;

    (void)what;
    if (sig == SIGHUP) {
        reload(ds);
        return;
    }
    log_info("stopping rampart-policyd on signal %d", (int)sig);
    event_base_loopexit(ds->base, NULL);
}

static void on_minute(evutil_socket_t fd, short what, void *arg)
{
    struct daemon_state *ds = arg;

    (void)fd;
    (void)what;
    decide_expire(&ds->decider);
    log_info("statistics: decisions=%lu deferred=%lu store_errors=%lu "
             "connections=%zu transactions=%zu redis=%s",
             ds->decider.decisions, ds->decider.deferred,
             ds->decider.store_errors, server_connections(ds->server),
             instances_count(ds->decider.instances),
             aredis_connected(ds->decider.redis) ? "up" : "down");
}

/*
 * The epoll change list lets libevent drop an event that is added and
 * removed again within one pass of the loop, as hiredis does for each
 * write and read, without a system call.
 */
static struct event_base *new_event_base(void)
{
    struct event_config *ec = event_config_new();
    struct event_base *base;

    if (ec == NULL)
        return NULL;
    event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    base = event_base_new_with_config(ec);
    event_config_free(ec);
    return base;
}

/*
 * After each pass of the event loop, send what the pass queued: the Redis
 * commands of the requests just read, then the replies just decided.  The
 * loop sleeps only after both went out.
 */
static void run_loop(struct daemon_state *ds)
{
    while (!event_base_got_exit(ds->base) && !event_base_got_break(ds->base)) {
        if (event_base_loop(ds->base, EVLOOP_ONCE) != 0)
            break;
        aredis_flush(ds->decider.redis);
        server_flush(ds->server);
    }
}

static int open_listeners(struct daemon_state *ds,
                          const struct rampart_config *cfg, uid_t uid,
                          gid_t gid, char *err, size_t errlen)
{
    const struct policy_config *p = &cfg->policy;

    for (size_t i = 0; i < p->socket_count; i++) {
        if (p->endpoints[i].kind == ENDPOINT_UNIX &&
            daemon_make_parent_dir(p->endpoints[i].path, uid, gid, err,
                                   errlen) != 0)
            return -1;
        if (server_listen(ds->server, &p->endpoints[i], p->socket_mode,
                          p->socket_group, uid, gid, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int add_events(struct daemon_state *ds)
{
    static const int signals[] = {SIGHUP, SIGTERM, SIGINT};
    struct timeval minute = {60, 0};
    struct event *ev;

    for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
        ev = evsignal_new(ds->base, signals[i], on_signal, ds);
        if (ev == NULL || event_add(ev, NULL) != 0)
            return -1;
    }
    ev = event_new(ds->base, -1, EV_PERSIST, on_minute, ds);
    return ev == NULL || event_add(ev, &minute) != 0 ? -1 : 0;
}

/*
 * Make room for max_connections client sockets plus the listeners, Redis,
 * syslog and the pid file: raise the soft open files limit up to the hard
 * one, and warn when even that is too low.
 */
static void raise_fd_limit(int max_connections)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_connections + 32;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                      ? want
                      : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        log_warn("open files limit %llu is below policy.max_connections "
                 "%d + 32: raise it (ulimit -n, LimitNOFILE= in systemd) or "
                 "lower max_connections",
                 (unsigned long long)rl.rlim_cur, max_connections);
}

static int run(const struct daemon_options *opt, struct rampart_config *cfg)
{
    struct daemon_state ds = {.opt = opt};
    struct server_limits limits = {cfg->policy.max_connections,
                                   cfg->policy.idle_timeout_s};
    char err[512];
    uid_t uid = getuid();
    gid_t gid = getgid();
    bool drop = geteuid() == 0 && cfg->user != NULL;
    int pid_fd;
    struct daemon_startup su = {opt, -1, NULL};
    char *pid_file;
    bool warmup;
    int rc;

    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit(cfg->policy.max_connections);
    if (drop && daemon_lookup_user(cfg->user, cfg->group, &uid, &gid, err,
                                   sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_CONFIG, err);
    if (geteuid() == 0 && cfg->user == NULL)
        log_warn("running as root: set user in %s to drop privileges",
                 opt->config_path);
    if (daemon_make_parent_dir(cfg->policy.pid_file, uid, gid, err,
                               sizeof(err)) != 0 ||
        (pid_fd = pidfile_create(cfg->policy.pid_file, err, sizeof(err))) < 0)
        return daemon_startup_failed(&su, EX_CANTCREAT, err);
    /* Kept apart from cfg, which a reload may free. */
    su.pid_file = strdup(cfg->policy.pid_file);
    if (su.pid_file == NULL)
        return daemon_startup_failed(&su, EX_OSERR, "out of memory");

    /* Listen before forking, so a busy address shows on the command line. */
    ds.base = new_event_base();
    ds.decider.base = ds.base;
    ds.decider.instances = instances_new();
    ds.server = server_new(ds.base, &limits, decide_request, &ds.decider);
    if (ds.base == NULL || ds.decider.instances == NULL || ds.server == NULL)
        return daemon_startup_failed(&su, EX_OSERR, "out of memory");
    if (open_listeners(&ds, cfg, uid, gid, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_UNAVAILABLE, err);
    if (!opt->foreground) {
        rc = daemon_detach(&su.ready_fd, err, sizeof(err));
        if (rc == 1)
            _exit(EX_OK);
        if (rc == 2) {
            fprintf(stderr, "rampart-policyd: %s\n", err);
            _exit(EX_SOFTWARE);
        }
        if (rc != 0)
            return daemon_startup_failed(&su, EX_OSERR, err);
        /* libevent's epoll descriptor does not survive fork(). */
        if (event_reinit(ds.base) != 0)
            return daemon_startup_failed(&su, EX_OSERR,
                                         "cannot reinitialise the event loop");
    }
    if (pidfile_write(pid_fd, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_CANTCREAT, err);
    if (drop &&
        daemon_drop_privileges(cfg->user, uid, gid, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_OSERR, err);

    pid_file = su.pid_file;
    warmup = cfg->policy.warmup;
    ds.decider.redis = open_redis(ds.base, &cfg->redis);
    if (ds.decider.redis == NULL || runtime_install(cfg) != 0 ||
        add_events(&ds) != 0)
        return daemon_startup_failed(&su, EX_OSERR, "out of memory");

    log_info("starting rampart-policyd %s (config %s, warmup %s)",
             RAMPART_VERSION, opt->config_path, warmup ? "on" : "off");
    daemon_ready(su.ready_fd, NULL);
    run_loop(&ds);

    /* Failing the Redis calls under way decides their requests: send those
     * replies before the connections go. */
    aredis_free(ds.decider.redis);
    server_flush(ds.server);
    server_free(ds.server);
    instances_free(ds.decider.instances);
    if (unlink(pid_file) != 0 && errno != ENOENT)
        log_info("pid file %s left in place: %s", pid_file, strerror(errno));
    free(pid_file);
    return EX_OK;
}

int main(int argc, char **argv)
{
    struct daemon_options opt = {0};
    struct rampart_config *cfg;
    char *errors = NULL;
    char err[512];
    int rc;

    rc = daemon_parse_options("rampart-policyd", argc, argv, &opt);
    if (rc != 0)
        return rc > 0 ? EX_OK : EX_USAGE;
    cfg = config_load(opt.config_path, &errors);
    if (cfg == NULL) {
        fprintf(stderr, "%s", errors ? errors : "out of memory\n");
        free(errors);
        return EX_CONFIG;
    }
    if (opt.check_only) {
        printf("%s: configuration OK\n", opt.config_path);
        config_free(cfg);
        return EX_OK;
    }
    if (cal_set_zone(cfg->timezone, err, sizeof(err)) != 0) {
        fprintf(stderr, "rampart-policyd: %s\n", err);
        return EX_CONFIG;
    }
    log_open("rampart-policyd", cfg->syslog_facility, opt.foreground);
    log_set_debug(cfg->log_debug);
    return run(&opt, cfg);
}
