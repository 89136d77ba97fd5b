/*
 * daemon.c - process set-up shared by the rampart daemons
 */
#include "daemon.h"

#include "config.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

/* In the parent: wait for the child's start-up report on "fd". */
static int wait_for_child(int fd, char *err, size_t errlen)
{
    size_t used = 0;
    ssize_t n;

    while (used + 1 < errlen &&
           (n = read(fd, err + used, errlen - used - 1)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        used += (size_t)n;
    }
    err[used] = '\0';
    close(fd);
    if (used == 0) {
        snprintf(err, errlen,
                 "the daemon exited during start-up; see the "
                 "mail log");
        return 2;
    }
    if (strcmp(err, "ok") == 0)
        return 1;
    return 2;
}

int daemon_detach(int *ready_fd, char *err, size_t errlen)
{
    int pipe_fds[2];
    pid_t pid;
    int fd;

    if (pipe(pipe_fds) != 0) {
        snprintf(err, errlen, "pipe failed: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork failed: %s", strerror(errno));
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        return -1;
    }
    if (pid > 0) {
        close(pipe_fds[1]);
        return wait_for_child(pipe_fds[0], err, errlen);
    }
    close(pipe_fds[0]);
    *ready_fd = pipe_fds[1];
    if (setsid() < 0 || chdir("/") != 0) {
        snprintf(err, errlen, "setsid or chdir / failed: %s", strerror(errno));
        return -1;
    }
    fd = open("/dev/null", O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open /dev/null: %s", strerror(errno));
        return -1;
    }
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
        close(fd);
    return 0;
}

void daemon_ready(int fd, const char *error)
{
    const char *text = error ? error : "ok";
    size_t len = strlen(text);

    if (fd < 0)
        return;
    if (len == 0) {
        text = "start-up failed";
        len = strlen(text);
    }
    if (write(fd, text, len) < 0) {
        /* The parent is gone: nobody is left to tell. */
    }
    close(fd);
}

int daemon_socket_in_use(const char *path)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd;
    int in_use;

    if (strlen(path) >= sizeof(sun.sun_path))
        return 0;
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    in_use = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
    close(fd);
    return in_use;
}

int pidfile_create(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    char running[32] = "";
    ssize_t n;

    if (fd < 0) {
        snprintf(err, errlen, "cannot open pid file %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        n = read(fd, running, sizeof(running) - 1);
        running[n > 0 ? n : 0] = '\0';
        running[strcspn(running, "\n")] = '\0';
        snprintf(err, errlen,
                 "pid file %s is locked: another instance runs (pid %s); "
                 "stop it first or set a different pid_file",
                 path, running[0] ? running : "unknown");
        close(fd);
        return -1;
    }
    return fd;
}

int pidfile_write(int fd, char *err, size_t errlen)
{
    char text[32];
    int len = snprintf(text, sizeof(text), "%ld\n", (long)getpid());

    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write the pid file: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int daemon_lookup_user(const char *user, const char *group, uid_t *uid,
                       gid_t *gid, char *err, size_t errlen)
{
    struct passwd *pw = getpwnam(user);
    struct group *gr;

    if (pw == NULL) {
        snprintf(err, errlen,
                 "user \"%s\" not found; create it (adduser --system "
                 "--group %s) or set user in rampart.conf",
                 user, user);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (group == NULL)
        return 0;
    gr = getgrnam(group);
    if (gr == NULL) {
        snprintf(err, errlen,
                 "group \"%s\" not found; create it or fix "
                 "group in rampart.conf",
                 group);
        return -1;
    }
    *gid = gr->gr_gid;
    return 0;
}

int daemon_drop_privileges(const char *user, uid_t uid, gid_t gid, char *err,
                           size_t errlen)
{
    if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
        snprintf(err, errlen, "cannot switch to user %s: %s", user,
                 strerror(errno));
        return -1;
    }
    if (uid != 0 && setuid(0) == 0) {
        snprintf(err, errlen,
                 "privileges were not dropped: setuid(0) "
                 "succeeded after switching to %s",
                 user);
        return -1;
    }
    return 0;
}

int daemon_make_parent_dir(const char *path, uid_t uid, gid_t gid, char *err,
                           size_t errlen)
{
    char dir[4096];
    char *slash;
    struct stat sb;

    if (strlen(path) >= sizeof(dir))
        return 0;
    strcpy(dir, path);
    slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return 0;
    *slash = '\0';
    if (stat(dir, &sb) == 0)
        return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    if (geteuid() == 0 && chown(dir, uid, gid) != 0) {
        snprintf(err, errlen, "cannot chown directory %s: %s", dir,
                 strerror(errno));
        return -1;
    }
    return 0;
}

int daemon_socket_access(const char *path, uid_t uid, gid_t gid,
                         const char *group, int mode, char *err, size_t errlen)
{
    /* Without root, chown can still set a group the user belongs to. */
    if (group != NULL) {
        struct group *gr = getgrnam(group);

        if (gr == NULL) {
            snprintf(err, errlen,
                     "socket_group \"%s\" not found; use the group of the "
                     "MTA's user, e.g. \"postfix\"",
                     group);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if (geteuid() != 0)
        uid = (uid_t)-1;
    if ((geteuid() == 0 || group != NULL) && chown(path, uid, gid) != 0) {
        snprintf(err, errlen, "cannot give socket %s to group %s: %s", path,
                 group ? group : "of the run user", strerror(errno));
        return -1;
    }
    if (chmod(path, (mode_t)mode) != 0) {
        snprintf(err, errlen, "cannot chmod socket %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static void print_usage(const char *program, FILE *out)
{
    fprintf(out,
            "usage: %s [-f] [-n] [-c FILE]\n"
            "  -c FILE  configuration file (default %s)\n"
            "  -f       stay in the foreground and log to stderr too\n"
            "  -n       check the configuration and exit\n",
            program, CONFIG_DEFAULT_PATH);
}

int daemon_parse_options(const char *program, int argc, char **argv,
                         struct daemon_options *opt)
{
    int c;

    opt->program = program;
    opt->config_path = CONFIG_DEFAULT_PATH;
    opt->check_only = false;
    opt->foreground = false;
    while ((c = getopt(argc, argv, "c:fnh")) != -1) {
        switch (c) {
        case 'c':
            opt->config_path = optarg;
            break;
        case 'f':
            opt->foreground = true;
            break;
        case 'n':
            opt->check_only = true;
            break;
        case 'h':
            print_usage(program, stdout);
            return 1;
        default:
            print_usage(program, stderr);
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\n", program,
                argv[optind]);
        print_usage(program, stderr);
        return -1;
    }
    return 0;
}

int daemon_startup_failed(struct daemon_startup *su, int code,
                          const char *message)
{
    log_err("%s", message);
    if (su->pid_file != NULL) {
        unlink(su->pid_file);
        free(su->pid_file);
        su->pid_file = NULL;
    }
    if (su->ready_fd >= 0)
        daemon_ready(su->ready_fd, message);
    else if (!su->opt->foreground)
        fprintf(stderr, "%s: %s\n", su->opt->program, message);
    return code;
}
