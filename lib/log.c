/*
 * log.c - logging for the rampart programs (syslog, and stderr with -f)
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool log_stderr;
static bool log_debug_on;
static const char *log_ident = "rampart";

void log_open(const char *ident, int facility, bool to_stderr)
{
    log_ident = ident;
    log_stderr = to_stderr;
    openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void log_set_debug(bool debug)
{
    log_debug_on = debug;
}

/*
 * Whether a syslog daemon listens on /dev/log, checked at most once a
 * second.  Without one, glibc's syslog() makes a new socket and a failed
 * connect for every line, which costs more than the decision it logs.
 */
static bool syslog_available(void)
{
    static atomic_llong checked_at;
    static atomic_bool available;
    long long now = (long long)time(NULL);

    if (atomic_load(&checked_at) != now) {
        struct stat st;

        atomic_store(&available,
                     stat("/dev/log", &st) == 0 && S_ISSOCK(st.st_mode));
        atomic_store(&checked_at, now);
    }
    return atomic_load(&available);
}

static void log_v(int priority, const char *fmt, va_list ap)
{
    char line[2048];

    vsnprintf(line, sizeof(line), fmt, ap);
    if (syslog_available())
        syslog(priority, "%s", line);
    if (log_stderr)
        fprintf(stderr, "%s: %s\n", log_ident, line);
}

void log_err(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_v(LOG_ERR, fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_v(LOG_WARNING, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    log_v(LOG_INFO, fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    va_list ap;

    if (!log_debug_on)
        return;
    va_start(ap, fmt);
    log_v(LOG_DEBUG, fmt, ap);
    va_end(ap);
}

static void report_suppressed(struct log_repeat *r, int priority, time_t now)
{
    char line[256];

    snprintf(line, sizeof(line),
             "%lu more %s in the last %lld s (not logged "
             "one by one)",
             r->suppressed, r->what, (long long)(now - r->last_logged));
    if (syslog_available())
        syslog(priority, "%s", line);
    if (log_stderr)
        fprintf(stderr, "%s: %s\n", log_ident, line);
    r->suppressed = 0;
}

void log_repeat(struct log_repeat *r, int priority, const char *fmt, ...)
{
    time_t now = time(NULL);
    va_list ap;

    pthread_mutex_lock(&r->lock);
    if (r->last_logged != 0 && now - r->last_logged < r->interval_s) {
        r->suppressed++;
        pthread_mutex_unlock(&r->lock);
        return;
    }
    if (r->suppressed > 0)
        report_suppressed(r, priority, now);
    r->last_logged = now;
    va_start(ap, fmt);
    log_v(priority, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&r->lock);
}

void log_repeat_flush(struct log_repeat *r)
{
    time_t now = time(NULL);

    pthread_mutex_lock(&r->lock);
    if (r->suppressed > 0 && now - r->last_logged >= r->interval_s) {
        report_suppressed(r, LOG_WARNING, now);
        r->last_logged = now;
    }
    pthread_mutex_unlock(&r->lock);
}
