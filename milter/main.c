/*
 * main.c - rampart-milter: start-up, privilege drop, reload and shutdown
 *
 * Signals: SIGUSR1 reloads rampart.conf (libmilter itself stops the
 * milter on SIGHUP, SIGTERM and SIGINT, so SIGHUP cannot mean reload).
 */
#include "daemon.h"
#include "filter.h"
#include "log.h"
#include "runtime.h"

#include <errno.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* Write the socket in libmilter's syntax: "unix:/p" or "inet:PORT@HOST". */
static void libmilter_socket(const struct endpoint *ep, char *buf, size_t len)
{
    if (ep->kind == ENDPOINT_UNIX)
        snprintf(buf, len, "unix:%s", ep->path);
    else if (strchr(ep->host, ':') != NULL)
        snprintf(buf, len, "inet6:%d@%s", ep->port, ep->host);
    else
        snprintf(buf, len, "inet:%d@%s", ep->port, ep->host);
}

/* Load and check the file; print every error to stderr. */
static struct rampart_config *load_or_report(const char *path)
{
    char *errors = NULL;
    struct rampart_config *cfg = config_load(path, &errors);

    if (cfg == NULL) {
        fprintf(stderr, "%s", errors ? errors : "out of memory\n");
        free(errors);
    }
    return cfg;
}

/* Reload on SIGUSR1; report counted Redis errors every few seconds. */
static void reload(const char *path)
{
    char *errors = NULL;
    struct rampart_config *cfg = config_load(path, &errors);
    struct runtime *old;

    if (cfg == NULL) {
        char *line = strtok(errors, "\n");

        for (; line != NULL; line = strtok(NULL, "\n"))
            log_err("reload failed, keeping the running configuration: %s",
                    line);
        free(errors);
        return;
    }
    old = runtime_acquire();
    if (old != NULL && strcmp(old->cfg->milter.socket, cfg->milter.socket))
        log_warn("reload: milter.socket changed to %s; the milter keeps "
                 "listening on %s until restarted",
                 cfg->milter.socket, old->cfg->milter.socket);
    /*
     * Setting TZ races with worker threads reading the calendar, so a new
     * time zone waits for a restart.
     */
    if (old != NULL && strcmp(old->cfg->timezone, cfg->timezone) != 0) {
        log_err("reload failed, keeping the running configuration: "
                "timezone changed from %s to %s; restart rampart-milter to "
                "apply a new time zone",
                old->cfg->timezone, cfg->timezone);
        runtime_release(old);
        config_free(cfg);
        return;
    }
    runtime_release(old);
    log_set_debug(cfg->log_debug);
    if (runtime_install(cfg) != 0) {
        log_err("reload failed: out of memory");
        return;
    }
    log_info("reloaded %s", path);
}

static void *housekeeping(void *arg)
{
    const char *path = arg;
    sigset_t set;
    struct timespec tick = {5, 0};

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig == SIGUSR1)
            reload(path);
        filter_flush_logs();
    }
    return NULL;
}

/* Bind the milter socket and give a unix socket to the MTA's group. */
static int open_socket(const struct rampart_config *cfg, uid_t uid, gid_t gid,
                       char *err, size_t errlen)
{
    char spec[ENDPOINT_HOST_MAX + ENDPOINT_PATH_MAX + 16];
    const struct milter_config *m = &cfg->milter;

    libmilter_socket(&m->endpoint, spec, sizeof(spec));
    if (m->endpoint.kind == ENDPOINT_UNIX) {
        if (daemon_make_parent_dir(m->endpoint.path, uid, gid, err, errlen) !=
            0)
            return -1;
        if (daemon_socket_in_use(m->endpoint.path)) {
            snprintf(err, errlen,
                     "socket %s is in use by another process; stop it or "
                     "choose another milter.socket",
                     m->endpoint.path);
            return -1;
        }
    }
    if (smfi_setconn(spec) != MI_SUCCESS ||
        smfi_settimeout(m->timeout_s) != MI_SUCCESS ||
        smfi_register(filter_description) != MI_SUCCESS) {
        snprintf(err, errlen, "cannot set up libmilter for socket %s", spec);
        return -1;
    }
    if (smfi_opensocket(true) != MI_SUCCESS) {
        snprintf(err, errlen,
                 "cannot listen on %s: %s; check that the address is free "
                 "and the directory exists",
                 m->socket, strerror(errno));
        return -1;
    }
    if (m->endpoint.kind == ENDPOINT_UNIX)
        return daemon_socket_access(m->endpoint.path, uid, gid, m->socket_group,
                                    m->socket_mode, err, errlen);
    return 0;
}

/* Block the signals libmilter and the housekeeping thread wait for. */
static void block_signals(void)
{
    sigset_t set;

    signal(SIGPIPE, SIG_IGN);
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

/*
 * Take the pid file lock first, so a second instance stops before it
 * touches the socket of the running one; then bind, detach, drop
 * privileges and serve.
 */
static int run(const struct daemon_options *opt, struct rampart_config **cfgp)
{
    struct rampart_config *cfg = *cfgp;
    char err[512];
    uid_t uid = getuid();
    gid_t gid = getgid();
    bool drop = geteuid() == 0 && cfg->user != NULL;
    int pid_fd;
    struct daemon_startup su = {opt, -1, NULL};
    pthread_t thread;
    char *pid_file;
    struct runtime *rt;
    int rc;

    if (drop && daemon_lookup_user(cfg->user, cfg->group, &uid, &gid, err,
                                   sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_CONFIG, err);
    if (geteuid() == 0 && cfg->user == NULL)
        log_warn("running as root: set user in %s to drop privileges",
                 opt->config_path);
    if (daemon_make_parent_dir(cfg->milter.pid_file, uid, gid, err,
                               sizeof(err)) != 0 ||
        (pid_fd = pidfile_create(cfg->milter.pid_file, err, sizeof(err))) < 0)
        return daemon_startup_failed(&su, EX_CANTCREAT, err);
    /* Kept apart from cfg, which a reload may free. */
    su.pid_file = strdup(cfg->milter.pid_file);
    if (su.pid_file == NULL)
        return daemon_startup_failed(&su, EX_OSERR, "out of memory");
    if (open_socket(cfg, uid, gid, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_UNAVAILABLE, err);
    if (!opt->foreground) {
        rc = daemon_detach(&su.ready_fd, err, sizeof(err));
        if (rc == 1)
            _exit(EX_OK);
        if (rc == 2) {
            fprintf(stderr, "rampart-milter: %s\n", err);
            _exit(EX_SOFTWARE);
        }
        if (rc != 0)
            return daemon_startup_failed(&su, EX_OSERR, err);
    }
    if (pidfile_write(pid_fd, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_CANTCREAT, err);
    if (drop &&
        daemon_drop_privileges(cfg->user, uid, gid, err, sizeof(err)) != 0)
        return daemon_startup_failed(&su, EX_OSERR, err);

    /* Only the housekeeping thread takes SIGUSR1; libmilter the others. */
    block_signals();

    pid_file = su.pid_file;
    *cfgp = NULL; /* the runtime owns it now, even when installing fails */
    if (runtime_install(cfg) != 0)
        return daemon_startup_failed(&su, EX_OSERR, "out of memory");
    if (pthread_create(&thread, NULL, housekeeping, (void *)opt->config_path) !=
        0) {
        runtime_shutdown();
        return daemon_startup_failed(&su, EX_OSERR,
                                     "cannot start the housekeeping thread");
    }
    pthread_detach(thread);

    rt = runtime_acquire();
    log_info("starting rampart-milter %s on %s (config %s)", RAMPART_VERSION,
             rt->cfg->milter.socket, opt->config_path);
    runtime_release(rt);
    daemon_ready(su.ready_fd, NULL);
    rc = smfi_main();
    log_info("stopping rampart-milter");

    /* The directory may belong to root after the user switch. */
    if (unlink(pid_file) != 0 && errno != ENOENT)
        log_info("pid file %s left in place: %s", pid_file, strerror(errno));
    free(pid_file);
    runtime_shutdown();
    return rc == MI_SUCCESS ? EX_OK : EX_SOFTWARE;
}

int main(int argc, char **argv)
{
    struct daemon_options opt = {0};
    struct rampart_config *cfg;
    char err[512];
    int rc;

    rc = daemon_parse_options("rampart-milter", argc, argv, &opt);
    if (rc != 0)
        return rc > 0 ? EX_OK : EX_USAGE;
    cfg = load_or_report(opt.config_path);
    if (cfg == NULL)
        return EX_CONFIG;
    if (opt.check_only) {
        printf("%s: configuration OK\n", opt.config_path);
        config_free(cfg);
        return EX_OK;
    }
    if (cal_set_zone(cfg->timezone, err, sizeof(err)) != 0) {
        fprintf(stderr, "rampart-milter: %s\n", err);
        return EX_CONFIG;
    }
    log_open("rampart-milter", cfg->syslog_facility, opt.foreground);
    log_set_debug(cfg->log_debug);
    rc = run(&opt, &cfg);
    config_free(cfg); /* left to free when start-up failed early */
    return rc;
}
