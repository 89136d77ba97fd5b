/*
 * config_read.h - typed readers for rampart.conf, shared by the config_*.c
 * files (not part of the library's interface)
 *
 * Every reader reports a problem as "file:line: key: problem" and goes on,
 * so that one load lists every error of a file.
 */
#ifndef RAMPART_CONFIG_READ_H
#define RAMPART_CONFIG_READ_H

#include "config.h"

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

/* Accumulates error lines while one file is loaded. */
struct loader {
    const char *path;
    char *errors;
    size_t errors_len;
    int error_count;
    struct rampart_config *cfg;
};

/* Add one finished line to the error text. */
void conf_append_error(struct loader *ld, const char *line);

/* Report a problem with setting "s" (NULL: the whole file). */
void conf_report(struct loader *ld, const config_setting_t *s, const char *fmt,
                 ...) __attribute__((format(printf, 3, 4)));

/* Report libconfig's syntax error, the only one it finds. */
void conf_report_syntax(struct loader *ld, const config_t *file);

/* Report integer literals that libconfig would truncate to 32 bits. */
void conf_check_wide_integers(struct loader *ld, const char *path);

/* Report a setting of the wrong type, with its value when it is a scalar. */
void conf_report_type(struct loader *ld, const config_setting_t *s,
                      const char *expected);

/* Return a phrase naming a libconfig type, e.g. "an integer". */
const char *conf_type_name(int type);

/* Report every child of "group" whose name is not in "allowed". */
void conf_check_keys(struct loader *ld, const config_setting_t *group,
                     const char *const *allowed);

/* Return the member "name" of "group", or NULL (also when group is NULL). */
const config_setting_t *conf_member(const config_setting_t *group,
                                    const char *name);

/* Return the group "name" of "parent", or NULL when absent or invalid. */
const config_setting_t *
conf_group(struct loader *ld, const config_setting_t *parent, const char *name);

/*
 * Typed lookups.  Each returns 1 when the key is present and valid, 0 when
 * it is absent (a required key, one with a "hint", is then reported), and
 * -1 when it is invalid.
 */
int conf_string(struct loader *ld, const config_setting_t *group,
                const char *name, const char **out, const char *hint);
int conf_setting_long(struct loader *ld, const config_setting_t *s, long min,
                      long max, long *out);
int conf_long(struct loader *ld, const config_setting_t *group,
              const char *name, long min, long max, long *out,
              const char *hint);
int conf_int(struct loader *ld, const config_setting_t *group, const char *name,
             int min, int max, int *out);
int conf_double(struct loader *ld, const config_setting_t *group,
                const char *name, double *out, const char *hint);
int conf_bool(struct loader *ld, const config_setting_t *group,
              const char *name, bool *out);

/* A string that must be one of "words"; stores the word's index. */
int conf_word(struct loader *ld, const config_setting_t *group,
              const char *name, const char *const *words, int *out);

/* Parse an octal file mode such as "0660".  Returns 0 or -1. */
int conf_parse_mode(const char *text, int *mode);

/* Entries of a list key: 0 when absent, -1 (reported) when not a list. */
int conf_list_length(struct loader *ld, const config_setting_t *list);

/* Sections, each in the file named after it. */
void conf_load_schedules(struct loader *ld, const config_setting_t *root);
void conf_load_sources(struct loader *ld, const config_setting_t *root);
void conf_load_routes(struct loader *ld, const config_setting_t *root);
void conf_load_ramp(struct loader *ld, const config_setting_t *root);
void conf_load_global_pacing(struct loader *ld, const config_setting_t *root);
void conf_load_pacing(struct loader *ld, const config_setting_t *g,
                      struct pacing_config *p);
void conf_load_providers(struct loader *ld, const config_setting_t *root);
void conf_load_provider_ramps(struct loader *ld, const config_setting_t *root);
void conf_load_policy(struct loader *ld, const config_setting_t *root);
void conf_load_domain_limits(struct loader *ld, const config_setting_t *root);
void conf_free_policy(struct rampart_config *cfg);

#endif
