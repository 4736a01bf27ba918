/* slurm.h - the pieces of the slurm backend; private to src/exec.
 *
 *   slurm.c        the login-node side: one srun per request, watched,
 *                  cancelled with scancel, the verdict read back, a job the
 *                  cluster killed retried once
 *   slurm_parse.c  what Slurm's tools print (srun's messages, `scontrol
 *                  show job -o`, `sacct -P`), and what a job state means
 *   slurm_json.c   the request and the verdict as JSON files in the
 *                  attempt folder (ATTEMPT/.slurm/request.json, result.json)
 *   slurm_job.c    the node side (`mlestar __exec-job`)
 *
 * The parsers take text from outside programs and files: they accept any
 * bytes, never read past the length given, and are fuzzed
 * (tests/fuzz/fuzz_exec_slurm.c). */
#ifndef MLESTAR_EXEC_SLURM_H
#define MLESTAR_EXEC_SLURM_H

#include <stdbool.h>
#include <stddef.h>

#include "exec/exec.h"
#include "util/config.h"
#include "util/err.h"

/* ---- slurm.c ---- */

/* Keeps the exec.slurm_* settings and finds the tools; fails when srun,
 * scancel, scontrol or squeue is missing, or exec.slurm_extra is malformed. */
int slurm_configure(const struct config *cfg, struct err *err);
/* The backend's run function (struct exec_backend). */
int slurm_run(const struct exec_request *req, const volatile int *cancel2, struct exec_result *res,
              struct err *err);

/* ---- slurm_parse.c ---- */

/* A job id from one line srun printed on stderr ("srun: jobid 12: nodes...",
 * "srun: job 12 queued and waiting for resources", "srun: job 12 has been
 * allocated resources"); 0 when the line names none. */
long slurm_srun_job_id(const char *line, size_t len);

/* What happened to a job, from its JobState (scontrol, sacct, squeue). */
enum slurm_fate {
    SLURM_FATE_UNKNOWN,    /* state not known (purged, no accounting) */
    SLURM_FATE_ACTIVE,     /* PENDING, RUNNING, CONFIGURING, COMPLETING, SUSPENDED, REQUEUED... */
    SLURM_FATE_DONE,       /* COMPLETED or FAILED: the job's own program ended */
    SLURM_FATE_CANCELLED,  /* CANCELLED (by us or by someone) */
    SLURM_FATE_TIMEOUT,    /* TIMEOUT, DEADLINE */
    SLURM_FATE_OOM,        /* OUT_OF_MEMORY */
    SLURM_FATE_LOST        /* NODE_FAIL, PREEMPTED, BOOT_FAIL: the cluster killed it: retry */
};

enum slurm_fate slurm_state_fate(const char *state);
const char *slurm_fate_name(enum slurm_fate fate);

struct slurm_job_info {
    char state[32];        /* JobState, e.g. "NODE_FAIL"; "" when unknown */
    char reason[64];       /* Reason, e.g. "NodeDown" */
    char nodes[128];       /* NodeList */
    int exit_code;         /* ExitCode=a:b -> a; -1 unknown */
    int exit_signal;       /* -> b */
};

/* `scontrol show job -o ID` output (KEY=VALUE ... on one line per job):
 * fills *info for the first job. Returns 0 when a JobState was found. */
int slurm_parse_scontrol(const char *text, size_t len, struct slurm_job_info *info);
/* `sacct -n -P -X -o State,ExitCode,NodeList -j ID`: the first line with a
 * state ("CANCELLED by 0" is CANCELLED). Returns 0 when one was found. */
int slurm_parse_sacct(const char *text, size_t len, struct slurm_job_info *info);

/* A duration as Slurm's --time takes it ("M", "H:MM:SS" or "D-HH:MM:SS"),
 * whole minutes rounded up, into buf. */
void slurm_format_minutes(double seconds, char *buf, size_t size);

/* Splits exec.slurm_extra into words: blanks separate, 'single' and
 * "double" quotes group, no other shell syntax. Returns a NULL-terminated
 * malloc'd vector (free with slurm_words_free), or NULL with err set for
 * an unterminated quote. */
char **slurm_split_words(const char *text, struct err *err);
void slurm_words_free(char **words);

/* ---- slurm_json.c ---- */

/* Writes the request for the node side: the script, the task (folder,
 * data folder), the interpreter, limits, extra environment, and where the
 * verdict goes. */
int slurm_request_write(const char *path, const struct exec_request *req, const char *result_path,
                        struct err *err);

/* What the node side reads back (owned strings; slurm_request_free). */
struct slurm_request {
    char *script;
    char *attempt_dir;
    char *task_root;       /* NULL: the task had no folder */
    char *task_data_dir;   /* NULL: no task */
    char *python;          /* NULL: discover */
    char *result_path;
    struct exec_limits limits;
    char **extra_env;      /* NULL-terminated; may be NULL */
};

int slurm_request_parse(const char *text, size_t len, struct slurm_request *out, struct err *err);
void slurm_request_free(struct slurm_request *r);

/* The verdict: every field of struct exec_result. */
char *slurm_result_to_json(const struct exec_result *res);
/* Fills *res (owned: exec_result_free) from the JSON; -1 with err on
 * anything malformed or missing (status must be a known name). */
int slurm_result_parse(const char *text, size_t len, struct exec_result *res, struct err *err);

#endif
