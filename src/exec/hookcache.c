/* hookcache.c - the start-up hook, compiled once per interpreter.
 *
 * Every run writes the hook (templates/sandbox/sitecustomize.py) into its
 * attempt folder, and Python would compile it at every start: a few
 * milliseconds of a run's fixed cost, since PYTHONDONTWRITEBYTECODE keeps it
 * from caching the result. So the first run with a given interpreter asks
 * that interpreter to compile the hook into an unchecked-hash .pyc (PEP
 * 552: loaded without comparing it to the source file's time stamp), and
 * every run then writes those bytes as .sandbox/__pycache__/sitecustomize.
 * <cache_tag>.pyc beside the source. The bytes come from the hook embedded
 * in this binary, so they always match it.
 *
 * Thread-safe: one mutex around the small per-interpreter table; entries
 * live until the process ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_internal.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

#define COMPILE_TIMEOUT_S 30.0
#define MAX_ENTRIES 8

static const char COMPILE_CODE[] =
    "import py_compile, sys\n"
    "py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True,\n"
    "                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n"
    "print(sys.implementation.cache_tag)\n";

struct hook_entry {
    char *python;
    char *tag;         /* NULL when compiling failed */
    char *pyc;
    size_t len;
};

static struct hook_entry entries[MAX_ENTRIES];
static size_t nentries;
static pthread_mutex_t entries_mu = PTHREAD_MUTEX_INITIALIZER;

static void compile_hook(struct hook_entry *e, const char *src_path)
{
    char *out_path = xasprintf("%s.%ld.pyc", src_path, (long)getpid());
    char *argv[] = {e->python, "-c", (char *)COMPILE_CODE, (char *)src_path, out_path, NULL};
    char *out = NULL;
    if (exec_capture_output(argv, COMPILE_TIMEOUT_S, &out) == 0 &&
        fs_read_file(out_path, 1 << 20, &e->pyc, &e->len, NULL) == 0) {
        out[strcspn(out, "\r\n")] = '\0';
        if (*out && !strchr(out, '/')) {
            e->tag = out;
            out = NULL;
        }
    }
    if (!e->tag)
        log_debug("exec: %s could not compile the sandbox hook; it will compile it at every run",
                  e->python);
    unlink(out_path);
    free(out);
    free(out_path);
}

int hook_bytecode(const char *python, const char *src_path, const char **pyc, size_t *len,
                  const char **cache_tag)
{
    pthread_mutex_lock(&entries_mu);
    struct hook_entry *e = NULL;
    for (size_t i = 0; i < nentries && !e; i++)
        if (!strcmp(entries[i].python, python))
            e = &entries[i];
    if (!e && nentries < MAX_ENTRIES) {
        e = &entries[nentries++];
        e->python = xstrdup(python);
        compile_hook(e, src_path);
    }
    int rc = -1;
    if (e && e->tag) {
        *pyc = e->pyc;
        *len = e->len;
        *cache_tag = e->tag;
        rc = 0;
    }
    pthread_mutex_unlock(&entries_mu);
    return rc;
}
