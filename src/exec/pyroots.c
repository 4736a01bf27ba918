/* pyroots.c - the folders an interpreter reads its own files from.
 *
 * The confined root (confine.c) holds only what the script needs, so it
 * must know where the interpreter lives: sys.prefix and its relatives, the
 * folder of the real executable, and every folder on sys.path (site and
 * dist-packages, .pth additions, the user site). The interpreter is asked
 * once per process (`python -c ROOTS_CODE`, with the environment scripts
 * get: the same HOME, so the same user site) and the answer is kept. Each
 * folder comes as its realpath and, when that differs, also as the path
 * the interpreter names it by (a venv reached through a symlink), so both
 * resolve inside the confined root.
 *
 * Thread-safe: one mutex around the small per-interpreter table; entries
 * live until the process ends. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_internal.h"
#include "util/log.h"
#include "util/mem.h"

#define ROOTS_TIMEOUT_S 30.0
#define MAX_ENTRIES 8

static const char ROOTS_CODE[] =
    "import os, site, sys\n"
    "seen = set()\n"
    "def out(p):\n"
    "    if not p or not os.path.isabs(p) or not os.path.exists(p):\n"
    "        return\n"
    "    for q in (os.path.realpath(p), os.path.abspath(p)):\n"
    "        if os.path.isfile(q):\n"
    "            q = os.path.dirname(q)\n"
    "        if q not in seen:\n"
    "            seen.add(q)\n"
    "            print('root\\t' + q)\n"
    "for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,\n"
    "          os.path.dirname(os.path.realpath(sys.executable or '')),\n"
    "          os.path.dirname(os.path.abspath(sys.executable or ''))):\n"
    "    out(p)\n"
    "for p in sys.path:\n"
    "    out(p)\n"
    "if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):\n"
    "    print('userbase\\t' + site.getuserbase())\n";

struct roots_entry {
    char *python;
    struct pyroots roots;
};

static pthread_mutex_t roots_lock = PTHREAD_MUTEX_INITIALIZER;
static struct roots_entry roots_table[MAX_ENTRIES];
static size_t roots_count;

static void parse_roots(char *text, struct pyroots *r)
{
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *value = strchr(line, '\t');
        if (!value || value[1] != '/')
            continue;
        *value++ = '\0';
        if (!strcmp(line, "root")) {
            r->dirs = xrealloc(r->dirs, (r->ndirs + 1) * sizeof *r->dirs);
            r->dirs[r->ndirs++] = xstrdup(value);
        } else if (!strcmp(line, "userbase") && !r->userbase) {
            r->userbase = xstrdup(value);
        }
    }
}

const struct pyroots *pyroots_get(const char *python)
{
    pthread_mutex_lock(&roots_lock);
    for (size_t i = 0; i < roots_count; i++)
        if (!strcmp(roots_table[i].python, python)) {
            pthread_mutex_unlock(&roots_lock);
            return &roots_table[i].roots;
        }
    struct pyroots found = {0};
    char *out = NULL;
    char *argv[] = {(char *)python, "-c", (char *)ROOTS_CODE, NULL};
    if (exec_capture_output(argv, ROOTS_TIMEOUT_S, &out) == 0 && out)
        parse_roots(out, &found);
    else
        log_warn("exec: %s did not say where its files are; the confined root holds only the "
                 "system folders", python);
    free(out);
    const struct pyroots *result = NULL;
    if (roots_count < MAX_ENTRIES) {
        roots_table[roots_count].python = xstrdup(python);
        roots_table[roots_count].roots = found;
        result = &roots_table[roots_count++].roots;
    } else {
        static struct pyroots none;
        result = &none; /* more interpreters than slots: leaks nothing, binds nothing extra */
        for (size_t i = 0; i < found.ndirs; i++)
            free(found.dirs[i]);
        free(found.dirs);
        free(found.userbase);
    }
    pthread_mutex_unlock(&roots_lock);
    return result;
}
