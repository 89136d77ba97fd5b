/*
 * instances.c - what each open transaction has accepted so far
 */
#include "instances.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct instance_table {
    struct instance **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
};

/* FNV-1a: instance ids are short and not chosen by remote clients. */
static size_t hash_id(const char *id)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *id; id++) {
        h ^= (unsigned char)*id;
        h *= 1099511628211ULL;
    }
    return (size_t)h;
}

struct instance_table *instances_new(void)
{
    struct instance_table *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->bucket_count = 1024;
    t->buckets = calloc(t->bucket_count, sizeof(*t->buckets));
    if (t->buckets == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

static void instance_free(struct instance *in)
{
    for (size_t i = 0; i < in->scope_count; i++)
        free(in->scopes[i].name);
    free(in->scopes);
    for (size_t i = 0; i < in->seen_count; i++)
        free(in->seen[i]);
    free(in->seen);
    free(in->id);
    free(in);
}

void instances_free(struct instance_table *t)
{
    if (t == NULL)
        return;
    for (size_t b = 0; b < t->bucket_count; b++) {
        struct instance *in = t->buckets[b];

        while (in != NULL) {
            struct instance *next = in->next;

            instance_free(in);
            in = next;
        }
    }
    free(t->buckets);
    free(t);
}

struct instance *instances_find(struct instance_table *t, const char *id)
{
    struct instance *in = t->buckets[hash_id(id) & (t->bucket_count - 1)];

    for (; in != NULL; in = in->next)
        if (strcmp(in->id, id) == 0)
            return in;
    return NULL;
}

/* Double the buckets when the chains grow long; keeps lookups O(1). */
static void grow(struct instance_table *t)
{
    size_t size = t->bucket_count * 2;
    struct instance **buckets = calloc(size, sizeof(*buckets));

    if (buckets == NULL)
        return;
    for (size_t b = 0; b < t->bucket_count; b++) {
        struct instance *in = t->buckets[b];

        while (in != NULL) {
            struct instance *next = in->next;
            size_t slot = hash_id(in->id) & (size - 1);

            in->next = buckets[slot];
            buckets[slot] = in;
            in = next;
        }
    }
    free(t->buckets);
    t->buckets = buckets;
    t->bucket_count = size;
}

struct instance *instances_get(struct instance_table *t, const char *id,
                               time_t now)
{
    struct instance *in = instances_find(t, id);
    size_t slot;

    if (in != NULL) {
        in->touched = now;
        return in;
    }
    if (t->count >= t->bucket_count * 2)
        grow(t);
    in = calloc(1, sizeof(*in));
    if (in == NULL || (in->id = strdup(id)) == NULL) {
        free(in);
        return NULL;
    }
    in->touched = now;
    slot = hash_id(id) & (t->bucket_count - 1);
    in->next = t->buckets[slot];
    t->buckets[slot] = in;
    t->count++;
    return in;
}

void instances_remove(struct instance_table *t, const char *id)
{
    struct instance **link = &t->buckets[hash_id(id) & (t->bucket_count - 1)];

    for (; *link != NULL; link = &(*link)->next) {
        if (strcmp((*link)->id, id) == 0) {
            struct instance *in = *link;

            *link = in->next;
            instance_free(in);
            t->count--;
            return;
        }
    }
}

size_t instances_expire(struct instance_table *t, time_t before)
{
    size_t dropped = 0;

    for (size_t b = 0; b < t->bucket_count; b++) {
        struct instance **link = &t->buckets[b];

        while (*link != NULL) {
            struct instance *in = *link;

            if (in->touched < before && in->in_flight == 0 &&
                in->parked == NULL) {
                *link = in->next;
                instance_free(in);
                t->count--;
                dropped++;
            } else {
                link = &in->next;
            }
        }
    }
    return dropped;
}

size_t instances_count(const struct instance_table *t)
{
    return t->count;
}

int instance_seen(const struct instance *in, const char *address)
{
    for (size_t i = 0; i < in->seen_count; i++)
        if (strcmp(in->seen[i], address) == 0)
            return 1;
    return 0;
}

static struct instance_scope *scope_of(struct instance *in, const char *name)
{
    for (size_t i = 0; i < in->scope_count; i++)
        if (strcmp(in->scopes[i].name, name) == 0)
            return &in->scopes[i];
    return NULL;
}

int instance_scopes_full(const struct instance *in, const char *const *scopes,
                         size_t count)
{
    size_t added = 0;

    for (size_t i = 0; i < count; i++) {
        size_t k;

        for (k = 0; k < in->scope_count; k++)
            if (strcmp(in->scopes[k].name, scopes[i]) == 0)
                break;
        added += k == in->scope_count;
    }
    return in->scope_count + added > INSTANCE_SCOPES_MAX;
}

/* Append a scope with no recipients yet; NULL when out of memory. */
static struct instance_scope *new_scope(struct instance *in, const char *name)
{
    struct instance_scope *s;

    if (in->scope_count == in->scope_size) {
        size_t size = in->scope_size ? in->scope_size * 2 : 4;
        struct instance_scope *grown =
            realloc(in->scopes, size * sizeof(*grown));

        if (grown == NULL)
            return NULL;
        in->scopes = grown;
        in->scope_size = size;
    }
    s = &in->scopes[in->scope_count];
    if ((s->name = strdup(name)) == NULL)
        return NULL;
    s->recipients = 0;
    in->scope_count++;
    return s;
}

int instance_add(struct instance *in, const char *address,
                 const char *const *scopes, size_t count)
{
    if (instance_scopes_full(in, scopes, count))
        return -1;
    if (in->seen_count == in->seen_size) {
        size_t size = in->seen_size ? in->seen_size * 2 : 8;
        char **grown = realloc(in->seen, size * sizeof(*grown));

        if (grown == NULL)
            return -1;
        in->seen = grown;
        in->seen_size = size;
    }
    for (size_t i = 0; i < count; i++)
        if (scope_of(in, scopes[i]) == NULL && new_scope(in, scopes[i]) == NULL)
            return -1;
    if ((in->seen[in->seen_count] = strdup(address)) == NULL)
        return -1;
    in->seen_count++;
    in->recipients++;
    for (size_t i = 0; i < count; i++)
        scope_of(in, scopes[i])->recipients++;
    return 0;
}

void instance_undo(struct instance *in, const char *address,
                   const char *const *scopes, size_t count)
{
    for (size_t i = in->seen_count; i-- > 0;) {
        if (strcmp(in->seen[i], address) == 0) {
            free(in->seen[i]);
            in->seen[i] = in->seen[--in->seen_count];
            in->recipients--;
            break;
        }
    }
    for (size_t i = 0; i < count; i++) {
        struct instance_scope *s = scope_of(in, scopes[i]);

        if (s != NULL && s->recipients > 0)
            s->recipients--;
    }
}

long instance_scope_count(const struct instance *in, const char *scope)
{
    for (size_t i = 0; i < in->scope_count; i++)
        if (strcmp(in->scopes[i].name, scope) == 0)
            return in->scopes[i].recipients;
    return 0;
}
