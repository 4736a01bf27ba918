/* node.c - nodes: every version of a solution script and its lineage.
 *
 * A node is identified twice: by its row id (what parents, executions and
 * the best-node pointer refer to) and by its node_key, a deterministic name
 * the pipeline derives from where the node sits in the run ("lane0/t1/k2").
 * store_node_add() is idempotent by node_key, which is what keeps ids stable
 * when a resumed run replays its control flow and re-adds the same nodes.
 * Parents must exist before their children (foreign keys), so a parent's id
 * is always smaller than its child's and the lineage has no cycles. */
#include "store/store_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/timeutil.h"

/* Looks up node_key: 1 found (*id, *same_code), 0 not, -1 error. */
static int find_by_key(struct store *s, const char *key, const char *code, int64_t *id, bool *same_code,
                       struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s, "SELECT id, code IS ?2 FROM nodes WHERE node_key = ?1", &st, err) < 0)
        return -1;
    st_bind_text(st, 1, key);
    st_bind_text(st, 2, code);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        *same_code = sqlite3_column_int(st, 1) != 0;
        result = 1;
    } else if (rc != SQLITE_DONE) {
        result = st_error(s, err, "cannot look up a node");
    }
    sqlite3_finalize(st);
    return result;
}

static int insert_node(struct store *s, const struct store_node *n, int64_t *id, struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s,
                   "INSERT INTO nodes (node_key, parent_id, parent2_id, lane, stage, outer_step, inner_step,"
                   " model_name, plan, code, block_before, block_after, diff, status, score, note,"
                   " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                   &st, err) < 0)
        return -1;
    double now = time_wall();
    st_bind_text(st, 1, n->node_key);
    st_bind_id(st, 2, n->parent_id);
    st_bind_id(st, 3, n->parent2_id);
    sqlite3_bind_int(st, 4, n->lane);
    st_bind_text(st, 5, n->stage);
    st_bind_opt_int(st, 6, n->outer_step >= 0, n->outer_step);
    st_bind_opt_int(st, 7, n->inner_step >= 0, n->inner_step);
    st_bind_text(st, 8, n->model_name);
    st_bind_text(st, 9, n->plan);
    st_bind_text(st, 10, n->code);
    st_bind_text(st, 11, n->block_before);
    st_bind_text(st, 12, n->block_after);
    st_bind_text(st, 13, n->diff);
    st_bind_text(st, 14, n->status ? n->status : "pending");
    st_bind_opt_real(st, 15, n->has_score, n->score);
    st_bind_text(st, 16, n->note);
    sqlite3_bind_double(st, 17, now);
    sqlite3_bind_double(st, 18, now);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        st_error(s, err, "cannot record a node");
        if ((rc & 0xff) == SQLITE_CONSTRAINT)
            err_prefix(err, "node %s (its parent %lld or %lld must be recorded first)", n->node_key,
                       (long long)n->parent_id, (long long)n->parent2_id);
        return -1;
    }
    *id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int store_node_add(struct store *s, const struct store_node *n, int64_t *id_out, struct err *err)
{
    *id_out = 0;
    if (!n->node_key || !*n->node_key || !n->stage)
        return err_set(err, "%s: a node needs a node_key and a stage", s->db_path);
    if (st_begin(s, true, err) < 0)
        return -1;
    bool same_code = true;
    int found = find_by_key(s, n->node_key, n->code, id_out, &same_code, err);
    if (found == 0)
        found = insert_node(s, n, id_out, err);
    if (found < 0) {
        st_rollback(s);
        return -1;
    }
    if (!same_code)
        log_warn("node %s was re-added with different code; keeping the recorded one (is the run deterministic?)",
                 n->node_key);
    return st_commit(s, err);
}

int store_node_update(struct store *s, int64_t id, const char *status, bool has_score, double score,
                      const char *note, struct err *err)
{
    sqlite3_stmt *st;
    if (st_begin(s, true, err) < 0)
        return -1;
    if (st_prepare(s,
                   "UPDATE nodes SET status = coalesce(?2, status),"
                   " score = CASE WHEN ?3 THEN ?4 ELSE score END,"
                   " note = coalesce(?5, note), updated_at = ?6 WHERE id = ?1",
                   &st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    sqlite3_bind_int64(st, 1, id);
    st_bind_text(st, 2, status);
    sqlite3_bind_int(st, 3, has_score);
    sqlite3_bind_double(st, 4, score);
    st_bind_text(st, 5, note);
    sqlite3_bind_double(st, 6, time_wall());
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        st_error(s, err, "cannot update a node");
        st_rollback(s);
        return -1;
    }
    if (sqlite3_changes(s->db) != 1) {
        st_rollback(s);
        return err_set(err, "%s: no node %lld", s->db_path, (long long)id);
    }
    return st_commit(s, err);
}

static bool parse_id(const char *text, int64_t *id)
{
    if (!*text)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end || errno || v <= 0)
        return false;
    *id = v;
    return true;
}

int store_node_find(struct store *s, const char *id_or_key, int64_t *id_out, struct err *err)
{
    sqlite3_stmt *st;
    int64_t id = 0;
    bool numeric = parse_id(id_or_key, &id);
    if (st_begin(s, false, err) < 0)
        return -1;
    if (st_prepare(s, "SELECT id FROM nodes WHERE node_key = ?1 OR id = ?2 ORDER BY node_key = ?1 DESC LIMIT 1",
                   &st, err) < 0) {
        st_rollback(s);
        return -1;
    }
    st_bind_text(st, 1, id_or_key);
    st_bind_id(st, 2, numeric ? id : 0);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW)
        *id_out = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        result = err_set(err, "%s: no node \"%s\" (give a node id or node key; `mlestar show %s` lists them)",
                         s->db_path, id_or_key, s->run_dir);
    else
        result = st_error(s, err, "cannot look up a node");
    sqlite3_finalize(st);
    st_commit(s, NULL);
    return result;
}
