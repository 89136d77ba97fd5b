/*
 * log.h - logging for the rampart programs (syslog, and stderr with -f)
 *
 * Only the programs log; the other lib/ modules return errors instead.
 */
#ifndef RAMPART_LOG_H
#define RAMPART_LOG_H

#include <pthread.h>
#include <stdbool.h>
#include <syslog.h>
#include <time.h>

#define LOG_FORMAT(a, b) __attribute__((format(printf, a, b)))

/* Start logging as "ident"; copy each line to stderr when "to_stderr". */
void log_open(const char *ident, int facility, bool to_stderr);

/* Log debug lines too. */
void log_set_debug(bool debug);

void log_err(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_warn(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_info(const char *fmt, ...) LOG_FORMAT(1, 2);
void log_debug(const char *fmt, ...) LOG_FORMAT(1, 2);

/*
 * A repeating error logged at most once per interval; the repeats in
 * between are counted and reported with the next line or by
 * log_repeat_flush().
 */
struct log_repeat {
    pthread_mutex_t lock;
    int interval_s;
    time_t last_logged; /* 0: never */
    unsigned long suppressed;
    char what[64]; /* e.g. "Redis errors" */
};

#define LOG_REPEAT_INIT(seconds, what)                                         \
    {                                                                          \
        PTHREAD_MUTEX_INITIALIZER, (seconds), 0, 0, what                       \
    }

void log_repeat(struct log_repeat *r, int priority, const char *fmt, ...)
    LOG_FORMAT(3, 4);

/* Report repeats counted since the last line, once the interval is over. */
void log_repeat_flush(struct log_repeat *r);

#endif
