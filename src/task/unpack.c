/* unpack.c - unpacking data archives with libarchive (see unpack.h).
 *
 * One pass over the archive: each member's path is checked, its folders are
 * made, its data is streamed block by block into a file opened with
 * O_NOFOLLOW|O_TRUNC (a rerun after a crash overwrites what it had written).
 * The manifest is written last with fs_write_atomic(), so its presence means
 * every listed file is complete. */
#include "task/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "task/task.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

static const char *const archive_exts[] = {".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".7z",
                                           ".gz", ".bz2", ".xz", NULL};
/* single compressed files: the member is the name without this suffix */
static const char *const raw_exts[] = {".gz", ".bz2", ".xz", NULL};

static bool ends_with_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

bool unpack_is_archive(const char *name)
{
    for (const char *const *e = archive_exts; *e; e++)
        if (ends_with_ci(name, *e))
            return true;
    return false;
}

/* The suffix of a single compressed file (not a tarball), or NULL. */
static const char *raw_suffix(const char *name)
{
    if (ends_with_ci(name, ".tar.gz") || ends_with_ci(name, ".tar.bz2") || ends_with_ci(name, ".tar.xz"))
        return NULL;
    for (const char *const *e = raw_exts; *e; e++)
        if (ends_with_ci(name, *e))
            return *e;
    return NULL;
}

bool unpack_path_is_safe(const char *rel)
{
    if (!rel || !rel[0] || rel[0] == '/')
        return false;
    const char *p = rel;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0 && !slash)
            return true; /* a trailing slash: a folder entry */
        if (len == 0 || p[0] == '.')
            return false;
        char *part = xstrndup(p, len);
        bool hidden = task_name_is_hidden(part) || strcmp(part, "__MACOSX") == 0;
        free(part);
        if (hidden)
            return false;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

static char *manifest_path(const char *dest_dir, const char *rel_path)
{
    char *flat = xstrdup(rel_path);
    for (char *c = flat; *c; c++)
        if (*c == '/')
            *c = '%';
    char *name = xasprintf(".unpacked/%s.list", flat);
    char *path = fs_join(dest_dir, name);
    free(name);
    free(flat);
    return path;
}

static void add_member(char ***members, size_t *n, const char *rel)
{
    *members = xrealloc(*members, (*n + 1) * sizeof **members);
    (*members)[(*n)++] = xstrdup(rel);
}

static int read_manifest(const char *path, char ***members, size_t *n, struct err *err)
{
    char *text;
    if (fs_read_file(path, 0, &text, NULL, err) < 0)
        return -1;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (unpack_path_is_safe(line))
            add_member(members, n, line);
    free(text);
    return 0;
}

static int parent_dirs(const char *path, struct err *err)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    int rc = 0;
    if (slash) {
        *slash = '\0';
        rc = fs_mkdir_p(dir, 0755, err);
    }
    free(dir);
    return rc;
}

static int copy_data(struct archive *a, int fd, const char *path, long long *written, struct err *err)
{
    const void *block;
    size_t size;
    la_int64_t offset;
    int r;
    while ((r = archive_read_data_block(a, &block, &size, &offset)) == ARCHIVE_OK) {
        *written += (long long)size;
        if (*written > UNPACK_MAX_BYTES)
            return err_set(err, "unpacking stopped at %s: more than %lld GiB unpacked (raise UNPACK_MAX_BYTES, "
                           "or unpack it by hand)", path, UNPACK_MAX_BYTES >> 30);
        if (lseek(fd, (off_t)offset, SEEK_SET) < 0)
            return err_sys(err, errno, "cannot seek in %s", path);
        const char *p = block;
        while (size > 0) {
            ssize_t w = write(fd, p, size);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return err_sys(err, errno, "cannot write %s", path);
            }
            p += w;
            size -= (size_t)w;
        }
    }
    if (r != ARCHIVE_EOF)
        return err_set(err, "corrupt archive data for %s: %s", path, archive_error_string(a));
    return 0;
}

/* The member's name relative to the data folder, or NULL to skip it. */
static char *member_rel(struct archive_entry *e, const char *prefix, const char *raw_name)
{
    const char *name = raw_name ? raw_name : archive_entry_pathname(e);
    if (!raw_name && archive_entry_filetype(e) != AE_IFREG)
        return NULL;
    while (name && name[0] == '.' && name[1] == '/')
        name += 2;
    if (!name || !unpack_path_is_safe(name) || name[strlen(name) - 1] == '/')
        return NULL;
    return prefix[0] ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
}

static int extract(const char *abs_path, const char *rel_path, const char *dest_dir, char ***members, size_t *n,
                   struct err *err)
{
    const char *base = fs_basename(rel_path);
    const char *raw = raw_suffix(base);
    char *raw_name = raw ? xstrndup(base, strlen(base) - strlen(raw)) : NULL;
    char *prefix = xstrndup(rel_path, (size_t)(base - rel_path));
    if (prefix[0])
        prefix[strlen(prefix) - 1] = '\0'; /* drop the slash */
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    if (raw)
        archive_read_support_format_raw(a);
    else
        archive_read_support_format_all(a);
    int rc = 0;
    if (archive_read_open_filename(a, abs_path, 1 << 16) != ARCHIVE_OK)
        rc = err_set(err, "cannot open archive %s: %s", abs_path, archive_error_string(a));
    long long written = 0;
    struct archive_entry *e;
    int r;
    while (rc == 0 && (r = archive_read_next_header(a, &e)) != ARCHIVE_EOF) {
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = err_set(err, "corrupt archive %s: %s", abs_path, archive_error_string(a));
            break;
        }
        char *rel = member_rel(e, prefix, raw_name);
        if (!rel)
            continue;
        char *out = fs_join(dest_dir, rel);
        rc = parent_dirs(out, err);
        int fd = rc == 0 ? open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644) : -1;
        if (rc == 0 && fd < 0)
            rc = err_sys(err, errno, "cannot create %s", out);
        if (fd >= 0) {
            rc = copy_data(a, fd, out, &written, err);
            if (close(fd) < 0 && rc == 0)
                rc = err_sys(err, errno, "cannot write %s", out);
        }
        if (rc == 0)
            add_member(members, n, rel);
        free(out);
        free(rel);
        if (raw)
            break; /* a raw stream has one member */
    }
    archive_read_free(a);
    free(raw_name);
    free(prefix);
    return rc;
}

int unpack_archive(const char *abs_path, const char *rel_path, const char *dest_dir, char ***members, size_t *n,
                   struct err *err)
{
    *members = NULL;
    *n = 0;
    char *manifest = manifest_path(dest_dir, rel_path);
    int rc;
    if (fs_exists(manifest)) {
        rc = read_manifest(manifest, members, n, err);
    } else {
        rc = parent_dirs(manifest, err);
        if (rc == 0)
            rc = extract(abs_path, rel_path, dest_dir, members, n, err);
        if (rc == 0) {
            struct buf b = {0};
            for (size_t i = 0; i < *n; i++)
                buf_printf(&b, "%s\n", (*members)[i]);
            rc = fs_write_atomic(manifest, b.data ? b.data : "", b.len, err);
            buf_free(&b);
        }
    }
    free(manifest);
    if (rc < 0) {
        for (size_t i = 0; i < *n; i++)
            free((*members)[i]);
        free(*members);
        *members = NULL;
        *n = 0;
    }
    return rc;
}
