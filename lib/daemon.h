/*
 * daemon.h - process set-up shared by the rampart daemons
 *
 * Each call returns 0, or -1 with the reason in "err"; the caller decides
 * whether to log or exit.
 */
#ifndef RAMPART_DAEMON_H
#define RAMPART_DAEMON_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Fork into the background and start a new session.  Returns 1 in the
 * parent (which should exit), 0 in the child, -1 on failure.
 */
int daemon_detach(char *err, size_t errlen);

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
