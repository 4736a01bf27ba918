/* backend.h - where a script runs: on this machine, or as a Slurm job.
 *
 * The exec contract (exec.h) does not change with the backend: exec_run()
 * and the pool take the same request and give the same struct
 * exec_result. What runs the request is one struct exec_backend, a name
 * and a function, chosen once per process by exec_backend_select() from
 * the exec.backend setting (like Redis's ae_epoll.c / ae_kqueue.c or curl's
 * vtls backends: the pluggable part behind a small table, chosen at one
 * place). Until then, and in every process that never selects, the local
 * backend runs.
 *
 *   local   exec_run_with_cancel() in run.c: the sandbox on this machine.
 *   slurm   slurm.c: each request becomes one job (srun) that runs this
 *           same binary in its internal mode (`mlestar __exec-job`,
 *           slurm_job.c), which runs the local backend on the compute node
 *           and writes the verdict as JSON into the attempt folder (so the
 *           attempt folder must be on a filesystem the nodes share).
 *
 * Thread-safety: exec_backend_select() must run before any script does
 * (it is not synchronised with exec_run()); everything else is
 * thread-safe. */
#ifndef MLESTAR_EXEC_BACKEND_H
#define MLESTAR_EXEC_BACKEND_H

#include "exec/exec.h"
#include "util/config.h"
#include "util/err.h"

struct exec_backend {
    const char *name;
    /* Runs one request like exec_run(); cancel2 is a second cancel flag
     * (the pool's), may be NULL. */
    int (*run)(const struct exec_request *req, const volatile int *cancel2,
               struct exec_result *res, struct err *err);
};

/* Chooses the backend from cfg->exec.backend (and keeps the settings it
 * needs: exec.slurm_*). Fails with a message naming the setting for an
 * unknown backend, or for slurm when `srun` cannot be found on PATH. */
int exec_backend_select(const struct config *cfg, struct err *err);
/* The backend in use (never NULL). */
const struct exec_backend *exec_backend_current(void);
/* Runs req on the current backend. */
int exec_backend_run(const struct exec_request *req, const volatile int *cancel2,
                     struct exec_result *res, struct err *err);

/* exec.slurm_extra as words (blanks separate, 'single' and "double"
 * quotes group; no other shell syntax): a NULL-terminated malloc'd vector
 * for exec_slurm_words_free, or NULL with err for an unterminated quote.
 * Shared with `mlestar bench --slurm`. */
char **exec_slurm_extra_words(const char *text, struct err *err);
void exec_slurm_words_free(char **words);

/* The node side of the slurm backend: reads the request the login node
 * wrote (REQUEST.json), runs it with the local backend, writes the verdict
 * JSON beside it. SIGTERM (scancel, the job's time limit) cancels the
 * script cleanly. Returns 0 when a verdict was written. */
int exec_slurm_job_main(const char *request_path, struct err *err);

#endif
