/*
 * redis_server.c - a private redis-server for one test
 */
#include "redis_server.h"

#include "test_files.h"

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_TIMEOUT_MS 10000

static int socket_accepts(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    int rc;

    ck_assert_msg(fd >= 0, "socket() failed: %s", strerror(errno));
    strcpy(sa.sun_path, path);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return rc == 0;
}

static void exec_server(const struct redis_server *srv)
{
    char conf[300];
    char log[300];
    const char *argv[32];
    int argc = 0;

    snprintf(conf, sizeof(conf), "%s/redis.conf", srv->dir);
    snprintf(log, sizeof(log), "%s/redis.log", srv->dir);
    argv[argc++] = "redis-server";
    argv[argc++] = conf;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--unixsocket";
    argv[argc++] = srv->socket;
    argv[argc++] = "--unixsocketperm";
    argv[argc++] = "700";
    argv[argc++] = "--save";
    argv[argc++] = "";
    argv[argc++] = "--appendonly";
    argv[argc++] = "no";
    argv[argc++] = "--dir";
    argv[argc++] = srv->dir;
    argv[argc++] = "--logfile";
    argv[argc++] = log;
    argv[argc++] = "--daemonize";
    argv[argc++] = "no";
    argv[argc] = NULL;

    /* A test that fails or crashes takes its server with it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    execvp(TEST_REDIS_SERVER, (char *const *)argv);
    fprintf(stderr, "cannot run %s: %s\n", TEST_REDIS_SERVER, strerror(errno));
    _exit(127);
}

static void launch(struct redis_server *srv)
{
    struct timespec pause = {0, 10 * 1000 * 1000};
    int status;

    srv->pid = fork();
    ck_assert_msg(srv->pid >= 0, "fork failed: %s", strerror(errno));
    if (srv->pid == 0)
        exec_server(srv);

    for (int waited = 0; waited < START_TIMEOUT_MS; waited += 10) {
        if (waitpid(srv->pid, &status, WNOHANG) == srv->pid) {
            srv->pid = 0;
            ck_abort_msg("redis-server exited during start-up with %s %d. "
                         "See %s/redis.log",
                         WIFEXITED(status) ? "exit code" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status)
                                           : WTERMSIG(status),
                         srv->dir);
        }
        if (socket_accepts(srv->socket))
            return;
        nanosleep(&pause, NULL);
    }
    ck_abort_msg("redis-server did not open %s within %d ms", srv->socket,
                 START_TIMEOUT_MS);
}

void redis_server_start(struct redis_server *srv, const char *password)
{
    char path[300];
    char conf[256] = "";
    int n;

    memset(srv, 0, sizeof(*srv));
    tmpdir_make(srv->dir, sizeof(srv->dir));
    n = snprintf(srv->socket, sizeof(srv->socket), "%s/redis.sock", srv->dir);
    ck_assert_msg(n > 0 && (size_t)n < sizeof(srv->socket),
                  "socket path in %s is too long; set TMPDIR to a shorter "
                  "directory",
                  srv->dir);
    if (password != NULL) {
        snprintf(srv->password, sizeof(srv->password), "%s", password);
        snprintf(conf, sizeof(conf), "requirepass %s\n", password);
    }
    file_write(path, sizeof(path), srv->dir, "redis.conf", conf);
    launch(srv);
}

void redis_server_stop(struct redis_server *srv)
{
    int status;

    if (srv->admin != NULL) {
        redisFree(srv->admin);
        srv->admin = NULL;
    }
    if (srv->pid == 0)
        return;
    kill(srv->pid, SIGCONT); /* in case a test left it stopped */
    kill(srv->pid, SIGTERM);
    ck_assert_msg(waitpid(srv->pid, &status, 0) == srv->pid,
                  "waitpid for redis-server failed: %s", strerror(errno));
    srv->pid = 0;
}

void redis_server_restart(struct redis_server *srv)
{
    ck_assert_int_eq(srv->pid, 0);
    launch(srv);
}

void redis_server_cleanup(struct redis_server *srv)
{
    redis_server_stop(srv);
    if (srv->dir[0] != '\0')
        tmpdir_remove(srv->dir);
    srv->dir[0] = '\0';
}

static redisContext *admin_connection(struct redis_server *srv)
{
    struct timeval timeout = {5, 0};
    redisReply *reply;

    if (srv->admin != NULL)
        return srv->admin;
    srv->admin = redisConnectUnixWithTimeout(srv->socket, timeout);
    ck_assert_msg(srv->admin != NULL && srv->admin->err == 0,
                  "cannot connect to %s: %s", srv->socket,
                  srv->admin ? srv->admin->errstr : "out of memory");
    if (srv->password[0] != '\0') {
        reply = redisCommand(srv->admin, "AUTH %s", srv->password);
        ck_assert_msg(reply != NULL && reply->type == REDIS_REPLY_STATUS,
                      "AUTH on the inspection connection failed");
        freeReplyObject(reply);
    }
    return srv->admin;
}

static redisReply *vcommand(struct redis_server *srv, const char *format,
                            va_list ap)
{
    redisContext *c = admin_connection(srv);
    redisReply *reply = redisvCommand(c, format, ap);

    ck_assert_msg(reply != NULL, "%s failed: %s", format, c->errstr);
    return reply;
}

redisReply *redis_server_command(struct redis_server *srv, const char *format,
                                 ...)
{
    va_list ap;
    redisReply *reply;

    va_start(ap, format);
    reply = vcommand(srv, format, ap);
    va_end(ap);
    return reply;
}

long long redis_server_integer(struct redis_server *srv, const char *format,
                               ...)
{
    va_list ap;
    redisReply *reply;
    long long value;

    va_start(ap, format);
    reply = vcommand(srv, format, ap);
    va_end(ap);
    ck_assert_msg(reply->type == REDIS_REPLY_INTEGER,
                  "%s: got reply type %d, want an integer", format,
                  reply->type);
    value = reply->integer;
    freeReplyObject(reply);
    return value;
}

long redis_server_field(struct redis_server *srv, const char *key,
                        const char *field)
{
    redisReply *reply = redis_server_command(srv, "HGET %s %s", key, field);
    long value = -1;

    if (reply->type == REDIS_REPLY_STRING)
        value = strtol(reply->str, NULL, 10);
    else
        ck_assert_msg(reply->type == REDIS_REPLY_NIL,
                      "HGET %s %s: got reply type %d", key, field, reply->type);
    freeReplyObject(reply);
    return value;
}

void redis_server_config(const struct redis_server *srv, int timeout_ms,
                         struct redis_config *rc)
{
    char spec[ENDPOINT_PATH_MAX + 8];
    char err[256];

    memset(rc, 0, sizeof(*rc));
    snprintf(spec, sizeof(spec), "unix:%s", srv->socket);
    ck_assert_msg(endpoint_parse(spec, &rc->endpoint, err, sizeof(err)) == 0,
                  "%s", err);
    rc->timeout_ms = timeout_ms;
    rc->retention_days = 7;
}
