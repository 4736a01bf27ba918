/* guard_leakage.c - the LLM half of the data-leakage guard (the paper's
 * checker): before a script runs, ask which block prepares the training,
 * validation and test data and whether information from validation or test
 * data flows into training (statistics fit on train+test, target-derived
 * features); when it does, ask for a corrected block and splice it in.
 *
 * The reply is a JSON list [{"code_block": "...", "leakage_status": "Yes
 * Data Leakage" | "No Data Leakage"}]. A code_block that arrives in a ```
 * fence inside the JSON string is unwrapped first. A leaky block must be
 * found in the script (exactly once, see code/splice.h) and be a part of it,
 * not the whole script, before its fix is asked for; when it is not, the
 * check is asked again with the reason (pipeline.placement_retries times),
 * and so is a fix that cannot be placed. Every fix has its own call id
 * (leakage_fix<N>, N counting the fixes of this script), so a script with
 * two leaks never gets the first fix's reply for the second block.
 *
 * Any failure along the way keeps the script as it was: the check must
 * never stop a run, and a script judged clean is always run (the reference
 * code forgot to). */
#include "agent/agent.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "code/extract.h"
#include "code/splice.h"
#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

/* "Yes Data Leakage" -> true; "No Data Leakage", "no", "" -> false. */
static bool says_leak(const char *status)
{
    while (isspace((unsigned char)*status))
        status++;
    if (!strncasecmp(status, "no", 2))
        return false;
    return !strncasecmp(status, "yes", 3) || !strncasecmp(status, "true", 4);
}

/* Why block cannot be fixed in code (malloc'd, for the LLM), NULL when it can. */
static char *block_problem(const char *code, const char *block)
{
    if (code_block_is_whole_script(code, block))
        return xstrdup("The code_block you gave is (nearly) the whole script; give only the block where the "
                       "data is preprocessed.");
    struct code_splice probe;
    struct err err = {{0}};
    if (code_replace_block(code, block, block, &probe, &err) < 0)
        return xasprintf("The code_block you gave cannot be used: %s Copy it exactly from the script.", err.msg);
    code_splice_free(&probe);
    return NULL;
}

/* Asks for the fix of one leaky block and splices it in; placement failures
 * are sent back. Returns the new script or NULL. */
static char *fix_block(struct agent *a, const char *call_id, int fix_no, const char *code, const char *block)
{
    char *reason = NULL, *out = NULL;
    for (long attempt = 0; attempt <= a->cfg.pipeline.placement_retries && !out; attempt++) {
        json_t *vars = json_pack("{s:s,s:s,s:s}", "code", code, "code_block", block, "retry_reason",
                                 reason ? reason : "");
        json_t *ctx = json_pack("{s:s,s:s}", "code", code, "code_block", block);
        struct err err = {{0}};
        char *id = attempt ? xasprintf("%s/leakage_fix%d#retry%ld", call_id, fix_no, attempt)
                           : xasprintf("%s/leakage_fix%d", call_id, fix_no);
        char *fixed_block = agent_ask_code(a, "leakage_fix", id, vars, ctx, &err);
        json_decref(vars);
        json_decref(ctx);
        free(reason);
        reason = NULL;
        if (!fixed_block) {
            free(id);
            break;
        }
        struct code_splice sp;
        if (code_replace_block(code, block, fixed_block, &sp, &err) == 0) {
            out = xstrdup(sp.code);
            code_splice_free(&sp);
            if (attempt)
                agent_recovery(a, "leakage_fix_placed_on_retry", id, "the fixed block was placed after a retry");
        } else {
            log_warn("%s: the leakage fix could not be placed: %s", id, err.msg);
            reason = xasprintf("Your corrected block could not be placed in the script: %s Reply with the "
                               "corrected version of exactly the block shown.", err.msg);
        }
        free(fixed_block);
        free(id);
    }
    free(reason);
    return out;
}

/* One leakage check (attempt > 0: asked again, with the reason the last
 * answer's block could not be used). */
static json_t *ask_check(struct agent *a, const char *call_id, long attempt, const char *code, const char *reason)
{
    json_t *vars = json_pack("{s:s,s:s}", "code", code, "retry_reason", reason ? reason : "");
    json_t *ctx = json_pack("{s:s}", "code", code);
    struct err err = {{0}};
    char *id = attempt ? xasprintf("%s/leakage_check#retry%ld", call_id, attempt)
                       : xasprintf("%s/leakage_check", call_id);
    json_t *list = agent_ask_json(a, "leakage_check", id, vars, ctx, true, &err);
    free(id);
    json_decref(vars);
    json_decref(ctx);
    return list;
}

char *guard_leakage(struct agent *a, const char *call_id, const char *code)
{
    char *current = xstrdup(code);
    char *reason = NULL;
    int fixes = 0;
    for (long attempt = 0; attempt <= a->cfg.pipeline.placement_retries; attempt++) {
        json_t *list = ask_check(a, call_id, attempt, current, reason);
        free(reason);
        reason = NULL;
        size_t i;
        json_t *item;
        json_array_foreach(list, i, item) {
            const char *status = json_str(item, "leakage_status", "");
            char *block = code_strip_fence(json_str(item, "code_block", ""));
            if (!*block || !says_leak(status)) {
                free(block);
                continue;
            }
            char *problem = block_problem(current, block);
            if (problem) {
                log_info("%s: leaky block not usable (%s)", call_id, problem);
                free(reason);
                reason = problem;
                free(block);
                continue;
            }
            json_t *d = json_pack("{s:s,s:s}", "call_id", call_id, "status", status);
            agent_event(a, "leakage_found", d);
            json_decref(d);
            log_info("%s: leakage found; asking for a fix", call_id);
            int fix_no = fixes++;
            char *fixed = fix_block(a, call_id, fix_no, current, block);
            if (fixed) {
                free(current);
                current = fixed;
                char detail[96];
                snprintf(detail, sizeof detail, "leaking block %d rewritten (leakage_fix%d)", fix_no + 1, fix_no);
                agent_recovery(a, "leakage_fixed", call_id, detail);
            }
            free(block);
        }
        json_decref(list);
        if (!reason)
            break;
        if (attempt < a->cfg.pipeline.placement_retries)
            agent_recovery(a, "leakage_check_asked_again", call_id, reason);
    }
    free(reason);
    return current;
}
