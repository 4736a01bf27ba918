/* exec_bench.c - the cost of the sandbox: one exec_run() of `pass` against
 * a bare `python3 -c pass`, and the throughput of the pool on many short
 * scripts. Built and run by bench/exec_bench.sh. Usage:
 *   exec_bench [PYTHON] [RUNS] [POOL_JOBS] [SLOTS] */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

extern char **environ;

static double bare_run(const char *python, double *cpu)
{
    char *argv[] = {(char *)python, "-c", "pass", NULL};
    double t0 = time_mono();
    pid_t pid;
    if (posix_spawn(&pid, python, NULL, NULL, argv, environ) != 0)
        return -1;
    struct rusage ru;
    wait4(pid, NULL, 0, &ru);
    *cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
    return time_mono() - t0;
}

static struct exec_limits limits(void)
{
    struct exec_limits l = {0};
    l.timeout_s = 60;
    l.grace_s = 1;
    l.memory_bytes = 1LL << 30;
    l.max_procs = 64;
    l.max_file_bytes = 1LL << 30;
    l.output_cap_bytes = 1 << 20;
    l.threads = 1;
    return l;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (getenv("EXEC_BENCH_DEBUG"))
        log_set_level(LOG_DEBUG);
    const char *python = argc > 1 ? argv[1] : "/usr/bin/python3";
    int runs = argc > 2 ? atoi(argv[2]) : 30;
    int jobs = argc > 3 ? atoi(argv[3]) : 40;
    char tmpl[] = "/tmp/mlestar-bench-XXXXXX";
    char *root = mkdtemp(tmpl);
    double *bare = xcalloc((size_t)runs, sizeof *bare), *boxed = xcalloc((size_t)runs, sizeof *boxed);
    double *bare_cpu = xcalloc((size_t)runs, sizeof *bare), *boxed_cpu = xcalloc((size_t)runs, sizeof *bare);
    double scratch;
    struct err err = {{0}};
    bare_run(python, &scratch); /* warm the page cache */
    for (int i = 0; i < runs; i++) {
        bare[i] = bare_run(python, &bare_cpu[i]);
        char name[32];
        snprintf(name, sizeof name, "single%d", i); /* a fresh folder per run, as the pipeline does */
        char *attempt = fs_join(root, name);
        struct exec_request req = {.script = "pass\n", .attempt_dir = attempt, .python = python,
                                   .limits = limits()};
        struct exec_result res;
        double t0 = time_mono();
        if (exec_run(&req, &res, &err) < 0 || res.status != EXEC_OK) {
            fprintf(stderr, "exec_run failed: %s %s\n", err.msg, res.stderr_tail ? res.stderr_tail : "");
            return 1;
        }
        boxed[i] = time_mono() - t0;
        boxed_cpu[i] = res.cpu_s;
        exec_result_free(&res);
        free(attempt);
    }
    double mb = median(bare, runs), ms = median(boxed, runs);
    double minb = bare[0], mins = boxed[0]; /* sorted by median() */
    printf("bare python3 -c pass:      median %6.1f ms, min %6.1f ms (%d runs)\n", mb * 1e3,
           minb * 1e3, runs);
    printf("sandboxed exec_run(pass):  median %6.1f ms, min %6.1f ms\n", ms * 1e3, mins * 1e3);
    printf("overhead:                  median %6.1f ms, min %6.1f ms\n", (ms - mb) * 1e3,
           (mins - minb) * 1e3);
    double cb = median(bare_cpu, runs), cs = median(boxed_cpu, runs);
    printf("CPU time (child tree):     bare %.1f ms, sandboxed %.1f ms (median)\n", cb * 1e3, cs * 1e3);

    long cores = argc > 4 ? atol(argv[4]) : sysconf(_SC_NPROCESSORS_ONLN);
    struct exec_pool *pool = exec_pool_new((int)cores);
    struct exec_job **handles = xcalloc((size_t)jobs, sizeof *handles);
    char **attempts = xcalloc((size_t)jobs, sizeof *attempts);
    double t0 = time_mono();
    for (int i = 0; i < jobs; i++) {
        char name[32];
        snprintf(name, sizeof name, "job%d", i);
        attempts[i] = fs_join(root, name);
        struct exec_request req = {.script = "print('Final Validation Performance: 1')\n",
                                   .attempt_dir = attempts[i], .python = python, .limits = limits()};
        handles[i] = exec_pool_submit(pool, &req);
    }
    int ok = 0;
    for (int i = 0; i < jobs; i++) {
        struct exec_result res;
        if (exec_job_wait(handles[i], &res, &err) == 0 && res.status == EXEC_OK && res.has_score)
            ok++;
        exec_result_free(&res);
        free(attempts[i]);
    }
    double elapsed = time_mono() - t0;
    exec_pool_free(pool);
    printf("pool (%ld slots): %d/%d short scripts in %.2f s = %.1f scripts/s (bare sequential: %.1f/s)\n",
           cores, ok, jobs, elapsed, jobs / elapsed, 1.0 / mb);
    fs_rm_rf(root, NULL);
    free(handles);
    free(attempts);
    free(bare);
    free(boxed);
    free(bare_cpu);
    free(boxed_cpu);
    return ok == jobs ? 0 : 1;
}
