/* backend.c - the table of executor backends and the one place that picks
 * one (see backend.h). Adding a backend: a run function and a row here. */
#include <string.h>

#include "exec/backend.h"
#include "exec/exec_internal.h"
#include "exec/slurm.h"

static const struct exec_backend backends[] = {
    {"local", exec_run_with_cancel},
    {"slurm", slurm_run},
};

static const struct exec_backend *current = &backends[0];

int exec_backend_select(const struct config *cfg, struct err *err)
{
    const char *name = cfg->exec.backend && *cfg->exec.backend ? cfg->exec.backend : "local";
    for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++) {
        if (strcmp(name, backends[i].name) != 0)
            continue;
        if (!strcmp(name, "slurm") && slurm_configure(cfg, err) < 0)
            return -1;
        current = &backends[i];
        return 0;
    }
    return err_set(err, "exec.backend: unknown backend '%s' (expected local or slurm)", name);
}

const struct exec_backend *exec_backend_current(void)
{
    return current;
}

int exec_backend_run(const struct exec_request *req, const volatile int *cancel2,
                     struct exec_result *res, struct err *err)
{
    return current->run(req, cancel2, res, err);
}

char **exec_slurm_extra_words(const char *text, struct err *err)
{
    return slurm_split_words(text, err);
}

void exec_slurm_words_free(char **words)
{
    slurm_words_free(words);
}
