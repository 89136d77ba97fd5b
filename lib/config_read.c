/*
 * config_read.c - typed readers for rampart.conf and their error reports
 */
#include "config_read.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Write the dotted path of a setting, e.g. "schedules.weekly.target". */
static void setting_path(const config_setting_t *s, char *buf, size_t len)
{
    const config_setting_t *parent = config_setting_parent(s);
    size_t used;

    if (parent == NULL || config_setting_is_root(parent)) {
        snprintf(buf, len, "%s", config_setting_name(s) ?: "");
        return;
    }
    setting_path(parent, buf, len);
    used = strlen(buf);
    if (config_setting_name(s) != NULL)
        snprintf(buf + used, len - used, ".%s", config_setting_name(s));
    else
        snprintf(buf + used, len - used, "[%d]", config_setting_index(s));
}

/* Add one line to the error text; the count decides success. */
void conf_append_error(struct loader *ld, const char *line)
{
    size_t len = strlen(line);
    char *grown = realloc(ld->errors, ld->errors_len + len + 1);

    ld->error_count++;
    if (grown == NULL)
        return;
    ld->errors = grown;
    memcpy(ld->errors + ld->errors_len, line, len + 1);
    ld->errors_len += len;
}

void conf_report(struct loader *ld, const config_setting_t *s, const char *fmt,
                 ...)
{
    char message[1024];
    char path[512];
    char line[1700];
    va_list ap;
    int n;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    if (s != NULL) {
        setting_path(s, path, sizeof(path));
        n = snprintf(line, sizeof(line), "%s:%u: %s: %s\n",
                     config_setting_source_file(s) ?: ld->path,
                     config_setting_source_line(s), path, message);
    } else {
        n = snprintf(line, sizeof(line), "%s: %s\n", ld->path, message);
    }
    if (n < 0)
        return;
    conf_append_error(ld, line);
}

const char *conf_type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a number";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "true or false";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ... ]";
    case CONFIG_TYPE_LIST:
        return "a list ( ... )";
    }
    return "a value";
}

/*
 * Report a setting of the wrong type, with its value when it is a scalar:
 * "expected an integer, found a string \"250\"".
 */
void conf_report_type(struct loader *ld, const config_setting_t *s,
                      const char *expected)
{
    const char *found = conf_type_name(config_setting_type(s));

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        conf_report(ld, s, "expected %s, found %s %lld", expected, found,
                    config_setting_get_int64(s));
        return;
    case CONFIG_TYPE_FLOAT:
        conf_report(ld, s, "expected %s, found %s %g", expected, found,
                    config_setting_get_float(s));
        return;
    case CONFIG_TYPE_STRING:
        conf_report(ld, s, "expected %s, found %s \"%.200s\"", expected, found,
                    config_setting_get_string(s));
        return;
    case CONFIG_TYPE_BOOL:
        conf_report(ld, s, "expected %s, found %s", expected,
                    config_setting_get_bool(s) ? "true" : "false");
        return;
    }
    conf_report(ld, s, "expected %s, found %s", expected, found);
}

/* Report every child of "group" whose name is not in "allowed". */
void conf_check_keys(struct loader *ld, const config_setting_t *group,
                     const char *const *allowed)
{
    int count = config_setting_length(group);

    for (int i = 0; i < count; i++) {
        const config_setting_t *child = config_setting_get_elem(group, i);
        const char *name = config_setting_name(child);
        size_t k;

        for (k = 0; allowed[k] != NULL; k++)
            if (strcmp(allowed[k], name) == 0)
                break;
        if (allowed[k] == NULL)
            conf_report(ld, child,
                        "unknown key; check its spelling against "
                        "rampart.conf(5)");
    }
}

/*
 * Typed lookups.  Each returns 1 when the key is present and valid, 0
 * when it is absent (a required key is then reported), -1 when invalid.
 */
const config_setting_t *conf_member(const config_setting_t *group,
                                    const char *name)
{
    return group ? config_setting_get_member(group, name) : NULL;
}

static int report_missing(struct loader *ld, const config_setting_t *group,
                          const char *name, const char *hint)
{
    if (group != NULL && !config_setting_is_root(group))
        conf_report(ld, group, "missing key \"%s\"; %s", name, hint);
    else
        conf_report(ld, NULL, "missing key \"%s\"; %s", name, hint);
    return 0;
}

int conf_string(struct loader *ld, const config_setting_t *group,
                const char *name, const char **out, const char *hint)
{
    const config_setting_t *s = conf_member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        conf_report_type(ld, s, "a string in double quotes");
        return -1;
    }
    *out = config_setting_get_string(s);
    return 1;
}

int conf_setting_long(struct loader *ld, const config_setting_t *s, long min,
                      long max, long *out)
{
    long long value;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        conf_report_type(ld, s, "an integer");
        return -1;
    }
    value = config_setting_get_int64(s);
    if (value < min || value > max) {
        conf_report(ld, s, "invalid value %lld: must be from %ld to %ld", value,
                    min, max);
        return -1;
    }
    *out = (long)value;
    return 1;
}

int conf_long(struct loader *ld, const config_setting_t *group,
              const char *name, long min, long max, long *out, const char *hint)
{
    const config_setting_t *s = conf_member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    return conf_setting_long(ld, s, min, max, out);
}

int conf_int(struct loader *ld, const config_setting_t *group, const char *name,
             int min, int max, int *out)
{
    long value;
    int rc = conf_long(ld, group, name, min, max, &value, NULL);

    if (rc == 1)
        *out = (int)value;
    return rc;
}

int conf_double(struct loader *ld, const config_setting_t *group,
                const char *name, double *out, const char *hint)
{
    const config_setting_t *s = conf_member(group, name);

    if (s == NULL)
        return hint ? report_missing(ld, group, name, hint) : 0;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_FLOAT:
        *out = config_setting_get_float(s);
        return 1;
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(s);
        return 1;
    }
    conf_report_type(ld, s, "a number");
    return -1;
}

int conf_bool(struct loader *ld, const config_setting_t *group,
              const char *name, bool *out)
{
    const config_setting_t *s = conf_member(group, name);

    if (s == NULL)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        conf_report_type(ld, s, "true or false");
        return -1;
    }
    *out = config_setting_get_bool(s) != 0;
    return 1;
}

/* A string key that must be one of "words"; returns the word's index. */
int conf_word(struct loader *ld, const config_setting_t *group,
              const char *name, const char *const *words, int *out)
{
    const char *value;
    int rc = conf_string(ld, group, name, &value, NULL);
    char allowed[256] = "";

    if (rc != 1)
        return rc;
    for (int i = 0; words[i] != NULL; i++) {
        if (strcmp(words[i], value) == 0) {
            *out = i;
            return 1;
        }
        snprintf(allowed + strlen(allowed), sizeof(allowed) - strlen(allowed),
                 "%s\"%s\"", i ? " or " : "", words[i]);
    }
    conf_report(ld, conf_member(group, name),
                "invalid value \"%s\": must be %s", value, allowed);
    return -1;
}

/* Check that a group key, if present, is a group. */
const config_setting_t *
conf_group(struct loader *ld, const config_setting_t *parent, const char *name)
{
    const config_setting_t *s = conf_member(parent, name);

    if (s == NULL)
        return NULL;
    if (config_setting_type(s) != CONFIG_TYPE_GROUP) {
        conf_report_type(ld, s, "a group { ... }");
        return NULL;
    }
    return s;
}

/* A syntax error stops libconfig at its first problem. */
void conf_report_syntax(struct loader *ld, const config_t *file)
{
    char line[1200];

    snprintf(line, sizeof(line), "%s:%d: syntax error: %s\n",
             config_error_file(file) ?: ld->path, config_error_line(file),
             config_error_text(file));
    conf_append_error(ld, line);
}

/* Report one integer literal of "text" that libconfig would truncate. */
static void check_integer_literal(struct loader *ld, const char *text,
                                  size_t len, int line)
{
    char literal[32];
    char message[256];
    unsigned long long value;

    if (len >= sizeof(literal))
        len = sizeof(literal) - 1;
    memcpy(literal, text, len);
    literal[len] = '\0';
    errno = 0;
    value = strtoull(literal, NULL, 0);
    if (errno == 0 && value <= 2147483647ULL)
        return;
    snprintf(message, sizeof(message),
             "%s:%d: integer %s does not fit in 32 bits; write it with an L "
             "suffix (%sL) or libconfig stores a truncated value\n",
             ld->path, line, literal, literal);
    conf_append_error(ld, message);
}

/*
 * libconfig 1.5 silently truncates integer literals above 2^31-1 that lack
 * the L suffix (daily_cap = 5000000000 loads as 705032704).  Scan the
 * file's text for such literals, skipping strings and comments.
 * NOTE: files pulled in with @include are not scanned.
 */
void conf_check_wide_integers(struct loader *ld, const char *path)
{
    FILE *fp = fopen(path, "r");
    char *text = NULL;
    size_t size = 0;
    int line = 1;

    if (fp == NULL)
        return;
    if (getdelim(&text, &size, '\0', fp) < 0) {
        fclose(fp);
        free(text);
        return;
    }
    fclose(fp);
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '\n') {
            line++;
        } else if (*p == '"') {
            for (p++; *p != '\0' && *p != '"'; p++)
                if (*p == '\\' && p[1] != '\0')
                    p++;
            if (*p == '\0')
                break;
        } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            while (p[1] != '\0' && p[1] != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
                if (*p == '\n')
                    line++;
            if (*p == '\0')
                break;
            p++;
        } else if (isdigit((unsigned char)*p) &&
                   (p == text || (!isalnum((unsigned char)p[-1]) &&
                                  p[-1] != '_' && p[-1] != '.'))) {
            size_t len = strspn(p, "0123456789abcdefABCDEFxX");

            if (strchr("Ll.eE", p[len]) == NULL || p[len] == '\0')
                check_integer_literal(ld, p, len, line);
            p += len - 1;
        }
    }
    free(text);
}

int conf_parse_mode(const char *text, int *mode)
{
    char *end;
    long value;

    if (*text == '\0')
        return -1;
    value = strtol(text, &end, 8);
    if (*end != '\0' || value < 0 || value > 0777)
        return -1;
    *mode = (int)value;
    return 0;
}

int conf_list_length(struct loader *ld, const config_setting_t *list)
{
    if (list == NULL)
        return 0;
    if (config_setting_type(list) != CONFIG_TYPE_LIST) {
        conf_report_type(ld, list, "a list ( { ... }, ... )");
        return -1;
    }
    return config_setting_length(list);
}
