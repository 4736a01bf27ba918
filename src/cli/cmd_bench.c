/* cmd_bench.c - `mlestar bench TASK...`: the agent on every task and seed,
 * each final submission graded, and the results tables.
 *
 * The bench folder BENCH (--out) holds
 *   settings.ini            the resolved settings every new run is started with
 *   bench.json              the tasks and seeds, for --resume
 *   bench.lock              held by the bench running in the folder (flock)
 *   <task>/seed<k>/         one run folder per task and seed: run.db,
 *                           final/, agent.log, result.json
 *   results.md .csv .json   the tables, rewritten after every run ends
 * The process pool, the resume rules and signal handling are in
 * bench_runner.h; the rows, aggregates and tables in grade/bench.h.
 *
 * With --slurm the runs are one Slurm array job instead (bench_slurm.c).
 *
 * Exit status: 0 when every run ended and was graded (invalid runs
 * included: a failed task is a result, not a bench failure), 1 when
 * interrupted or when the tables cannot be written, 2 for bad usage. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli/bench_runner.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"
#include "util/timeutil.h"

#define MAX_SEEDS 1000
#define MAX_JOBS 64

struct bench_task {
    char *name;   /* folder name */
    char *dir;    /* absolute folder */
};

struct bench {
    char *dir;                  /* BENCH, absolute */
    char *settings_ini;         /* BENCH/settings.ini */
    struct config cfg;          /* settings of new runs */
    struct bench_task *tasks;
    size_t ntasks;
    long nseeds;
    int jobs;
    json_t *settings;           /* for results.json */
    char *settings_line;        /* for results.md */
    struct bench_job *queue;    /* ntasks * nseeds */
    size_t njobs;
    int lock_fd;                /* BENCH/bench.lock, held while running; -1 none */
};

static void bench_free(struct bench *b)
{
    for (size_t i = 0; i < b->ntasks; i++) {
        free(b->tasks[i].name);
        free(b->tasks[i].dir);
    }
    free(b->tasks);
    for (size_t i = 0; i < b->njobs; i++)
        bench_job_free(&b->queue[i]);
    free(b->queue);
    json_decref(b->settings);
    free(b->settings_line);
    free(b->settings_ini);
    free(b->dir);
    config_free(&b->cfg);
    if (b->lock_fd >= 0)
        close(b->lock_fd);
}

static int parse_count(const char *text, const char *what, long max, long *out)
{
    char *end = NULL;
    long v = text ? strtol(text, &end, 10) : 0;
    if (!text || end == text || *end || v < 1 || v > max) {
        cli_error("bench: %s must be a whole number from 1 to %ld, got '%s'", what, max, text ? text : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* ---- tasks ---------------------------------------------------------------- */

static int add_task(struct bench *b, const char *path)
{
    char *dir = fs_is_dir(path) ? fs_realpath(path) : NULL;
    if (!dir) {
        cli_error("bench: task folder %s does not exist or is not a folder", path);
        return -1;
    }
    const char *name = fs_basename(dir);
    for (size_t i = 0; i < b->ntasks; i++) {
        if (!strcmp(b->tasks[i].name, name)) {
            cli_error("bench: two tasks are named %s (%s and %s); their run folders would collide", name,
                      b->tasks[i].dir, dir);
            free(dir);
            return -1;
        }
    }
    b->tasks = xrealloc(b->tasks, (b->ntasks + 1) * sizeof *b->tasks);
    b->tasks[b->ntasks].name = xstrdup(name);
    b->tasks[b->ntasks].dir = dir;
    b->ntasks++;
    return 0;
}

/* Reads BENCH/bench.json: the tasks (unless given) and the seed count
 * (unless given). */
static int load_recorded(struct bench *b, bool tasks_given, bool seeds_given)
{
    char *path = fs_join(b->dir, "bench.json");
    json_error_t jerr;
    json_t *rec = json_load_file(path, 0, &jerr);
    int rc = 0;
    if (!rec) {
        cli_error("bench: --resume needs %s, written when the bench started: %s", path, jerr.text);
        rc = -1;
    }
    json_t *tasks = json_object_get(rec, "tasks");
    if (rc == 0 && !tasks_given) {
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t) {
            if (add_task(b, json_str(t, "dir", "")) < 0) {
                rc = -1;
                break;
            }
        }
        if (rc == 0 && b->ntasks == 0) {
            cli_error("bench: %s lists no tasks", path);
            rc = -1;
        }
    }
    if (rc == 0 && !seeds_given) {
        b->nseeds = (long)json_int(rec, "seeds", 0);
        if (b->nseeds < 1 || b->nseeds > MAX_SEEDS) {
            cli_error("bench: %s: \"seeds\" must be from 1 to %d", path, MAX_SEEDS);
            rc = -1;
        }
    }
    json_decref(rec);
    free(path);
    return rc;
}

static int save_recorded(const struct bench *b, struct err *err)
{
    json_t *tasks = json_array();
    for (size_t i = 0; i < b->ntasks; i++)
        json_array_append_new(tasks, json_pack("{s:s,s:s}", "name", b->tasks[i].name, "dir", b->tasks[i].dir));
    json_t *rec = json_pack("{s:o,s:I,s:I}", "tasks", tasks, "seeds", (json_int_t)b->nseeds, "base_seed",
                            (json_int_t)b->cfg.run.seed);
    char *text = json_dumps(rec, JSON_INDENT(2));
    char *path = fs_join(b->dir, "bench.json");
    int rc = fs_write_atomic(path, text, strlen(text), err);
    free(path);
    free(text);
    json_decref(rec);
    return rc;
}

/* ---- settings --------------------------------------------------------------- */

static char *config_text(const struct config *cfg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        abort();
    config_dump(cfg, f);
    fclose(f);
    return text;
}

/* Writes BENCH/settings.ini from the bench's settings, warning when they
 * differ from the ones recorded before. */
static int save_settings(struct bench *b, struct err *err)
{
    char *text = config_text(&b->cfg);
    char *old = NULL;
    if (fs_exists(b->settings_ini) && fs_read_file(b->settings_ini, 0, &old, NULL, NULL) == 0 && strcmp(old, text))
        log_warn("bench: the settings differ from those %s was started with; runs already done keep theirs, "
                 "new runs use the new ones (--resume reuses the recorded ones)",
                 b->dir);
    free(old);
    int rc = fs_write_atomic(b->settings_ini, text, strlen(text), err);
    free(text);
    return rc;
}

/* Loads BENCH/settings.ini as the settings of new runs (--resume). */
static int load_settings(struct bench *b, struct err *err)
{
    config_free(&b->cfg);
    config_defaults(&b->cfg);
    return config_load_file(&b->cfg, b->settings_ini, err);
}

static void describe_settings(struct bench *b)
{
    const struct config *c = &b->cfg;
    char limit[32] = "none";
    if (c->run.time_limit > 0)
        format_duration(c->run.time_limit, limit, sizeof limit);
    char stamp[32];
    time_iso8601(time_wall(), stamp, sizeof stamp);
    b->settings_line = xasprintf("Provider %s%s%s, time limit %s per run, seeds %ld..%ld, pipeline M=%ld T=%ld K=%ld "
                                 "L=%ld R=%ld, %d run%s at once (this invocation started %s).",
                                 c->llm.provider, *c->llm.model ? ", model " : "", c->llm.model, limit, c->run.seed,
                                 c->run.seed + b->nseeds - 1, c->pipeline.models, c->pipeline.outer_steps,
                                 c->pipeline.inner_steps, c->pipeline.lanes, c->pipeline.ensemble_rounds, b->jobs,
                                 b->jobs == 1 ? "" : "s", stamp);
    json_t *tasks = json_array();
    for (size_t i = 0; i < b->ntasks; i++)
        json_array_append_new(tasks, json_string(b->tasks[i].dir));
    b->settings = json_pack("{s:s,s:s,s:s,s:f,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I,s:I,s:I},s:o}", "bench_dir", b->dir,
                            "provider", c->llm.provider, "model", c->llm.model, "time_limit_s", c->run.time_limit,
                            "base_seed", (json_int_t)c->run.seed, "seeds", (json_int_t)b->nseeds, "jobs",
                            (json_int_t)b->jobs, "pipeline", "models", (json_int_t)c->pipeline.models, "outer_steps",
                            (json_int_t)c->pipeline.outer_steps, "inner_steps", (json_int_t)c->pipeline.inner_steps,
                            "lanes", (json_int_t)c->pipeline.lanes, "ensemble_rounds",
                            (json_int_t)c->pipeline.ensemble_rounds, "subsample_rows",
                            (json_int_t)c->pipeline.subsample_rows, "tasks", tasks);
}

/* ---- running ------------------------------------------------------------------ */

static void plan_jobs(struct bench *b)
{
    b->njobs = b->ntasks * (size_t)b->nseeds;
    b->queue = xcalloc(b->njobs, sizeof *b->queue);
    size_t counts[4] = {0};
    for (size_t t = 0, k = 0; t < b->ntasks; t++) {
        for (long s = 0; s < b->nseeds; s++, k++) {
            bench_job_init(&b->queue[k], b->tasks[t].name, b->tasks[t].dir, b->cfg.run.seed + s, b->dir);
            bench_job_plan(&b->queue[k]);
            counts[b->queue[k].action]++;
        }
    }
    log_info("bench: %zu runs in %s: %zu to start, %zu to resume, %zu to grade, %zu graded before", b->njobs, b->dir,
             counts[BENCH_RUN], counts[BENCH_RESUME], counts[BENCH_GRADE], counts[BENCH_SKIP]);
}

/* Writes the three tables; *markdown_out (may be NULL) gets results.md. */
static int write_tables(struct bench *b, char **markdown_out)
{
    struct bench_row *rows = xcalloc(b->njobs ? b->njobs : 1, sizeof *rows);
    for (size_t i = 0; i < b->njobs; i++)
        rows[i] = b->queue[i].row; /* shallow: still owned by the jobs */
    struct err err = {{0}};
    int rc = bench_write_results(b->dir, rows, b->njobs, b->settings, b->settings_line, markdown_out, &err);
    if (rc < 0)
        cli_error("bench: cannot write the results: %s", err.msg);
    free(rows);
    return rc;
}

static void on_job_end(void *ctx, const struct bench_job *job)
{
    (void)job;
    write_tables(ctx, NULL);
}

static int run_bench(struct bench *b, bool slurm)
{
    char self[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len < 0) {
        cli_error("bench: cannot find the mlestar binary (/proc/self/exe)");
        return CLI_FAIL;
    }
    self[len] = '\0';
    plan_jobs(b);
    write_tables(b, NULL);
    struct bench_runner_opts opts = {.self_exe = self, .settings_ini = b->settings_ini, .jobs = b->jobs,
                                     .time_limit = b->cfg.run.time_limit, .on_job_end = on_job_end, .ctx = b};
    int interrupted;
    if (slurm) {
        opts.bench_dir = b->dir;
        opts.self_path = self;
        opts.child_env = bench_child_environment();
        opts.slurm_partition = b->cfg.exec.slurm_partition;
        opts.slurm_account = b->cfg.exec.slurm_account;
        opts.slurm_extra = b->cfg.exec.slurm_extra;
        interrupted = bench_run_jobs_slurm(b->queue, b->njobs, &opts);
        free(opts.child_env);
    } else {
        interrupted = bench_run_jobs(b->queue, b->njobs, &opts);
    }
    char *md = NULL;
    int rc = write_tables(b, &md);
    if (md)
        fputs(md, stdout);
    free(md);
    if (interrupted)
        cli_error("bench: interrupted; what is done is in %s/results.md, and `mlestar bench --resume --out %s` "
                  "continues",
                  b->dir, b->dir);
    return rc < 0 || interrupted ? CLI_FAIL : CLI_OK;
}

/* ---- the command -------------------------------------------------------------- */

static char *default_out(void)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    return xasprintf("runs/bench-%s", stamp);
}

/* Holds BENCH/bench.lock for the bench's life: a second bench on the same
 * folder would resume runs the first one is running. */
static int lock_bench_dir(struct bench *b)
{
    char *path = fs_join(b->dir, "bench.lock");
    b->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = CLI_OK;
    if (b->lock_fd < 0) {
        cli_error("bench: cannot create %s: %s", path, strerror(errno));
        rc = CLI_FAIL;
    } else if (flock(b->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        cli_error("bench: another mlestar bench is running in %s (%s is locked)", b->dir, path);
        rc = CLI_FAIL;
    }
    free(path);
    return rc;
}

/* Creates BENCH (it must exist for --resume); sets b->dir and locks it. */
static int open_bench_dir(struct bench *b, const char *out, bool resume)
{
    char *dir = out ? xstrdup(out) : default_out();
    struct err err = {{0}};
    int rc = CLI_OK;
    if (resume && !fs_is_dir(dir)) {
        cli_error("bench: --resume: %s is not a bench folder", dir);
        rc = CLI_USAGE;
    } else if (fs_mkdir_p(dir, 0755, &err) < 0) {
        cli_error("bench: %s", err.msg);
        rc = CLI_FAIL;
    } else {
        b->dir = fs_realpath(dir);
        b->settings_ini = fs_join(b->dir, "settings.ini");
        rc = lock_bench_dir(b);
    }
    free(dir);
    return rc;
}

/* Sets up BENCH: its folder, tasks, seeds and settings. */
static int prepare(struct bench *b, struct cli_args *args, const char *out, const char *seeds, const char *jobs,
                   bool resume)
{
    long njobs = 1;
    if ((seeds && parse_count(seeds, "--seeds", MAX_SEEDS, &b->nseeds) < 0) ||
        (jobs && parse_count(jobs, "--jobs", MAX_JOBS, &njobs) < 0))
        return CLI_USAGE;
    b->jobs = (int)njobs;
    if (resume && !out) {
        cli_error("bench: --resume needs --out BENCH, the folder of the bench to continue");
        return CLI_USAGE;
    }
    if (!resume && args->npositional == 0) {
        cli_error("bench: give one or more TASK folders (or --resume --out BENCH)");
        return CLI_USAGE;
    }
    for (int i = 0; i < args->npositional; i++)
        if (add_task(b, args->positional[i]) < 0)
            return CLI_USAGE;
    int rc = open_bench_dir(b, out, resume);
    if (rc != CLI_OK)
        return rc;
    if (resume && load_recorded(b, args->npositional > 0, seeds != NULL) < 0)
        return CLI_USAGE;
    config_copy(&b->cfg, &args->cfg);
    struct err err = {{0}};
    rc = resume ? load_settings(b, &err) : save_settings(b, &err);
    if (rc == 0)
        rc = save_recorded(b, &err);
    if (rc < 0) {
        cli_error("bench: %s", err.msg);
        return CLI_FAIL;
    }
    describe_settings(b);
    return CLI_OK;
}

int cmd_bench(int argc, char **argv)
{
    const char *out = NULL, *seeds = NULL, *jobs = NULL;
    bool resume = false, slurm = false;
    const struct cli_opt opts[] = {
        {"seeds", 'n', "N", NULL, NULL, &seeds, "runs per task, with seeds SEED..SEED+N-1 (default 1)"},
        {"seed", 0, "SEED", "run.seed", NULL, NULL, "first seed"},
        {"time-limit", 't', "DURATION", "run.time_limit", NULL, NULL, "budget of each run, e.g. 30m, 24h"},
        {"provider", 'p', "NAME", "llm.provider", NULL, NULL, "builtin (offline), openai, gemini, anthropic or replay"},
        {"backend", 0, "NAME", "llm.provider", NULL, NULL, "the same as --provider"},
        {"model", 'm', "MODEL", "llm.model", NULL, NULL, "model name"},
        {"jobs", 'j', "J", NULL, NULL, &jobs, "agent runs at once (default 1: each run already uses every core)"},
        {"out", 'o', "DIR", NULL, NULL, &out, "bench folder (default runs/bench-<time>); again to continue it"},
        {"slurm", 0, NULL, NULL, &slurm, NULL, "run each task x seed as one task of a Slurm array job (exec.slurm_* apply; --jobs = tasks at once)"},
        {"resume", 0, NULL, NULL, &resume, NULL, "continue the bench in --out with its recorded tasks, seeds and settings (setting flags are ignored)"},
        {"models", 'M', "N", "pipeline.models", NULL, NULL, "models retrieved per lane"},
        {"outer-steps", 'T', "N", "pipeline.outer_steps", NULL, NULL, "ablation/refinement steps"},
        {"inner-steps", 'K', "N", "pipeline.inner_steps", NULL, NULL, "plans per refined block"},
        {"lanes", 'L', "N", "pipeline.lanes", NULL, NULL, "parallel solution lanes"},
        {"ensemble-rounds", 'R', "N", "pipeline.ensemble_rounds", NULL, NULL, "ensemble plans tried"},
        {"subsample", 0, "ROWS", "pipeline.subsample_rows", NULL, NULL, "training rows while searching (0 = all)"},
        {0},
    };
    const struct cli_spec spec = {
        "bench", "TASK... [--seeds N] [--time-limit T] [--provider P] [--jobs J] [--out BENCH]",
        "Runs the agent on each TASK (MLE-bench layout: the agent sees description.md and public/\n"
        "only) once per seed, each run a child `mlestar run` in BENCH/<task>/seed<k>/ with its output\n"
        "in agent.log; grades each final submission against the task's private answers; and writes\n"
        "BENCH/results.md, results.csv and results.json: per run the status, validity, score, medal,\n"
        "above-median, time, tokens and cost, and the MLE-bench aggregates (any medal, gold, above\n"
        "median, valid submission) as percentages of the n task-seed runs with their standard error\n"
        "sqrt(p(1-p)/n). A run that fails in any way counts as invalid.\n"
        "\n"
        "--jobs runs several agents at once; the default is 1 because each run already keeps every\n"
        "core busy with its own scripts. Ctrl-C stops the agents (their journals say interrupted)\n"
        "and writes the tables. Running the same bench again (same --out, or --resume --out BENCH)\n"
        "skips runs with a result.json, continues interrupted runs with `mlestar resume`, grades runs\n"
        "that ended, and starts the rest; delete a run's result.json to grade it again. A run still\n"
        "going max(10m, 25%) past its time limit is stopped. More in docs/bench.md.\n"
        "\n"
        "--slurm submits the runs as one Slurm array job (sbatch; each task gets a whole node,\n"
        "--exclusive, and exec.slurm_partition / slurm_account / slurm_extra) and gathers the\n"
        "results into the same tables; BENCH must be on a filesystem the nodes share.\n"
        "Exit status: 0 when every run was graded, 1 when interrupted, 2 for bad usage.",
        opts, 0, -1,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        struct bench b = {.nseeds = 1, .lock_fd = -1};
        rc = prepare(&b, &args, out, seeds, jobs, resume);
        if (rc == CLI_OK)
            rc = run_bench(&b, slurm);
        bench_free(&b);
    }
    cli_args_free(&args);
    return rc;
}
