/*
 * daemon.h - process set-up shared by the rampart daemons
 *
 * Each call returns 0, or -1 with the reason in "err"; the caller decides
 * whether to log or exit.
 */
#ifndef RAMPART_DAEMON_H
#define RAMPART_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The command line of both daemons: [-f] [-n] [-c FILE]. */
struct daemon_options {
    const char *program;     /* for messages, e.g. "rampart-milter" */
    const char *config_path; /* -c, or the default path */
    bool check_only;         /* -n: check the configuration and exit */
    bool foreground;         /* -f: no fork, log to stderr too */
};

/*
 * Parse the command line.  Returns 0; 1 after printing the help (exit
 * with EX_OK); -1 after printing what is wrong and the usage (exit with
 * EX_USAGE).
 */
int daemon_parse_options(const char *program, int argc, char **argv,
                         struct daemon_options *opt);

/*
 * The progress of start-up, to report a failure: the descriptor a waiting
 * parent reads (-1 before the fork) and the pid file this start created.
 * The path is NULL before that, then allocated and freed by
 * daemon_startup_failed().
 */
struct daemon_startup {
    const struct daemon_options *opt;
    int ready_fd;
    char *pid_file;
};

/*
 * Log a start-up error, remove the pid file this start created, and show
 * the error on the command line: directly before the fork, through the
 * waiting parent after it.  Returns "code".
 */
int daemon_startup_failed(struct daemon_startup *su, int code,
                          const char *message);

/*
 * Fork into the background and start a new session.  The parent waits
 * until the child calls daemon_ready(), so start-up errors reach the
 * command line.  Returns 0 in the child with the descriptor for
 * daemon_ready() in *ready_fd; in the parent 1 when the child started, 2
 * when it failed (its message is in "err"); -1 when the fork failed.
 */
int daemon_detach(int *ready_fd, char *err, size_t errlen);

/*
 * Tell the waiting parent that start-up finished: "error" is NULL on
 * success, else the message for the parent to print.  Closes "fd".
 * Does nothing when fd is -1 (foreground mode).
 */
void daemon_ready(int fd, const char *error);

/*
 * Return 1 when a process accepts connections on the unix socket at
 * "path", so starting over it would cut that process off.
 */
int daemon_socket_in_use(const char *path);

/*
 * Create and lock the pid file.  Fails when another process holds the
 * lock.  Returns the open descriptor, to keep for the process lifetime.
 */
int pidfile_create(const char *path, char *err, size_t errlen);

/* Write the current pid into a pid file opened by pidfile_create(). */
int pidfile_write(int fd, char *err, size_t errlen);

/*
 * Look up "user" and "group" (NULL: the user's primary group).  Returns 0,
 * or -1 when either does not exist.
 */
int daemon_lookup_user(const char *user, const char *group, uid_t *uid,
                       gid_t *gid, char *err, size_t errlen);

/* Switch to uid/gid for good, supplementary groups included. */
int daemon_drop_privileges(const char *user, uid_t uid, gid_t gid, char *err,
                           size_t errlen);

/*
 * Make the directory holding a unix socket or pid file, owned by uid/gid,
 * when it does not exist yet.
 */
int daemon_make_parent_dir(const char *path, uid_t uid, gid_t gid, char *err,
                           size_t errlen);

/*
 * Give a unix socket its owner, its group ("group" names it, or NULL for
 * "gid") and its mode.
 */
int daemon_socket_access(const char *path, uid_t uid, gid_t gid,
                         const char *group, int mode, char *err, size_t errlen);

#endif
