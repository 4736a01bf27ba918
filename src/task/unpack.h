/* unpack.h - data archives (zip, tar, tar.gz/bz2/xz, 7z, and single
 * compressed files like train.csv.gz) unpacked once into the run's data
 * view, never into the task folder.
 *
 * unpack_archive() extracts the regular files of one archive under
 * dest_dir/<prefix> (prefix = the archive's folder inside the data folder,
 * "" at the top), and writes a manifest dest_dir/.unpacked/<name>.list
 * (one relative path per line, written last and atomically). A manifest
 * that exists means the archive was unpacked: the call then only reads it
 * back (idempotent on resume; an interrupted extraction has no manifest and
 * is redone). A single compressed file (train.csv.gz) becomes its name
 * without the compression suffix.
 *
 * Member paths are checked before anything is written: absolute paths,
 * "..", empty components, dot names (.DS_Store, __MACOSX/...) and names the
 * agent must never see (task_name_is_hidden: answers, solutions, test
 * labels) are skipped; links, devices and other non-regular members are
 * skipped; files are created with O_NOFOLLOW. At most UNPACK_MAX_BYTES are
 * written per archive (an error past that: a zip bomb or a full disk should
 * stop the run with a message, not fill the disk). */
#ifndef MLESTAR_TASK_UNPACK_H
#define MLESTAR_TASK_UNPACK_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

#define UNPACK_MAX_BYTES (64LL << 30)

/* True for names unpack_archive() handles (by extension). */
bool unpack_is_archive(const char *name);
/* Unpacks (or reads the manifest of) archive `rel_path` (relative to the data
 * folder; abs_path is where it is). *members gets the relative paths of the
 * files now in dest_dir (malloc'd array of malloc'd strings, *n of them). */
int unpack_archive(const char *abs_path, const char *rel_path, const char *dest_dir, char ***members, size_t *n,
                   struct err *err);
/* True when `rel` is safe to create under a folder: relative, no "..", no
 * empty or dot-leading component, no hidden name. */
bool unpack_path_is_safe(const char *rel);

#endif
