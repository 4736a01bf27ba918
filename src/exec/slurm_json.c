/* slurm_json.c - the files that carry a request to a compute node and its
 * verdict back (see slurm.h).
 *
 * ATTEMPT/.slurm/request.json (written on the login node, read by the job):
 *   {"version":1, "script":"...", "attempt_dir":"/abs", "python":"/usr/bin/python3"|null,
 *    "task":{"root":"/abs"|null, "data_dir":"/abs"}|null, "result":"/abs/result.json",
 *    "limits":{timeout_s, grace_s, memory_bytes, max_procs, max_file_bytes,
 *              output_cap_bytes, network, threads},
 *    "extra_env":["K=V", ...]}
 * ATTEMPT/.slurm/result.json (written by the job, read on the login node):
 *   every field of struct exec_result, with the names `mlestar exec --json`
 *   prints, and "version":1.
 *
 * Both are read as outside input: a missing or mistyped field is an error
 * naming it (for the verdict) or takes its default (for optional request
 * fields); nothing is trusted to be NUL-free or bounded. */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "exec/slurm.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/mem.h"

#define SLURM_JSON_VERSION 1

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

int slurm_request_write(const char *path, const struct exec_request *req, const char *result_path,
                        struct err *err)
{
    const struct exec_limits *l = &req->limits;
    json_t *o = json_object();
    json_object_set_new(o, "version", json_integer(SLURM_JSON_VERSION));
    json_object_set_new(o, "script", json_string(req->script));
    json_object_set_new(o, "attempt_dir", json_string(req->attempt_dir));
    json_object_set_new(o, "python", nullable(req->python));
    json_object_set_new(o, "result", json_string(result_path));
    if (req->task && req->task->data_dir)
        json_object_set_new(o, "task", json_pack("{s:o,s:s}", "root", nullable(req->task->root),
                                                 "data_dir", req->task->data_dir));
    else
        json_object_set_new(o, "task", json_null());
    json_object_set_new(o, "limits",
                        json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:b,s:i}", "timeout_s", l->timeout_s,
                                  "grace_s", l->grace_s, "memory_bytes", (json_int_t)l->memory_bytes,
                                  "max_procs", (json_int_t)l->max_procs, "max_file_bytes",
                                  (json_int_t)l->max_file_bytes, "output_cap_bytes",
                                  (json_int_t)l->output_cap_bytes, "network", l->network, "threads",
                                  l->threads));
    json_t *env = json_array();
    for (const char *const *kv = req->extra_env; kv && *kv; kv++)
        json_array_append_new(env, json_string(*kv));
    json_object_set_new(o, "extra_env", env);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!text)
        return err_set(err, "slurm: cannot encode the request for %s (not valid UTF-8?)", path);
    int rc = fs_write_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

static char *dup_or_null(const json_t *o, const char *key)
{
    const char *s = json_str(o, key, NULL);
    return s ? xstrdup(s) : NULL;
}

static char **string_vector(const json_t *a, size_t *n_out)
{
    size_t n = json_is_array(a) ? json_array_size(a) : 0;
    char **v = xcalloc(n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            v[k++] = xstrdup(s);
    }
    if (n_out)
        *n_out = k;
    return v;
}

int slurm_request_parse(const char *text, size_t len, struct slurm_request *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *o = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return err_set(err, "slurm request: not a JSON object (%s)", jerr.text);
    }
    int rc = -1;
    if (json_int(o, "version", 0) != SLURM_JSON_VERSION) {
        err_set(err, "slurm request: version %lld, expected %d (login node and compute node run "
                     "different mlestar builds?)", json_int(o, "version", 0), SLURM_JSON_VERSION);
        goto out;
    }
    out->script = dup_or_null(o, "script");
    out->attempt_dir = dup_or_null(o, "attempt_dir");
    out->result_path = dup_or_null(o, "result");
    if (!out->script || !out->attempt_dir || !*out->attempt_dir || !out->result_path) {
        err_set(err, "slurm request: script, attempt_dir and result are required");
        goto out;
    }
    out->python = dup_or_null(o, "python");
    const json_t *task = json_object_get(o, "task");
    if (json_is_object(task)) {
        out->task_root = dup_or_null(task, "root");
        out->task_data_dir = dup_or_null(task, "data_dir");
    }
    const json_t *l = json_object_get(o, "limits");
    out->limits.timeout_s = json_num(l, "timeout_s", 0);
    out->limits.grace_s = json_num(l, "grace_s", 0);
    out->limits.memory_bytes = json_int(l, "memory_bytes", 0);
    out->limits.max_procs = (long)json_int(l, "max_procs", 0);
    out->limits.max_file_bytes = json_int(l, "max_file_bytes", 0);
    out->limits.output_cap_bytes = json_int(l, "output_cap_bytes", 0);
    out->limits.network = json_bool(l, "network", false);
    out->limits.threads = (int)json_int(l, "threads", 1);
    if (!isfinite(out->limits.timeout_s) || out->limits.timeout_s < 0)
        out->limits.timeout_s = 0;
    if (!isfinite(out->limits.grace_s) || out->limits.grace_s < 0)
        out->limits.grace_s = 0;
    out->extra_env = string_vector(json_object_get(o, "extra_env"), NULL);
    rc = 0;
out:
    json_decref(o);
    if (rc < 0)
        slurm_request_free(out);
    return rc;
}

void slurm_request_free(struct slurm_request *r)
{
    free(r->script);
    free(r->attempt_dir);
    free(r->task_root);
    free(r->task_data_dir);
    free(r->python);
    free(r->result_path);
    for (size_t i = 0; r->extra_env && r->extra_env[i]; i++)
        free(r->extra_env[i]);
    free(r->extra_env);
    memset(r, 0, sizeof *r);
}

char *slurm_result_to_json(const struct exec_result *r)
{
    json_t *o = exec_result_json(r);
    json_object_set_new(o, "version", json_integer(SLURM_JSON_VERSION));
    /* the tails are the script's output: any bytes; JSON needs UTF-8 */
    char *text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!text) {
        json_object_set_new(o, "stdout_tail", json_string("(output not valid UTF-8; see stdout.txt)"));
        json_object_set_new(o, "stderr_tail", json_string("(output not valid UTF-8; see stderr.txt)"));
        text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
    }
    json_decref(o);
    return text;
}

static bool status_from_name(const char *name, enum exec_status *out)
{
    for (int s = EXEC_OK; s <= EXEC_CANCELLED; s++)
        if (name && !strcmp(name, exec_status_name((enum exec_status)s))) {
            *out = (enum exec_status)s;
            return true;
        }
    return false;
}

int slurm_result_parse(const char *text, size_t len, struct exec_result *res, struct err *err)
{
    memset(res, 0, sizeof *res);
    json_error_t jerr;
    json_t *o = json_loadb(text, len, 0, &jerr);
    if (!json_is_object(o)) {
        json_decref(o);
        return err_set(err, "slurm verdict: not a JSON object (%s)", jerr.text);
    }
    int rc = -1;
    if (json_int(o, "version", 0) != SLURM_JSON_VERSION) {
        err_set(err, "slurm verdict: version %lld, expected %d", json_int(o, "version", 0),
                SLURM_JSON_VERSION);
        goto out;
    }
    if (!status_from_name(json_str(o, "status", NULL), &res->status)) {
        err_set(err, "slurm verdict: missing or unknown status");
        goto out;
    }
    res->exit_code = (int)json_int(o, "exit_code", -1);
    res->signal = (int)json_int(o, "signal", 0);
    res->timed_out = json_bool(o, "timed_out", false);
    res->oom_killed = json_bool(o, "oom_killed", false);
    res->output_truncated = json_bool(o, "output_truncated", false);
    res->wall_s = json_num(o, "wall_s", 0);
    res->cpu_s = json_num(o, "cpu_s", 0);
    res->peak_rss_bytes = json_int(o, "peak_rss_bytes", 0);
    res->stdout_path = dup_or_null(o, "stdout_path");
    res->stderr_path = dup_or_null(o, "stderr_path");
    res->stdout_tail = dup_or_null(o, "stdout_tail");
    res->stderr_tail = dup_or_null(o, "stderr_tail");
    res->has_score = json_bool(o, "has_score", false);
    res->score = json_num(o, "score", 0);
    if (res->has_score && !isfinite(res->score))
        res->has_score = false;
    if (!res->has_score)
        res->score = 0;
    res->submission_path = dup_or_null(o, "submission_path");
    res->has_submission = json_bool(o, "has_submission", false) && res->submission_path;
    res->files_read = string_vector(json_object_get(o, "files_read"), &res->nfiles_read);
    res->files_blocked = string_vector(json_object_get(o, "files_blocked"), &res->nfiles_blocked);
    res->writes_blocked = string_vector(json_object_get(o, "writes_blocked"), &res->nwrites_blocked);
    res->network_isolated = json_bool(o, "network_isolated", false);
    res->memory_cgroup = json_bool(o, "memory_cgroup", false);
    res->fs_confined = json_bool(o, "fs_confined", false);
    res->confinement = dup_or_null(o, "confinement");
    rc = 0;
out:
    json_decref(o);
    if (rc < 0)
        exec_result_free(res);
    return rc;
}
