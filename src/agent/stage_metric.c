/* stage_metric.c - the metric and its direction when neither task.json nor
 * a flag gave them: asked once, from the description, as JSON
 * {"metric": "...", "lower_is_better": true|false}, recorded, and shown to
 * the user. Scripts are then told which metric to print; they never pick
 * one themselves. */
#include "agent/agent.h"

#include <stdlib.h>
#include <string.h>

#include "util/jsonutil.h"
#include "util/log.h"
#include "util/mem.h"

int stage_metric(struct agent *a, struct err *err)
{
    json_t *vars = json_object();
    json_t *ctx = json_object();
    json_t *list = agent_ask_json(a, "metric", "run/metric", vars, ctx, true, err);
    json_decref(vars);
    json_decref(ctx);
    json_t *item = json_array_get(list, 0);
    const char *metric = json_str(item, "metric", NULL);
    json_t *lower = json_object_get(item, "lower_is_better");
    if (!metric || !*metric || !json_is_boolean(lower)) {
        json_decref(list);
        return err_set(err, "the metric could not be read from the description; give it with --metric NAME "
                            "--direction higher|lower");
    }
    free(a->metric);
    a->metric = xstrdup(metric);
    if (!*a->cfg.task.direction)
        a->lower_is_better = json_is_true(lower);
    json_decref(list);
    log_info("metric from the description: %s (%s is better)", a->metric, a->lower_is_better ? "lower" : "higher");
    json_t *d = json_pack("{s:s,s:b,s:s}", "metric", a->metric, "lower_is_better", a->lower_is_better, "source",
                          "description");
    agent_event(a, "metric", d);
    json_decref(d);
    return 0;
}
