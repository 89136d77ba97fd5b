/*
 * status.c - rampartctl status: one line per source and provider ramp
 */
#include "commands.h"
#include "view.h"

#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

enum column {
    COL_SOURCE,
    COL_SCHEDULE,
    COL_STEP,
    COL_CAP,
    COL_USED,
    COL_TEMPFAILED,
    COL_LEFT,
    COL_FLAGS,
    COLUMN_COUNT
};

static const char *const headers[COLUMN_COUNT] = {
    "SOURCE", "SCHEDULE", "STEP", "CAP", "USED", "TEMPFAILED", "LEFT", "FLAGS"};

/* The rows of the table, printed once every column's width is known. */
struct table {
    char (*cells)[COLUMN_COUNT][128];
    size_t rows;
};

static void format_number(long value, char *buf, size_t len)
{
    if (value < 0)
        snprintf(buf, len, "?");
    else
        snprintf(buf, len, "%ld", value);
}

/* Add one ramp's row; "source_view" is NULL for the source's own. */
static void add_row(struct table *t, const struct ramp_view *v,
                    const struct ramp_view *source_view)
{
    char(*row)[128] = t->cells[t->rows++];
    const size_t len = sizeof(row[0]);

    if (v->ramp == NULL) {
        snprintf(row[COL_SOURCE], len, "%s", v->src->address);
        snprintf(row[COL_SCHEDULE], len, "%s",
                 v->fixed ? "fixed" : v->schedule);
    } else {
        snprintf(row[COL_SOURCE], len, "  %s", v->ramp->provider);
        snprintf(row[COL_SCHEDULE], len, "share %g%%", 100.0 * v->ramp->share);
    }
    if (v->fixed)
        snprintf(row[COL_STEP], len, "-");
    else
        snprintf(row[COL_STEP], len, "%ld", v->step);
    format_number(v->cap, row[COL_CAP], len);
    format_number(v->used, row[COL_USED], len);
    format_number(v->counters[DAY_TEMPFAILED], row[COL_TEMPFAILED], len);
    format_number(view_left(v, source_view), row[COL_LEFT], len);
    view_flags(v, row[COL_FLAGS], len);
}

/* Print the table: text columns left-aligned, numbers right-aligned. */
static void print_table(const struct table *t)
{
    int width[COLUMN_COUNT] = {0};

    for (size_t r = 0; r < t->rows; r++)
        for (int c = 0; c < COLUMN_COUNT; c++)
            if ((int)strlen(t->cells[r][c]) > width[c])
                width[c] = (int)strlen(t->cells[r][c]);
    for (size_t r = 0; r < t->rows; r++) {
        for (int c = 0; c < COL_FLAGS; c++) {
            int left = c == COL_SOURCE || c == COL_SCHEDULE;

            printf("%*s  ", left ? -width[c] : width[c], t->cells[r][c]);
        }
        printf("%s\n", t->cells[r][COL_FLAGS]);
    }
}

/*
 * Add the rows of a source and its provider ramps, and count in *problems
 * those whose cap is unknown.  Returns 0, or -1 after printing a Redis
 * failure.
 */
static int add_source(struct ctl *ctl, struct table *t,
                      const struct source *src, int *problems)
{
    const struct rampart_config *cfg = ctl->cfg;
    struct ramp_view sv;
    struct ramp_view pv;

    if (view_load(ctl, src, NULL, NULL, &sv) != 0) {
        view_free(&sv);
        return -1;
    }
    add_row(t, &sv, NULL);
    if (sv.problem[0] != '\0') {
        ctl_error("%s: %s", src->address, sv.problem);
        (*problems)++;
    }
    for (size_t i = 0; i < cfg->provider_ramp_count; i++) {
        if (view_load(ctl, src, &cfg->provider_ramps[i], &sv, &pv) != 0) {
            view_free(&pv);
            view_free(&sv);
            return -1;
        }
        add_row(t, &pv, &sv);
        if (pv.problem[0] != '\0' && sv.problem[0] == '\0') {
            ctl_error("%s provider %s: %s", src->address, pv.ramp->provider,
                      pv.problem);
            (*problems)++;
        }
        view_free(&pv);
    }
    view_free(&sv);
    return 0;
}

int cmd_status(struct ctl *ctl, const struct command *cmd, int argc,
               char **argv)
{
    const struct source **sources;
    struct table table = {0};
    size_t count = 0;
    int problems = 0;
    int rc;

    if ((rc = ctl_parse_help_only(cmd, argc, argv)) != -1)
        return rc;
    if ((rc = ctl_load(ctl)) != EX_OK)
        return rc;
    sources = calloc(ctl->cfg->source_count + (size_t)argc, sizeof(*sources));
    if (sources == NULL) {
        ctl_error("out of memory");
        return EX_OSERR;
    }
    for (int i = optind; i < argc; i++)
        if ((sources[count++] = ctl_source(ctl, argv[i])) == NULL) {
            free(sources);
            return EX_USAGE;
        }
    if (count == 0)
        for (size_t i = 0; i < ctl->cfg->source_count; i++)
            sources[count++] = &ctl->cfg->sources[i];
    table.cells = calloc(1 + count * (1 + ctl->cfg->provider_ramp_count),
                         sizeof(*table.cells));
    if (table.cells == NULL) {
        free(sources);
        ctl_error("out of memory");
        return EX_OSERR;
    }
    for (int c = 0; c < COLUMN_COUNT; c++)
        snprintf(table.cells[0][c], sizeof(table.cells[0][c]), "%s",
                 headers[c]);
    table.rows = 1;

    rc = ctl_connect(ctl);
    for (size_t i = 0; rc == EX_OK && i < count; i++)
        if (add_source(ctl, &table, sources[i], &problems) != 0)
            rc = EX_UNAVAILABLE;
    if (rc == EX_OK)
        print_table(&table);
    free(table.cells);
    free(sources);
    if (rc == EX_OK && problems > 0)
        rc = EX_DATAERR;
    return rc;
}
