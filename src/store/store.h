/* store.h - the run journal: one SQLite database per run, RUN/run.db.
 *
 * The journal is the single source of truth of a run: the pipeline writes
 * every step into it as the step happens, and the CLI (`runs`, `show`,
 * `resume`) and the report read only from it. It holds
 *   run         one row: task, resolved configuration (no secrets), settings
 *               to compare on resume, status, start/end, best score, budget use
 *   nodes       every version of a solution script, with its lineage
 *   executions  every finished run of a script, keyed for memoization
 *   llm_calls   every LLM call (failed ones too), keyed for memoization
 *   events      a time-ordered stream, mirrored to RUN/events.jsonl
 *   kv          the pipeline's own progress markers
 *
 * Resume is memoization: the pipeline replays its deterministic control flow
 * from the start and asks the journal before every expensive step. LLM calls
 * are answered through store_llm_recorder() (key = llm_request_key()),
 * executions through store_exec_lookup() (key built by the pipeline), and
 * node ids are stable because store_node_add() is idempotent by node_key.
 *
 * Transactions: every function below that writes is atomic on its own. A
 * pipeline step that makes several writes (a node, its execution, an event,
 * a progress marker) wraps them in store_step_begin() / store_step_commit()
 * so that a reader, or a resume after kill -9, sees all of the step or none
 * of it. Event lines for RUN/events.jsonl are held back until the outermost
 * commit, so the file never shows an event the database rolled back.
 *
 * Thread-safety: one struct store may be shared by all threads of a run.
 * Every call takes the store's own recursive mutex (the connection is also
 * opened SQLITE_OPEN_FULLMUTEX); a step holds that mutex from
 * store_step_begin() to its commit or rollback, so other threads' writes
 * wait for the step: do no slow work (LLM calls, script runs) inside a step.
 * Other processes (mlestar show, the report) may read the same journal at
 * the same time: the database is in WAL mode with a busy timeout.
 *
 * Schema: the version is PRAGMA user_version (STORE_SCHEMA_VERSION). An
 * older journal is migrated in place when opened for writing (store_open:
 * a run, `mlestar resume`); a newer one is refused. Looking at a journal
 * (store_open_readonly: `mlestar runs`, `mlestar show`) never writes it: an
 * older one is read through a migrated copy in memory and left as it is.
 *
 * Errors: functions return 0 on success and -1 with a message in `err`
 * naming RUN/run.db and what went wrong; a corrupt or foreign file is an
 * error, never a crash. */
#ifndef MLESTAR_STORE_STORE_H
#define MLESTAR_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec/exec.h"
#include "llm/llm.h"
#include "util/err.h"

#define STORE_SCHEMA_VERSION 3
#define STORE_DB_NAME "run.db"
#define STORE_EVENTS_NAME "events.jsonl"

struct store;

/* ---- opening ------------------------------------------------------------ */

/* Opens RUN/run.db. create=true creates RUN/ and the database when missing
 * (an existing journal is opened as is); create=false fails, naming the
 * path, when there is no journal. Sets WAL mode, a busy timeout and foreign
 * keys, and migrates an older schema. A file that is not a journal (random
 * bytes, another SQLite database, a newer schema) is an error.
 * *out is set on success and must be released with store_close(). */
int store_open(const char *run_dir, bool create, struct store **out, struct err *err);
/* Opens RUN/run.db for reading only (SQLITE_OPEN_READONLY): the file is
 * never written, nor migrated. A journal of an older schema is copied into
 * memory and the copy migrated, so every read below works on it (the copy
 * costs memory and time in proportion to the journal); see
 * store_file_schema_version(). Writes through this store fail with an error
 * saying it is read-only. Refuses what store_open(create=false) refuses.
 * Another process may write the journal meanwhile (WAL); for that, SQLite
 * may create the (empty) RUN/run.db-wal and run.db-shm files beside it. */
int store_open_readonly(const char *run_dir, struct store **out, struct err *err);
/* Closes the journal; NULL is allowed. Not while another thread uses it. */
void store_close(struct store *s);
/* RUN/ and RUN/run.db as given to store_open (owned by the store). */
const char *store_run_dir(const struct store *s);
const char *store_db_path(const struct store *s);
/* The schema version of the file on disk: STORE_SCHEMA_VERSION after
 * store_open(), possibly older after store_open_readonly(). */
int store_file_schema_version(const struct store *s);

/* ---- steps (transactions) ----------------------------------------------- */

/* Starts a step: every write until store_step_commit() is one transaction.
 * Steps nest (an inner step is a savepoint). Holds the store's lock, so the
 * calling thread must end the step with commit or rollback. */
int store_step_begin(struct store *s, struct err *err);
/* Ends a step. The outermost commit makes the step durable and appends its
 * events to RUN/events.jsonl. On failure the step is rolled back and the
 * lock released all the same. */
int store_step_commit(struct store *s, struct err *err);
/* Abandons a step: nothing written since its store_step_begin() remains. */
void store_step_rollback(struct store *s);

/* ---- the run row -------------------------------------------------------- */

/* Run statuses accepted by store_run_set_status(). */
#define STORE_RUN_STATUSES "running|finished|failed|interrupted|budget"

/* Records the start of a run (status "running"). config_ini is the resolved
 * configuration as text (no secrets: config_dump() holds none);
 * settings is the JSON object compared on resume (borrowed; nested objects
 * become dotted names). Fails when the journal already holds a run. */
int store_run_begin(struct store *s, const char *task_name, const char *task_dir, const char *config_ini,
                    json_t *settings, struct err *err);
/* True when store_run_begin() was recorded. */
bool store_run_exists(struct store *s);
/* Compares settings (borrowed) with the journal's. Returns 0 when equal,
 * 1 when they differ with *difference set to a malloc'd message such as
 * "pipeline.outer_steps: journal 4, now 2; llm.model: journal \"a\", now \"b\""
 * (caller frees), -1 on error (no run recorded, unreadable journal). */
int store_run_check_settings(struct store *s, json_t *settings, char **difference, struct err *err);
/* Marks a resume: status "running", end time cleared, resume count + 1. */
int store_run_resumed(struct store *s, struct err *err);
/* Sets the status (one of STORE_RUN_STATUSES) and an optional message
 * (NULL keeps the old one). A status other than "running" sets the end time. */
int store_run_set_status(struct store *s, const char *status, const char *message, struct err *err);
int store_run_set_best(struct store *s, double score, int64_t node_id, struct err *err);
/* Stores the budget use as the pipeline sees it, e.g. {"llm": <per-stage
 * llm_client_totals_json()>, "elapsed_s": ...} (borrowed, stored as JSON). */
int store_run_set_usage(struct store *s, json_t *usage, struct err *err);

/* ---- nodes -------------------------------------------------------------- */

/* One version of a solution script. Strings are borrowed; NULL = none. */
struct store_node {
    const char *node_key;     /* unique and deterministic, e.g. "lane0/t1/k2" (required) */
    int64_t parent_id;        /* 0 = none */
    int64_t parent2_id;       /* second parent of merges/ensembles; 0 = none */
    int lane;                 /* -1 = ensemble / final */
    const char *stage;        /* candidate|merge|usage|ablation|refine|ensemble|submission|debug */
    int outer_step;           /* t; -1 = n/a */
    int inner_step;           /* k; -1 = n/a */
    const char *model_name;
    const char *plan;
    const char *code;
    const char *block_before; /* refinements: the block replaced ... */
    const char *block_after;  /* ... and its replacement */
    const char *diff;
    const char *status;       /* pending|ok|failed|rejected|best; NULL = "pending" */
    bool has_score;
    double score;
    const char *note;
};

/* Adds a node and sets *id_out. Idempotent by node_key: when the key is
 * already recorded (a resumed run re-adding it) nothing is written and the
 * existing id is returned (a warning is logged if the code differs). */
int store_node_add(struct store *s, const struct store_node *n, int64_t *id_out, struct err *err);
/* Updates a node: status and note when non-NULL, the score when has_score. */
int store_node_update(struct store *s, int64_t id, const char *status, bool has_score, double score,
                      const char *note, struct err *err);
/* Finds a node by id ("12") or node_key ("lane0/t1/k2"). 0 found, -1 not. */
int store_node_find(struct store *s, const char *id_or_key, int64_t *id_out, struct err *err);

/* ---- executions --------------------------------------------------------- */

/* Looks up a finished execution by key. Returns 1 and fills *out (every
 * string and array malloc'd, one allocation per element, as
 * exec_result_free() expects), 0 when unknown (*out zeroed), -1 on error. */
int store_exec_lookup(struct store *s, const char *key, struct exec_result *out, struct err *err);
/* Records a finished execution of node node_id (0 = none) under key; a
 * second save with the same key replaces the first. res is borrowed. */
int store_exec_save(struct store *s, const char *key, int64_t node_id, const char *attempt_dir,
                    const struct exec_result *res, struct err *err);
/* Text of an exec_status as stored ("ok", "failed", "signaled", "timeout",
 * "oom", "cancelled"); "unknown" for anything else. */
const char *store_exec_status_name(int status);

/* ---- LLM calls ---------------------------------------------------------- */

/* Fills *out with a recorder backed by the llm_calls table (ctx = s; valid
 * while s is open). save() records every call, failed ones too (skipping
 * replies that came from the record); lookup() answers only from successful
 * calls, with malloc'd strings as llm_reply_free() expects and
 * from_record = true. Journal errors inside these callbacks are logged (the
 * recorder interface has no error channel): a failed lookup means "not
 * known", a failed save means the call would be re-sent on resume. */
void store_llm_recorder(struct store *s, struct llm_recorder *out);

/* ---- events ------------------------------------------------------------- */

/* Appends an event: a row in `events` and, once its step commits, the line
 * {"t": ISO time, "seq": n, "type": type, ...data} to RUN/events.jsonl.
 * data is a JSON object or NULL (borrowed); its keys t/seq/type are
 * ignored. *seq_out (may be NULL) gets the sequence number. */
int store_event(struct store *s, const char *type, json_t *data, int64_t *seq_out, struct err *err);

/* ---- progress markers --------------------------------------------------- */

int store_kv_set(struct store *s, const char *key, const char *value, struct err *err);
/* malloc'd value (caller frees), or NULL when the key is unknown or on error. */
char *store_kv_get(struct store *s, const char *key);

/* ---- reads (runs, show, report) ----------------------------------------- */
/* Each returns a new reference (caller json_decref()s) or NULL with err.
 * Times are seconds since the epoch (numbers); absent values are null. */

/* The run row plus totals: {"task", "task_dir", "status", "message",
 * "started_at", "ended_at", "updated_at", "wall_s", "resumes", "best_score",
 * "best_node_id", "config_ini", "settings", "usage", "schema_version" (the
 * file's: store_file_schema_version()),
 * "totals": {"nodes", "executions", "exec_wall_s", "llm": {"calls",
 * "failed_calls", "input_tokens", "output_tokens", "cached_tokens",
 * "cost_usd", "latency_s", "queued_s", "stages": {stage: {...same...}}},
 * "events"}} (latency_s sums the calls' wall times, queued_s the parts of
 * them spent waiting for an in-flight slot). */
json_t *store_run_json(struct store *s, struct err *err);
/* All nodes in id order, each with "executions" (summaries: no tails). The
 * code, blocks and diff are included only when with_code. */
json_t *store_nodes_json(struct store *s, bool with_code, struct err *err);
/* One node with its code, its full executions, and its LLM calls (those
 * whose call_id starts with "<node_key>/"). */
json_t *store_node_json(struct store *s, int64_t id, struct err *err);
/* Events with seq > after_seq: [{"seq", "time", "t" (ISO), "type", "data"}]. */
json_t *store_events_json(struct store *s, int64_t after_seq, struct err *err);
/* Every LLM call in order, with request (as JSON) and reply. */
json_t *store_llm_calls_json(struct store *s, struct err *err);

#endif
