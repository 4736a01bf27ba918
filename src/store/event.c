/* event.c - the event stream: what happened, in order.
 *
 * Each event is a row (seq, time, type, data) and, for live viewers that
 * tail a file instead of querying SQLite, one JSON line in RUN/events.jsonl:
 *   {"t":"2026-11-26T13:27:20Z","seq":12,"type":"node_scored",...data}
 * The line is queued in the store and appended only when the transaction
 * that recorded the event commits (see st_commit), so the file never holds
 * an event the journal does not. seq is the row id: increasing, gap-free
 * within a journal, the order readers should use. */
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/timeutil.h"

static int insert_event(struct store *s, const char *type, json_t *data, double now, int64_t *seq,
                        struct err *err)
{
    sqlite3_stmt *st;
    if (st_prepare(s, "INSERT INTO events (time, type, data) VALUES (?, ?, ?)", &st, err) < 0)
        return -1;
    sqlite3_bind_double(st, 1, now);
    st_bind_text(st, 2, type);
    st_bind_json(st, 3, data);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return st_error(s, err, "cannot record an event");
    *seq = sqlite3_last_insert_rowid(s->db);
    return 0;
}

/* Queues the events.jsonl line of the event. */
static void queue_line(struct store *s, const char *type, json_t *data, double now, int64_t seq)
{
    char when[32];
    time_iso8601(now, when, sizeof when);
    json_t *line = json_object();
    json_object_set_new(line, "t", json_string(when));
    json_object_set_new(line, "seq", json_integer(seq));
    json_object_set_new(line, "type", json_string(type));
    if (data)
        json_object_update_missing(line, data);
    char *text = json_dumps(line, JSON_COMPACT);
    json_decref(line);
    if (!text)
        return;
    buf_puts(&s->pending_events, text);
    buf_putc(&s->pending_events, '\n');
    free(text);
}

int store_event(struct store *s, const char *type, json_t *data, int64_t *seq_out, struct err *err)
{
    if (!type || !*type)
        return err_set(err, "%s: an event needs a type", s->db_path);
    if (data && !json_is_object(data))
        return err_set(err, "%s: the data of event %s must be a JSON object", s->db_path, type);
    if (st_begin(s, true, err) < 0)
        return -1;
    double now = time_wall();
    int64_t seq = 0;
    if (insert_event(s, type, data, now, &seq, err) < 0) {
        st_rollback(s);
        return -1;
    }
    queue_line(s, type, data, now, seq);
    if (st_commit(s, err) < 0)
        return -1;
    if (seq_out)
        *seq_out = seq;
    return 0;
}
