/*
 * runtime.c - the configuration and Redis pool in force, swapped on reload
 */
#include "runtime.h"

#include <pthread.h>
#include <stdlib.h>

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *current;

int runtime_install(struct rampart_config *cfg)
{
    struct runtime *rt = calloc(1, sizeof(*rt));
    struct runtime *old;

    if (rt == NULL || (rt->store = store_open(&cfg->redis)) == NULL) {
        free(rt);
        config_free(cfg);
        return -1;
    }
    rt->cfg = cfg;
    atomic_init(&rt->refs, 1); /* the reference of "current" */

    pthread_mutex_lock(&current_lock);
    old = current;
    current = rt;
    pthread_mutex_unlock(&current_lock);
    if (old != NULL)
        runtime_release(old);
    return 0;
}

struct runtime *runtime_acquire(void)
{
    struct runtime *rt;

    pthread_mutex_lock(&current_lock);
    rt = current;
    if (rt != NULL)
        atomic_fetch_add(&rt->refs, 1);
    pthread_mutex_unlock(&current_lock);
    return rt;
}

void runtime_release(struct runtime *rt)
{
    if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
        return;
    store_close(rt->store);
    config_free(rt->cfg);
    free(rt);
}

void runtime_shutdown(void)
{
    struct runtime *old;

    pthread_mutex_lock(&current_lock);
    old = current;
    current = NULL;
    pthread_mutex_unlock(&current_lock);
    runtime_release(old);
}
