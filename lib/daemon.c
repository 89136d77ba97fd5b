/*
 * daemon.c - process set-up shared by the rampart daemons
 */
#include "daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int daemon_detach(char *err, size_t errlen)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0) {
        snprintf(err, errlen, "fork failed: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        return 1;
    if (setsid() < 0) {
        snprintf(err, errlen, "setsid failed: %s", strerror(errno));
        return -1;
    }
    if (chdir("/") != 0) {
        snprintf(err, errlen, "chdir / failed: %s", strerror(errno));
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
        snprintf(err, errlen, "cannot write the pid file: %s",
                 strerror(errno));
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
        snprintf(err, errlen, "group \"%s\" not found; create it or fix "
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
        snprintf(err, errlen, "privileges were not dropped: setuid(0) "
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
    if (geteuid() == 0 && chown(path, uid, gid) != 0) {
        snprintf(err, errlen, "cannot chown socket %s: %s", path,
                 strerror(errno));
        return -1;
    }
    if (chmod(path, (mode_t)mode) != 0) {
        snprintf(err, errlen, "cannot chmod socket %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}
