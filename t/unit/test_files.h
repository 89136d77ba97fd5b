/*
 * test_files.h - temporary directories and files for the tests
 *
 * Each helper fails the running test (ck_abort) when the file system
 * call fails, so callers need no error paths.
 */
#ifndef RAMPART_TEST_FILES_H
#define RAMPART_TEST_FILES_H

#include <stddef.h>

/* Create a new directory under $TMPDIR (default /tmp) and store its path. */
void tmpdir_make(char *path, size_t len);

/* Remove a directory made by tmpdir_make() with everything in it. */
void tmpdir_remove(const char *path);

/* Write "text" to the file "name" in "dir" and store the file's path. */
void file_write(char *path, size_t len, const char *dir, const char *name,
                const char *text);

/* Return the number of '\n'-terminated lines in "text". */
int count_lines(const char *text);

#endif
