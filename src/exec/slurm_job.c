/* slurm_job.c - the compute-node side of the slurm backend: what
 * `mlestar __exec-job REQUEST.json` does inside the job.
 *
 * It writes ATTEMPT/.slurm/job.json ({"job_id", "node", "pid"}) so the
 * login node knows the job started and where, reopens the task from its
 * folder (the same filters apply: private/ and answer-like files never
 * reach input/), runs the request with the local backend (the sandbox of
 * run.c: limits, no network, read-only data, the file audit), and writes
 * the verdict to the request's result path (write-then-rename: the login
 * node never sees half a file). SIGTERM and SIGINT (scancel, the job's time
 * limit, srun forwarding a signal) set the run's cancel flag, so the script
 * is killed by the sandbox and the verdict says "cancelled". */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/backend.h"
#include "exec/exec_internal.h"
#include "exec/slurm.h"
#include "util/fs.h"
#include "util/mem.h"

static volatile int job_cancel;

static void on_term(int sig)
{
    (void)sig;
    job_cancel = 1;
}

static void write_job_info(const char *attempt_dir)
{
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    const char *id = getenv("SLURM_JOB_ID");
    char *dir = fs_join(attempt_dir, ".slurm");
    char *path = fs_join(dir, "job.json");
    char *text = xasprintf("{\"job_id\":%ld,\"node\":\"%s\",\"pid\":%ld}\n", id ? atol(id) : 0L,
                           host, (long)getpid());
    struct err err = {{0}};
    if (fs_write_atomic(path, text, strlen(text), &err) < 0)
        fprintf(stderr, "mlestar __exec-job: %s\n", err.msg);
    free(text);
    free(path);
    free(dir);
}

static int open_task(const struct slurm_request *rq, struct task **task, struct err *err)
{
    *task = NULL;
    if (!rq->task_data_dir)
        return 0;
    struct task_opts o = {.dir = rq->task_root, .data_dir = rq->task_data_dir};
    if (!rq->task_root)
        o.goal = "(run as a Slurm job)";
    if (task_open(&o, task, err) < 0)
        return err_prefix(err, "on node: opening the task %s",
                          rq->task_root ? rq->task_root : rq->task_data_dir);
    return 0;
}

int exec_slurm_job_main(const char *request_path, struct err *err)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    char *text = NULL;
    size_t len = 0;
    if (fs_read_file(request_path, 256u << 20, &text, &len, err) < 0)
        return -1;
    struct slurm_request rq;
    int rc = slurm_request_parse(text, len, &rq, err);
    free(text);
    if (rc < 0)
        return err_prefix(err, "%s", request_path);
    write_job_info(rq.attempt_dir);
    struct task *task = NULL;
    struct exec_result res;
    memset(&res, 0, sizeof res);
    rc = open_task(&rq, &task, err);
    if (rc == 0) {
        struct exec_request req = {
            .script = rq.script, .attempt_dir = rq.attempt_dir, .task = task, .python = rq.python,
            .limits = rq.limits, .extra_env = (const char *const *)rq.extra_env, .cancel = &job_cancel,
        };
        rc = exec_run_with_cancel(&req, NULL, &res, err);
    }
    if (rc == 0) {
        char *json = slurm_result_to_json(&res);
        rc = json ? fs_write_atomic(rq.result_path, json, strlen(json), err)
                  : err_set(err, "cannot encode the verdict");
        free(json);
    }
    if (rc < 0) {
        /* a set-up failure, not the script's: the login node reports it as one */
        char *dir = fs_join(rq.attempt_dir, ".slurm");
        char *path = fs_join(dir, "error.txt");
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        char *msg = xasprintf("on node %s: %s\n", host, err->msg);
        fs_write_atomic(path, msg, strlen(msg), NULL);
        free(msg);
        free(path);
        free(dir);
    }
    exec_result_free(&res);
    task_free(task);
    slurm_request_free(&rq);
    return rc;
}
