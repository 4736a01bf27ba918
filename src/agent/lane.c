/* lane.c - one lane of the search: retrieve -> candidates -> merge ->
 * data-usage check -> refinement. The L lanes run as threads at once; each
 * ends with its best solution (ok false when nothing ever worked). */
#include "agent/lane.h"

#include <stdlib.h>

#include "util/log.h"
#include "util/mem.h"

static void lane_search(struct lane *l)
{
    struct agent *a = l->agent;
    json_t *models = NULL;
    if (stage_retrieve(a, l->index, &models) < 0) {
        json_decref(models);
        log_error("lane %d: no models to try", l->index);
        return;
    }
    struct solution *cands = NULL;
    size_t n = 0;
    stage_candidates(a, l->index, models, &cands, &n);
    json_decref(models);
    if (stage_merge(a, l->index, cands, n, &l->result) < 0) {
        log_error("lane %d: no candidate script worked", l->index);
    } else {
        stage_usage(a, l->index, &l->result);
        stage_refine(a, l->index, &l->result);
    }
    for (size_t i = 0; i < n; i++)
        solution_clear(&cands[i]);
    free(cands);
}

static void *lane_main(void *arg)
{
    struct lane *l = arg;
    json_t *d = json_pack("{s:i}", "lane", l->index);
    agent_event(l->agent, "lane_started", d);
    lane_search(l);
    json_object_set_new(d, "ok", json_boolean(l->result.ok));
    if (l->result.ok && l->result.has_score)
        json_object_set_new(d, "score", json_real(l->result.score));
    agent_event(l->agent, "lane_finished", d);
    json_decref(d);
    return NULL;
}

void lanes_run(struct agent *a, struct lane *lanes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lanes[i].agent = a;
        lanes[i].index = (int)i;
        lanes[i].started = pthread_create(&lanes[i].thread, NULL, lane_main, &lanes[i]) == 0;
        if (!lanes[i].started)
            lane_main(&lanes[i]);
    }
    for (size_t i = 0; i < n; i++)
        if (lanes[i].started)
            pthread_join(lanes[i].thread, NULL);
}
