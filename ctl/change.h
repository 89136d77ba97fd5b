/*
 * change.h - what the commands that change a ramp state share
 *
 * Each change is a single call of ramp_change(), whose script changes the
 * state and appends the log entry in one atomic step.
 */
#ifndef RAMPARTCTL_CHANGE_H
#define RAMPARTCTL_CHANGE_H

#include "ctl.h"
#include "ramp.h"

/* Range of a ramp step, as rampart.conf accepts for a source's step. */
#define STEP_MAX 100000L

/* The source or provider ramp that a change applies to. */
struct target {
    const struct source *src;
    const struct provider_ramp *ramp; /* NULL: the source's own */
    char label[128];                  /* e.g. "192.0.2.1 provider gmail" */
};

/*
 * Look up SOURCE and, unless "provider" is NULL, the provider ramp.
 * Returns EX_OK or EX_USAGE.
 */
int change_find_target(struct ctl *ctl, const char *source,
                       const char *provider, struct target *t);

/* Load the config, find the target and connect.  Returns EX_OK or why. */
int change_prepare(struct ctl *ctl, const char *source, const char *provider,
                   struct target *t);

/*
 * Apply "change" to "t" with a log note naming the user, dated today
 * unless it is an override (whose date names the day it applies to).
 * Returns EX_OK, or EX_UNAVAILABLE after printing the failure.
 */
int change_apply(struct ctl *ctl, const struct target *t,
                 struct ramp_change *change, long *previous_step);

#endif
