/* fs.c - see fs.h. */
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/mem.h"

int fs_read_file(const char *path, size_t max_bytes, char **out, size_t *len_out, struct err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(err, errno, "cannot open %s", path);
    struct buf b = {0};
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            buf_free(&b);
            return err_sys(err, e, "cannot read %s", path);
        }
        if (n == 0)
            break;
        buf_append(&b, chunk, (size_t)n);
        if (max_bytes && b.len > max_bytes) {
            close(fd);
            buf_free(&b);
            return err_set(err, "%s is larger than %zu bytes", path, max_bytes);
        }
    }
    close(fd);
    if (len_out)
        *len_out = b.len;
    *out = buf_detach(&b);
    return 0;
}

int fs_read_tail(const char *path, size_t max_bytes, char **out, struct err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_sys(err, errno, "cannot open %s", path);
    off_t size = lseek(fd, 0, SEEK_END);
    off_t start = size > (off_t)max_bytes ? size - (off_t)max_bytes : 0;
    size_t want = (size_t)(size - start);
    char *data = xmalloc(want + 1);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, data + got, want - got, start + (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    data[got] = '\0';
    *out = data;
    return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_with_flags(const char *path, const void *data, size_t len, int flags, struct err *err)
{
    int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_sys(err, errno, "cannot open %s for writing", path);
    if (write_all(fd, data, len) < 0) {
        int e = errno;
        close(fd);
        return err_sys(err, e, "cannot write %s", path);
    }
    if (close(fd) < 0)
        return err_sys(err, errno, "cannot close %s", path);
    return 0;
}

int fs_write_file(const char *path, const void *data, size_t len, struct err *err)
{
    return write_with_flags(path, data, len, O_TRUNC, err);
}

int fs_append(const char *path, const void *data, size_t len, struct err *err)
{
    return write_with_flags(path, data, len, O_APPEND, err);
}

int fs_write_atomic(const char *path, const void *data, size_t len, struct err *err)
{
    char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_sys(err, errno, "cannot create %s", tmp);
        free(tmp);
        return -1;
    }
    if (write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        err_sys(err, e, "cannot write %s", tmp);
        free(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return err_sys(err, e, "cannot rename onto %s", path);
    }
    free(tmp);
    return 0;
}

int fs_mkdir_p(const char *path, mode_t mode, struct err *err)
{
    char *p = xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, mode) < 0 && errno != EEXIST) {
            int e = errno;
            err_sys(err, e, "cannot create folder %s", p);
            free(p);
            return -1;
        }
        *s = '/';
    }
    if (mkdir(p, mode) < 0 && errno != EEXIST) {
        int e = errno;
        err_sys(err, e, "cannot create folder %s", p);
        free(p);
        return -1;
    }
    free(p);
    if (!fs_is_dir(path))
        return err_set(err, "%s exists and is not a folder", path);
    return 0;
}

/* Removes every entry of an open folder. */
static int remove_entries(DIR *d, const char *path, struct err *err)
{
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *child = fs_join(path, e->d_name);
        if (fs_rm_rf(child, err) < 0)
            rc = -1;
        free(child);
    }
    return rc;
}

int fs_empty_dir(const char *path, struct err *err)
{
    DIR *d = opendir(path);
    if (!d)
        return fs_mkdir_p(path, 0755, err);
    int rc = remove_entries(d, path, err);
    closedir(d);
    return rc;
}

int fs_rm_rf(const char *path, struct err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : err_sys(err, errno, "cannot stat %s", path);
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return err_sys(err, errno, "cannot open folder %s", path);
        int rc = remove_entries(d, path, err);
        closedir(d);
        if (rc < 0)
            return -1;
        if (rmdir(path) < 0)
            return err_sys(err, errno, "cannot remove folder %s", path);
        return 0;
    }
    if (unlink(path) < 0 && errno != ENOENT)
        return err_sys(err, errno, "cannot remove %s", path);
    return 0;
}

bool fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

bool fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool fs_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

long long fs_size(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -1;
    return (long long)st.st_size;
}

char *fs_join(const char *a, const char *b)
{
    size_t la = strlen(a);
    while (la > 1 && a[la - 1] == '/')
        la--;
    while (*b == '/')
        b++;
    if (la == 0)
        return xstrdup(b);
    return xasprintf("%.*s/%s", (int)la, a, b);
}

char *fs_realpath(const char *path)
{
    char *r = realpath(path, NULL);
    if (!r)
        return NULL;
    char *out = xstrdup(r);
    free(r);
    return out;
}

const char *fs_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
