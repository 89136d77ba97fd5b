/*
 * filter.h - the milter callbacks of rampart-milter
 */
#ifndef RAMPART_MILTER_FILTER_H
#define RAMPART_MILTER_FILTER_H

#include <libmilter/mfapi.h>

/* The callback table passed to smfi_register(). */
extern struct smfiDesc filter_description;

/* Report Redis errors that were counted but not yet logged. */
void filter_flush_logs(void);

#endif
