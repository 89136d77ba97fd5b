/*
 * runtime.h - the configuration and Redis pool in force, swapped on reload
 *
 * A session takes a reference when it starts and keeps that configuration
 * until it ends, so a reload never changes a transaction half-way.  The
 * old configuration is freed when its last session ends.
 */
#ifndef RAMPART_RUNTIME_H
#define RAMPART_RUNTIME_H

#include "config.h"
#include "store.h"

#include <stdatomic.h>

struct runtime {
    struct rampart_config *cfg;
    struct store *store;
    atomic_int refs;
};

/*
 * Make "cfg" current, with a new Redis pool.  Takes ownership of "cfg".
 * Returns 0, or -1 when out of memory (cfg is then freed).
 */
int runtime_install(struct rampart_config *cfg);

/* Return the current runtime with a reference taken, or NULL before any. */
struct runtime *runtime_acquire(void);

/* Drop a reference taken by runtime_acquire(). */
void runtime_release(struct runtime *rt);

/* Drop the current runtime (at exit). */
void runtime_shutdown(void);

#endif
