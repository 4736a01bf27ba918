/* cmd_exec.c - `mlestar exec TASK SCRIPT.py`: runs one script in the sandbox
 * the pipeline uses, with the task's data as ./input, and prints the
 * verdict (human-readable, or every field of struct exec_result as JSON).
 *
 * The attempt folder is --keep DIR when given (kept afterwards), else a
 * temporary folder under $TMPDIR that is removed at the end. Exit code 0
 * when the script exited 0, 1 otherwise (2 for bad usage). With
 * exec.backend=slurm the script runs as one Slurm job.
 *
 * `mlestar __exec-job REQUEST.json` (not listed) is the node side of the
 * slurm backend: what each job runs (src/exec/slurm_job.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "exec/backend.h"
#include "exec/exec.h"
#include "task/task.h"
#include "util/fs.h"
#include "util/mem.h"
#include "util/termtext.h"

static void print_json(const struct exec_result *r, const char *attempt_dir)
{
    json_t *o = exec_result_json(r);
    json_object_set_new(o, "attempt_dir", attempt_dir ? json_string(attempt_dir) : json_null());
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

static void print_list(const char *title, char **items, size_t n)
{
    if (!n)
        return;
    printf("%-14s", title);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", " : "", stdout);
        term_put(stdout, items[i], true); /* file names the script chose */
    }
    printf("\n");
}

static void print_human(const struct exec_result *r, const char *attempt_dir)
{
    printf("status:       %s", exec_status_name(r->status));
    if (r->signal)
        printf(" (signal %d)", r->signal);
    else if (r->exit_code >= 0)
        printf(" (exit code %d)", r->exit_code);
    printf("\n");
    printf("time:         %.2f s wall, %.2f s CPU\n", r->wall_s, r->cpu_s);
    if (r->peak_rss_bytes > 0)
        printf("peak memory:  %.1f MiB%s\n", (double)r->peak_rss_bytes / (1024.0 * 1024),
               r->memory_cgroup ? " (memory cgroup)" : "");
    if (r->has_score)
        printf("score:        %.10g\n", r->score);
    else
        printf("score:        none\n");
    if (!r->has_submission)
        printf("submission:   none\n");
    else if (attempt_dir)
        printf("submission:   %s\n", r->submission_path);
    else
        printf("submission:   written (in a temporary folder; use --keep DIR to keep it)\n");
    printf("network:      %s\n", r->network_isolated ? "isolated" : "not isolated");
    if (r->confinement)
        printf("confinement:  %s\n", r->confinement);
    print_list("files read:", r->files_read, r->nfiles_read);
    print_list("reads denied:", r->files_blocked, r->nfiles_blocked);
    print_list("writes denied:", r->writes_blocked, r->nwrites_blocked);
    if (r->output_truncated)
        printf("output:       truncated at the output cap (exec.output_cap)\n");
    if (attempt_dir)
        printf("attempt:      %s\n", attempt_dir);
    if (r->stderr_tail && *r->stderr_tail && r->status != EXEC_OK) {
        const char *tail = r->stderr_tail;
        size_t len = strlen(tail);
        const char *from = len > 2000 ? tail + len - 2000 : tail;
        printf("--- end of stderr ---\n");
        term_put(stdout, from, false);
        fputs(tail[len - 1] == '\n' ? "" : "\n", stdout);
    }
}

static int run_script(struct cli_args *args, bool json, const char *keep)
{
    const char *task_dir = args->positional[0], *script_path = args->positional[1];
    struct err err = {{0}};
    struct task *task = NULL;
    char *script = NULL, *attempt = NULL;
    struct pyenv env = {0};
    struct exec_result res = {0};
    int rc = CLI_FAIL;
    struct task_opts topts = {.dir = task_dir};
    if (task_open(&topts, &task, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (fs_read_file(script_path, 64u << 20, &script, NULL, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (exec_backend_select(&args->cfg, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (exec_discover(args->cfg.exec.python, &env, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (keep) {
        attempt = xstrdup(keep);
    } else {
        const char *tmp = getenv("TMPDIR");
        attempt = xasprintf("%s/mlestar-exec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(attempt)) {
            cli_error("cannot create a temporary attempt folder %s", attempt);
            goto out;
        }
    }
    struct exec_request req = {
        .script = script, .attempt_dir = attempt, .task = task, .python = env.python,
        .limits = exec_limits_from_config(&args->cfg, 1),
    };
    if (exec_run(&req, &res, &err) < 0) {
        cli_error("%s", err.msg);
        goto out;
    }
    if (json)
        print_json(&res, keep ? attempt : NULL);
    else
        print_human(&res, keep ? attempt : NULL);
    rc = res.status == EXEC_OK ? CLI_OK : CLI_FAIL;
out:
    if (attempt && !keep)
        fs_rm_rf(attempt, NULL);
    exec_result_free(&res);
    pyenv_free(&env);
    free(attempt);
    free(script);
    task_free(task);
    return rc;
}

int cmd_exec(int argc, char **argv)
{
    bool json = false, no_network = false, network = false;
    const char *keep = NULL;
    const struct cli_opt opts[] = {
        {"timeout", 0, "S", "exec.timeout", NULL, NULL, "wall-clock limit (e.g. 90s, 20m)"},
        {"memory", 0, "SIZE", "exec.memory", NULL, NULL, "memory limit (e.g. 4G; 0 = all RAM)"},
        {"network", 0, NULL, NULL, &network, NULL, "let the script reach the network [exec.network]"},
        {"no-network", 0, NULL, NULL, &no_network, NULL, "deny the network (the default)"},
        {"json", 0, NULL, NULL, &json, NULL, "print every field of the verdict as JSON"},
        {"keep", 0, "DIR", NULL, NULL, &keep, "run in DIR and keep it (default: a temporary folder)"},
        {0},
    };
    const struct cli_spec spec = {
        "exec", "[options] TASK SCRIPT.py",
        "Runs SCRIPT.py in the sandbox the pipeline uses: the task's visible data\n"
        "as ./input (read-only), ./final/ for the submission, limits on time,\n"
        "memory, processes, file size and output, and no network unless allowed.\n"
        "Files are confined by the kernel, for the script and everything it starts\n"
        "(shells, python3 -S/-I, ctypes), as strongly as the machine allows:\n"
        "  as root: new mount+pid(+network) namespaces and a new root holding only\n"
        "    the Python installation and system folders (read-only), a minimal /etc\n"
        "    (no shadow) and /dev, the data read-only, the attempt folder read-write\n"
        "    and a private /tmp; the script runs as uid 65534 with no capabilities,\n"
        "    no_new_privs, a seccomp filter, and Landlock where the kernel has it;\n"
        "  not root, user namespaces allowed: the same, the uid mapped to 65534;\n"
        "  no namespaces but Landlock: reads of the same paths only, writes to the\n"
        "    attempt folder only (no private /tmp: writes there are refused);\n"
        "  neither: only the Python start-up hook, which a subprocess or ctypes can\n"
        "    bypass; the verdict's `confinement:` line says which layers held.\n"
        "Prints the verdict; exits 0 when the script exited 0, 1 otherwise.",
        opts, 2, 2,
    };
    struct cli_args args;
    if (cli_parse(&spec, argc, argv, &args) < 0) {
        cli_args_free(&args);
        return CLI_USAGE;
    }
    int rc = CLI_OK;
    if (!args.help_shown) {
        if (no_network && network) {
            cli_error("--network and --no-network contradict each other");
            rc = CLI_USAGE;
        } else {
            if (network || no_network)
                args.cfg.exec.network = network;
            rc = run_script(&args, json, keep);
        }
    }
    cli_args_free(&args);
    return rc;
}

int cmd_exec_job(int argc, char **argv)
{
    if (argc != 2) {
        cli_error("usage: mlestar __exec-job REQUEST.json (run by exec.backend=slurm inside a job)");
        return CLI_USAGE;
    }
    struct err err = {{0}};
    if (exec_slurm_job_main(argv[1], &err) < 0) {
        cli_error("%s", err.msg);
        return CLI_FAIL;
    }
    return CLI_OK;
}
