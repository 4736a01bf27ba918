/* guard_leakage.c - the LLM half of the data-leakage guard (the paper's
 * checker): before a script runs, ask which block prepares the training,
 * validation and test data and whether information from validation or test
 * data flows into training (statistics fit on train+test, target-derived
 * features); when it does, ask for a corrected block and splice it in.
 *
 * The reply is a JSON list [{"code_block": "...", "leakage_status": "Yes
 * Data Leakage" | "No Data Leakage"}]. Any failure along the way (no JSON,
 * block not found) keeps the script as it was: the check must never stop a
 * run, and a script judged clean is always run (the reference code forgot
 * to). */
#include "agent/agent.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

static char *fix_block(struct agent *a, const char *call_id, const char *code, const char *block)
{
    json_t *vars = json_pack("{s:s,s:s}", "code", code, "code_block", block);
    json_t *ctx = json_pack("{s:s,s:s}", "code", code, "code_block", block);
    struct err err = {{0}};
    char *id = xasprintf("%s/leakage_fix", call_id);
    char *fixed_block = agent_ask_code(a, "leakage_fix", id, vars, ctx, &err);
    free(id);
    json_decref(vars);
    json_decref(ctx);
    if (!fixed_block)
        return NULL;
    struct code_splice sp;
    char *out = NULL;
    if (code_replace_block(code, block, fixed_block, &sp, &err) == 0) {
        out = xstrdup(sp.code);
        code_splice_free(&sp);
    } else {
        log_warn("%s: the leakage fix could not be placed: %s", call_id, err.msg);
    }
    free(fixed_block);
    return out;
}

char *guard_leakage(struct agent *a, const char *call_id, const char *code)
{
    json_t *vars = json_pack("{s:s}", "code", code);
    json_t *ctx = json_pack("{s:s}", "code", code);
    struct err err = {{0}};
    char *id = xasprintf("%s/leakage_check", call_id);
    json_t *list = agent_ask_json(a, "leakage_check", id, vars, ctx, true, &err);
    free(id);
    json_decref(vars);
    json_decref(ctx);
    char *current = xstrdup(code);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        const char *block = json_str(item, "code_block", "");
        const char *status = json_str(item, "leakage_status", "");
        if (!*block || !says_leak(status))
            continue;
        json_t *d = json_pack("{s:s,s:s}", "call_id", call_id, "status", status);
        agent_event(a, "leakage_found", d);
        json_decref(d);
        log_info("%s: leakage found; asking for a fix", call_id);
        char *fixed = fix_block(a, call_id, current, block);
        if (fixed) {
            free(current);
            current = fixed;
        }
    }
    json_decref(list);
    return current;
}
