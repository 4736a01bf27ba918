/* fs.h - small file-system helpers with actionable errors.
 *
 * Every error message names the path involved. fs_write_atomic() writes to a
 * temporary file in the same folder, fsyncs it and renames it over the
 * target, so a crash leaves either the old or the new content, never a mix. */
#ifndef MLESTAR_UTIL_FS_H
#define MLESTAR_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* Reads a whole file into a malloc'd NUL-terminated string; *len_out (may be
 * NULL) gets its length. Refuses files larger than max_bytes (0 = no limit). */
int fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len_out, struct err *err);
/* Reads at most the last max_bytes of a file (all of a smaller one). */
int fs_read_tail(const char *path, size_t max_bytes, char **out, struct err *err);
int fs_write_file(const char *path, const void *data, size_t len, struct err *err);
int fs_write_atomic(const char *path, const void *data, size_t len, struct err *err);
int fs_append(const char *path, const void *data, size_t len, struct err *err);
/* mkdir -p with the given mode. */
int fs_mkdir_p(const char *path, mode_t mode, struct err *err);
/* Makes `path` an existing, empty folder, keeping the folder itself (on some
 * file systems every rmdir or unlink costs milliseconds, so nothing is
 * removed that need not be). Does not follow symlinks. */
int fs_empty_dir(const char *path, struct err *err);
/* rm -rf; missing path is not an error. Does not follow symlinks. */
int fs_rm_rf(const char *path, struct err *err);
bool fs_exists(const char *path);
bool fs_is_dir(const char *path);
bool fs_is_file(const char *path);
/* Size in bytes, or -1. */
long long fs_size(const char *path);
/* malloc'd "a/b" (no doubled slash). */
char *fs_join(const char *a, const char *b);
/* malloc'd absolute, symlink-free path; NULL when it does not exist. */
char *fs_realpath(const char *path);
/* Pointer into path at its last component. */
const char *fs_basename(const char *path);

#endif
