/* result_json.c - struct exec_result as one JSON object.
 *
 * One field list for every place a verdict leaves the process: `mlestar
 * exec --json` prints it, and the slurm backend's node side writes it for
 * the login side to read back (slurm_json.c parses it). A field added to
 * struct exec_result is added here once. Absent strings are null; the
 * script's output tails may hold any bytes: a tail that is not UTF-8 is
 * left out by jansson, and readers take a missing key as "none". */
#include "exec/exec.h"

static json_t *nullable(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *string_array(char **items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(items[i] ? items[i] : ""));
    return a;
}

json_t *exec_result_json(const struct exec_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "status", json_string(exec_status_name(r->status)));
    json_object_set_new(o, "exit_code", json_integer(r->exit_code));
    json_object_set_new(o, "signal", json_integer(r->signal));
    json_object_set_new(o, "timed_out", json_boolean(r->timed_out));
    json_object_set_new(o, "oom_killed", json_boolean(r->oom_killed));
    json_object_set_new(o, "output_truncated", json_boolean(r->output_truncated));
    json_object_set_new(o, "wall_s", json_real(r->wall_s));
    json_object_set_new(o, "cpu_s", json_real(r->cpu_s));
    json_object_set_new(o, "peak_rss_bytes", json_integer(r->peak_rss_bytes));
    json_object_set_new(o, "stdout_path", nullable(r->stdout_path));
    json_object_set_new(o, "stderr_path", nullable(r->stderr_path));
    json_object_set_new(o, "stdout_tail", nullable(r->stdout_tail));
    json_object_set_new(o, "stderr_tail", nullable(r->stderr_tail));
    json_object_set_new(o, "has_score", json_boolean(r->has_score));
    json_object_set_new(o, "score", r->has_score ? json_real(r->score) : json_null());
    json_object_set_new(o, "has_submission", json_boolean(r->has_submission));
    json_object_set_new(o, "submission_path", nullable(r->submission_path));
    json_object_set_new(o, "files_read", string_array(r->files_read, r->nfiles_read));
    json_object_set_new(o, "files_blocked", string_array(r->files_blocked, r->nfiles_blocked));
    json_object_set_new(o, "writes_blocked", string_array(r->writes_blocked, r->nwrites_blocked));
    json_object_set_new(o, "network_isolated", json_boolean(r->network_isolated));
    json_object_set_new(o, "memory_cgroup", json_boolean(r->memory_cgroup));
    json_object_set_new(o, "fs_confined", json_boolean(r->fs_confined));
    json_object_set_new(o, "confinement", nullable(r->confinement));
    return o;
}
