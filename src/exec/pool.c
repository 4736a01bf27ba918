/* pool.c - N slots running scripts concurrently.
 *
 * A fixed set of worker threads (one per slot) takes jobs from a FIFO queue
 * and runs each on the selected backend (backend.h: local or slurm; with
 * slurm a slot is a job in flight). A job owns a deep copy of its request, its
 * own cancel flag (passed to the runner beside the request's own), and,
 * once done, its result; exec_job_wait() hands the result over and frees
 * the job. Cancelling a queued job removes it from the queue and completes
 * it at once as EXEC_CANCELLED; cancelling a running one sets its flag and
 * the runner kills the script within ~50 ms.
 *
 * Locks, always taken in this order: jobs_mu (a process-wide lock guarding
 * the job->pool links, so a job handle stays usable after its pool is
 * freed), pool->mu (queue and slots), job->mu (done flag and result).
 *
 * Thread-safety: exec_pool_run, exec_pool_submit, exec_job_wait and
 * exec_job_cancel may be called from any thread. exec_pool_free must not
 * race with calls on the same pool; jobs submitted before it stay valid for
 * exec_job_wait. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/backend.h"
#include "exec/exec_internal.h"
#include "util/mem.h"

struct exec_job {
    struct exec_request req;       /* points into the copies below */
    char *script, *attempt_dir, *python;
    char **env;
    volatile int cancel;
    struct exec_pool *pool;        /* NULL once the pool is gone (jobs_mu) */
    struct exec_job *next;         /* queue link (pool->mu) */
    struct exec_job *all_prev, *all_next; /* the pool's list of unwaited jobs (jobs_mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool done;
    int rc;
    struct exec_result res;
    struct err err;
};

struct exec_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct exec_job *head, *tail;
    struct exec_job **running;     /* per slot */
    struct exec_job *all;          /* every unwaited job (jobs_mu) */
    pthread_t *threads;
    int slots;
    bool stopping;
};

struct worker_arg {
    struct exec_pool *pool;
    int slot;
};

static pthread_mutex_t jobs_mu = PTHREAD_MUTEX_INITIALIZER;

static void job_finish(struct exec_job *job, int rc, const struct exec_result *res,
                       const struct err *err)
{
    pthread_mutex_lock(&job->mu);
    job->rc = rc;
    job->res = *res;
    if (err)
        job->err = *err;
    job->done = true;
    pthread_cond_broadcast(&job->cv);
    pthread_mutex_unlock(&job->mu);
}

static void job_finish_cancelled(struct exec_job *job)
{
    struct exec_result res;
    memset(&res, 0, sizeof res);
    res.status = EXEC_CANCELLED;
    res.exit_code = -1;
    job_finish(job, 0, &res, NULL);
}

static void *worker_main(void *p)
{
    struct worker_arg *arg = p;
    struct exec_pool *pool = arg->pool;
    int slot = arg->slot;
    free(arg);
    for (;;) {
        pthread_mutex_lock(&pool->mu);
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->cv, &pool->mu);
        if (!pool->head) {
            pthread_mutex_unlock(&pool->mu);
            return NULL;
        }
        struct exec_job *job = pool->head;
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        job->next = NULL;
        pool->running[slot] = job;
        pthread_mutex_unlock(&pool->mu);

        if (job->cancel) {
            pthread_mutex_lock(&pool->mu);
            pool->running[slot] = NULL;
            pthread_mutex_unlock(&pool->mu);
            job_finish_cancelled(job);
            continue;
        }
        struct exec_result res;
        struct err err = {{0}};
        int rc = exec_backend_run(&job->req, &job->cancel, &res, &err);
        pthread_mutex_lock(&pool->mu);
        pool->running[slot] = NULL;
        pthread_mutex_unlock(&pool->mu);
        job_finish(job, rc, &res, &err);
    }
}

struct exec_pool *exec_pool_new(int slots)
{
    if (slots < 1) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        slots = cores > 0 ? (int)cores : 1;
    }
    struct exec_pool *pool = xcalloc(1, sizeof *pool);
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->cv, NULL);
    pool->running = xcalloc((size_t)slots, sizeof *pool->running);
    pool->threads = xcalloc((size_t)slots, sizeof *pool->threads);
    for (int i = 0; i < slots; i++) {
        struct worker_arg *arg = xmalloc(sizeof *arg);
        arg->pool = pool;
        arg->slot = i;
        if (pthread_create(&pool->threads[i], NULL, worker_main, arg) != 0) {
            free(arg);
            break;
        }
        pool->slots++;
    }
    return pool;
}

static char **copy_env(const char *const *env)
{
    if (!env)
        return NULL;
    size_t n = 0;
    while (env[n])
        n++;
    char **copy = xcalloc(n + 1, sizeof *copy);
    for (size_t i = 0; i < n; i++)
        copy[i] = xstrdup(env[i]);
    return copy;
}

struct exec_job *exec_pool_submit(struct exec_pool *pool, const struct exec_request *req)
{
    struct exec_job *job = xcalloc(1, sizeof *job);
    pthread_mutex_init(&job->mu, NULL);
    pthread_cond_init(&job->cv, NULL);
    job->req = *req;
    job->script = xstrdup(req->script ? req->script : "");
    job->attempt_dir = xstrdup(req->attempt_dir ? req->attempt_dir : "");
    job->python = req->python ? xstrdup(req->python) : NULL;
    job->env = copy_env(req->extra_env);
    job->req.script = job->script;
    job->req.attempt_dir = job->attempt_dir;
    job->req.python = job->python;
    job->req.extra_env = (const char *const *)job->env;
    job->pool = pool;

    pthread_mutex_lock(&jobs_mu);
    job->all_next = pool->all;
    if (pool->all)
        pool->all->all_prev = job;
    pool->all = job;
    pthread_mutex_lock(&pool->mu);
    if (pool->stopping || pool->slots == 0) {
        pthread_mutex_unlock(&pool->mu);
        pthread_mutex_unlock(&jobs_mu);
        job_finish_cancelled(job);
        return job;
    }
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    pthread_cond_signal(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    pthread_mutex_unlock(&jobs_mu);
    return job;
}

/* Removes job from the queue; true when it was there. Needs pool->mu. */
static bool dequeue(struct exec_pool *pool, struct exec_job *job)
{
    struct exec_job *prev = NULL;
    for (struct exec_job *j = pool->head; j; prev = j, j = j->next) {
        if (j != job)
            continue;
        if (prev)
            prev->next = j->next;
        else
            pool->head = j->next;
        if (pool->tail == j)
            pool->tail = prev;
        j->next = NULL;
        return true;
    }
    return false;
}

void exec_job_cancel(struct exec_job *job)
{
    if (!job)
        return;
    job->cancel = 1;
    pthread_mutex_lock(&jobs_mu);
    struct exec_pool *pool = job->pool;
    bool was_queued = false;
    if (pool) {
        pthread_mutex_lock(&pool->mu);
        was_queued = dequeue(pool, job);
        pthread_mutex_unlock(&pool->mu);
    }
    pthread_mutex_unlock(&jobs_mu);
    if (was_queued)
        job_finish_cancelled(job);
}

static void job_free(struct exec_job *job)
{
    free(job->script);
    free(job->attempt_dir);
    free(job->python);
    for (size_t i = 0; job->env && job->env[i]; i++)
        free(job->env[i]);
    free(job->env);
    pthread_mutex_destroy(&job->mu);
    pthread_cond_destroy(&job->cv);
    free(job);
}

int exec_job_wait(struct exec_job *job, struct exec_result *res, struct err *err)
{
    pthread_mutex_lock(&job->mu);
    while (!job->done)
        pthread_cond_wait(&job->cv, &job->mu);
    pthread_mutex_unlock(&job->mu);
    pthread_mutex_lock(&jobs_mu);
    if (job->pool) {
        struct exec_pool *pool = job->pool;
        if (job->all_prev)
            job->all_prev->all_next = job->all_next;
        else
            pool->all = job->all_next;
        if (job->all_next)
            job->all_next->all_prev = job->all_prev;
    }
    pthread_mutex_unlock(&jobs_mu);
    int rc = job->rc;
    *res = job->res;
    if (rc < 0 && err)
        *err = job->err;
    job_free(job);
    return rc;
}

int exec_pool_run(struct exec_pool *pool, const struct exec_request *req, struct exec_result *res,
                  struct err *err)
{
    return exec_job_wait(exec_pool_submit(pool, req), res, err);
}

void exec_pool_free(struct exec_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->mu);
    pool->stopping = true;
    struct exec_job *queued = pool->head;
    pool->head = pool->tail = NULL;
    for (int i = 0; i < pool->slots; i++)
        if (pool->running[i])
            pool->running[i]->cancel = 1;
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
    while (queued) {
        struct exec_job *next = queued->next;
        queued->next = NULL;
        job_finish_cancelled(queued);
        queued = next;
    }
    for (int i = 0; i < pool->slots; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_lock(&jobs_mu);
    for (struct exec_job *j = pool->all; j; j = j->all_next) {
        j->pool = NULL;
        j->all_prev = NULL;
    }
    pthread_mutex_unlock(&jobs_mu);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->cv);
    free(pool->running);
    free(pool->threads);
    free(pool);
}
