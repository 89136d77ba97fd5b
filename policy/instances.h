/*
 * instances.h - what each open transaction has accepted so far
 *
 * Postfix sends the same "instance" with every request of one transaction;
 * the Exim ACL in contrib/exim makes one per message.  The recipients a
 * transaction was allowed so far count as pending in its later checks and
 * are charged at END-OF-MESSAGE.  Exim asks each question on a new
 * connection, so the table is global, not per connection.
 */
#ifndef RAMPART_POLICY_INSTANCES_H
#define RAMPART_POLICY_INSTANCES_H

#include <stddef.h>
#include <time.h>

/* Recipient scopes (provider ramps, domain limits) of one transaction. */
#define INSTANCE_SCOPES_MAX 32

/* Recipients of one transaction in one scope. */
struct instance_scope {
    char *name; /* "ramp:PROVIDER" or "limit:SCOPE" */
    long recipients;
};

struct instance {
    struct instance *next; /* hash chain */
    char *id;
    char source[64];               /* the source IP the transaction counts on */
    long recipients;               /* distinct recipients allowed so far, and
                                      those whose check is under way */
    struct instance_scope *scopes; /* grown as the transaction needs */
    size_t scope_count;
    size_t scope_size;
    long in_flight; /* RCPT checks sent to Redis, not answered yet */
    void *parked;   /* END-OF-MESSAGE waiting for them, or NULL */
    int orphaned;   /* a newer instance replaced it: remove it once
                       nothing waits on it */
    char **seen;    /* normalized addresses allowed so far */
    size_t seen_count;
    size_t seen_size;
    time_t touched;
};

struct instance_table;

struct instance_table *instances_new(void);
void instances_free(struct instance_table *t);

/* Return the entry of "id", or NULL. */
struct instance *instances_find(struct instance_table *t, const char *id);

/* Return the entry of "id", creating it; NULL when out of memory. */
struct instance *instances_get(struct instance_table *t, const char *id,
                               time_t now);

void instances_remove(struct instance_table *t, const char *id);

/* Drop entries untouched since "before" with nothing in flight; returns
 * how many. */
size_t instances_expire(struct instance_table *t, time_t before);

/* Number of open entries. */
size_t instances_count(const struct instance_table *t);

/* Return 1 when the normalized address was allowed already. */
int instance_seen(const struct instance *in, const char *address);

/*
 * Record an allowed recipient in each of "count" scopes.  Returns 0, or -1
 * when out of memory or when the transaction touches too many scopes.
 */
int instance_add(struct instance *in, const char *address,
                 const char *const *scopes, size_t count);

/* Take back a recipient added by instance_add() that was refused. */
void instance_undo(struct instance *in, const char *address,
                   const char *const *scopes, size_t count);

/* Return 1 when adding "count" scopes would pass INSTANCE_SCOPES_MAX. */
int instance_scopes_full(const struct instance *in, const char *const *scopes,
                         size_t count);

/* Return the recipients of "scope" allowed so far. */
long instance_scope_count(const struct instance *in, const char *scope);

#endif
