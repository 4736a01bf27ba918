/* fallback.c - a valid submission from the first successful search script
 * on, kept current.
 *
 * Every scored search script also writes its test predictions to its
 * attempt folder's final/submission.csv (the prompts and the builtin kit
 * ask for it). fallback_offer() validates each such file against the
 * sample submission and, when its script scored best among the offers so
 * far, copies it to RUN/final/submission.csv (with the script as
 * RUN/final/solution.py): whatever happens next (a deadline, a crash, a
 * final step that fails), the run folder holds the best validated
 * submission the search has produced. The full-data final step replaces
 * it only when it finishes in time and validates (stage_submit.c).
 *
 * Offers come from the lane threads at once; the comparison and the copy
 * are one critical section under the agent's lock, so RUN/final/ never
 * holds a submission from one script and the code of another. Files are
 * replaced atomically (written aside, then renamed). On resume the replayed
 * executions offer their files again, which restores the same choice. */
#include "agent/agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/log.h"
#include "util/mem.h"

/* Stages whose scripts are solutions (not ablation runners or the final step). */
static bool offers_solutions(const char *stage)
{
    return strcmp(stage, "ablation") != 0 && strcmp(stage, "submission") != 0;
}

int agent_publish_final(struct agent *a, const char *code, const char *submission, struct err *err)
{
    char *final_dir = fs_join(a->run_dir, "final");
    char *sol_to = fs_join(final_dir, "solution.py");
    char *sub_to = fs_join(final_dir, "submission.csv");
    char *data = NULL;
    size_t len = 0;
    int rc = fs_mkdir_p(final_dir, 0755, err);
    if (rc == 0)
        rc = fs_read_file(submission, 0, &data, &len, err);
    if (rc == 0)
        rc = fs_write_atomic(sub_to, data, len, err);
    if (rc == 0)
        rc = fs_write_atomic(sol_to, code, strlen(code), err);
    free(data);
    free(final_dir);
    free(sol_to);
    free(sub_to);
    if (rc == 0)
        a->final_prior_only = agent_code_is_prior_only(code);
    return rc;
}

bool agent_code_is_prior_only(const char *code)
{
    return code && strstr(code, PRIOR_ONLY_MARKER) != NULL;
}

void fallback_offer(struct agent *a, const char *stage, int64_t node_id, const char *code,
                    const char *attempt_dir, const struct exec_result *res)
{
    if (!offers_solutions(stage) || res->status != EXEC_OK || !res->has_score || !res->has_submission)
        return;
    pthread_mutex_lock(&a->lock);
    bool better = !a->has_fallback || agent_better(a, res->score, a->fallback_score);
    pthread_mutex_unlock(&a->lock);
    if (!better)
        return;
    char *path = fs_join(attempt_dir, "final/submission.csv");
    char *invalid = agent_check_submission(a, path);
    if (invalid) {
        log_debug("node %lld: its test predictions are not a valid submission: %s", (long long)node_id, invalid);
        free(invalid);
        free(path);
        return;
    }
    struct err err = {{0}};
    pthread_mutex_lock(&a->lock);
    /* checked again: another lane may have offered a better one meanwhile */
    better = !a->has_fallback || agent_better(a, res->score, a->fallback_score);
    int rc = better ? agent_publish_final(a, code, path, &err) : 0;
    if (better && rc == 0) {
        a->has_fallback = true;
        a->fallback_score = res->score;
        a->fallback_node = node_id;
        snprintf(a->fallback_stage, sizeof a->fallback_stage, "%s", stage);
    }
    pthread_mutex_unlock(&a->lock);
    free(path);
    if (!better)
        return;
    if (rc < 0) {
        log_warn("cannot keep the fallback submission: %s", err.msg);
        return;
    }
    json_t *d = json_pack("{s:I,s:s,s:f}", "node", (json_int_t)node_id, "stage", stage, "score", res->score);
    agent_event(a, "fallback", d);
    json_decref(d);
}

void fallback_explain(struct agent *a, const char *why)
{
    a->submitted_fallback = true;
    snprintf(a->submit_why, sizeof a->submit_why, "%s", why);
    json_t *d = json_pack("{s:I,s:s,s:s,s:s}", "node", (json_int_t)a->fallback_node, "from_stage", a->fallback_stage,
                          "source", "fallback", "why", why);
    json_object_set_new(d, "score", json_real(a->fallback_score));
    if (a->final_prior_only)
        json_object_set_new(d, "prior_only", json_true());
    agent_event(a, "submitted", d);
    json_decref(d);
    log_warn("submitted the fallback: the test predictions of the best search script (node %lld, %s, "
             "validation score %.6g), because %s",
             (long long)a->fallback_node, a->fallback_stage, a->fallback_score, why);
}
