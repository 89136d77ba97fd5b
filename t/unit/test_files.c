/*
 * test_files.c - temporary directories and files for the tests
 */
#include "test_files.h"

#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tmpdir_make(char *path, size_t len)
{
    const char *base = getenv("TMPDIR");
    int n;

    if (base == NULL || *base == '\0')
        base = "/tmp";
    n = snprintf(path, len, "%s/rampart-test.XXXXXX", base);
    ck_assert_msg(n > 0 && (size_t)n < len, "TMPDIR %s is too long", base);
    ck_assert_msg(mkdtemp(path) != NULL, "mkdtemp %s failed: %s", path,
                  strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    return remove(path);
}

void tmpdir_remove(const char *path)
{
    ck_assert_msg(nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0,
                  "cannot remove %s: %s", path, strerror(errno));
}

void file_write(char *path, size_t len, const char *dir, const char *name,
                const char *text)
{
    FILE *fp;
    int n = snprintf(path, len, "%s/%s", dir, name);

    ck_assert_msg(n > 0 && (size_t)n < len, "path %s/%s is too long", dir,
                  name);
    fp = fopen(path, "w");
    ck_assert_msg(fp != NULL, "cannot create %s: %s", path, strerror(errno));
    ck_assert_msg(fputs(text, fp) >= 0, "cannot write %s", path);
    ck_assert_msg(fclose(fp) == 0, "cannot write %s: %s", path,
                  strerror(errno));
}

int count_lines(const char *text)
{
    int lines = 0;

    for (; *text != '\0'; text++)
        if (*text == '\n')
            lines++;
    return lines;
}
