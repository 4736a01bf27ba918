/* report_internal.h - what the files of the report share: the journal as
 * loaded once (struct report) and the sections each file writes. */
#ifndef MLESTAR_REPORT_REPORT_INTERNAL_H
#define MLESTAR_REPORT_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "store/store.h"
#include "util/buf.h"

struct report {
    struct store *store;      /* for per-node details (outputs, errors) */
    json_t *run;              /* store_run_json() */
    json_t *nodes;            /* store_nodes_json(with_code), id order */
    json_t *events;           /* store_events_json(0) */
    json_t *by_key;           /* node_key -> node (borrowed) */
    json_t *by_id;            /* "id" -> node (borrowed) */
    char metric[64];          /* "" = unknown */
    bool lower_is_better;
    bool direction_known;
    double t0;                /* run start, seconds since the epoch */
    double t_end;             /* run end, or the journal's last update */
    long long best_id;        /* run's best node, 0 = none */
    long long submitted_id;   /* node whose submission was accepted, 0 = none */
};

/* Field readers tolerant of absence. */
const char *rp_str(json_t *obj, const char *key);
long long rp_int(json_t *obj, const char *key, long long dflt);
bool rp_has(json_t *obj, const char *key);   /* present and not null */
json_t *rp_node_by_id(const struct report *r, long long id);
/* The data of the last event of this type whose "lane" and "outer_step"
 * match (-2 = any), or NULL. Borrowed. */
json_t *rp_event(const struct report *r, const char *type, int lane, int outer_step);
/* Length of the node key of the node this one is a debug attempt or
 * regeneration of ("lane0/cand1/debug2" -> 11), or 0 when it is none. */
size_t rp_attempt_owner_len(const char *key);
/* True for nodes whose score is not a solution's (ablation scripts and
 * their debug attempts). */
bool rp_is_ablation(json_t *node);
/* "%.6g" of a score, or "-". */
void rp_score(struct buf *b, json_t *node_or_value);

/* report_plot.c: <svg> of the score over time. */
void report_plot(struct buf *b, const struct report *r);
/* report_lineage.c: the lineage section and the final code section. */
void report_lineage(struct buf *b, const struct report *r);
void report_final_code(struct buf *b, const struct report *r);

#endif
