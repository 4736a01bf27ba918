/* profile_md.c - the profile as compact Markdown for prompts.
 *
 * The output never exceeds max_bytes, and never ends in a cut line: text is
 * added a whole line at a time, and a line that does not fit is left out.
 * The budget is shared out in order of importance: the task summary (ids,
 * targets, problem, target distribution) first, then each file (train gets
 * the largest share, then test, then the rest; what a file leaves unused
 * goes to the next), then the groups of other files. Within a file, the
 * target and id columns come first; a table with more than MD_WIDE columns,
 * or whose rows do not all fit its share, shows the rows that fit and ends
 * with one line summarising the columns left out (a count per kind, and as
 * many names as fit). Cells are
 * cleaned for Markdown: '|' is escaped, newlines and tabs become spaces, and
 * long values are shortened at a UTF-8 boundary with "...". */
#include "task/profile.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "task/csv.h"
#include "util/buf.h"
#include "util/mem.h"

#define MD_WIDE 40        /* columns shown per table at most */
#define MD_CELL 32        /* bytes of a value shown in a cell */
#define MD_TOP 5          /* top values shown per categorical column */

struct md {
    struct buf b;
    size_t max;
};

/* Appends line + '\n' when the result stays within limit (<= max). */
static bool md_line_within(struct md *m, const char *line, size_t limit)
{
    size_t n = strlen(line);
    if (limit > m->max)
        limit = m->max;
    if (m->b.len + n + 1 > limit)
        return false;
    buf_append(&m->b, line, n);
    buf_putc(&m->b, '\n');
    return true;
}

static bool md_line(struct md *m, const char *line)
{
    return md_line_within(m, line, m->max);
}

/* A value made safe for a table cell, shortened to MD_CELL bytes. */
static void put_cell(struct buf *b, const char *s)
{
    size_t n = strlen(s);
    size_t keep = csv_utf8_clip(s, n, MD_CELL);
    for (size_t i = 0; i < keep; i++) {
        char c = s[i];
        if (c == '|')
            buf_puts(b, "\\|");
        else if (c == '\n' || c == '\r' || c == '\t')
            buf_putc(b, ' ');
        else
            buf_putc(b, c);
    }
    if (keep < n)
        buf_puts(b, "...");
}

static void put_num(struct buf *b, double v)
{
    if (isfinite(v) && v == floor(v) && fabs(v) < 1e15)
        buf_printf(b, "%.0f", v);
    else
        buf_printf(b, "%.4g", v);
}

static void put_size(struct buf *b, long long bytes)
{
    if (bytes < 0)
        buf_puts(b, "? B");
    else if (bytes < 1024)
        buf_printf(b, "%lld B", bytes);
    else if (bytes < 1024 * 1024)
        buf_printf(b, "%.1f KB", bytes / 1024.0);
    else if (bytes < 1024LL * 1024 * 1024)
        buf_printf(b, "%.1f MB", bytes / (1024.0 * 1024));
    else
        buf_printf(b, "%.2f GB", bytes / (1024.0 * 1024 * 1024));
}

static void put_list(struct buf *b, char *const *v, size_t n)
{
    if (n == 0)
        buf_puts(b, "(none)");
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        put_cell(b, v[i]);
    }
}

static void put_values(struct buf *b, const struct profile_value *v, size_t n, long long total)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        put_cell(b, v[i].value);
        buf_printf(b, " %lld", v[i].count);
        if (total > 0)
            buf_printf(b, " (%.1f%%)", 100.0 * (double)v[i].count / (double)total);
    }
}

static void put_summary(struct buf *b, const struct profile_column *c)
{
    if (c->has_numbers && c->kind != PROFILE_BOOLEAN) {
        buf_puts(b, "min ");
        put_num(b, c->min);
        buf_puts(b, ", max ");
        put_num(b, c->max);
        buf_puts(b, ", mean ");
        put_num(b, c->mean);
        buf_puts(b, ", std ");
        put_num(b, c->std);
        return;
    }
    if (c->kind == PROFILE_CATEGORICAL || c->kind == PROFILE_BOOLEAN) {
        put_values(b, c->top, c->ntop < MD_TOP ? c->ntop : MD_TOP, 0);
        if (c->distinct > MD_TOP)
            buf_puts(b, ", ...");
        return;
    }
    if (c->kind == PROFILE_TEXT || c->kind == PROFILE_ID)
        buf_printf(b, "length %zu-%zu (mean %.0f); ", c->len_min, c->len_max, c->len_mean);
    if (c->nexamples) {
        buf_puts(b, "e.g. ");
        put_list(b, c->examples, c->nexamples);
    }
}

static char *column_row(const struct profile_column *c)
{
    struct buf b = {0};
    buf_puts(&b, "| ");
    put_cell(&b, c->name);
    buf_printf(&b, " | %s | %.1f%% | %s%lld | ", profile_kind_name(c->kind), 100.0 * c->missing,
               c->distinct_exact ? "" : "~", c->distinct);
    put_summary(&b, c);
    buf_puts(&b, " |");
    return buf_detach(&b);
}

static bool in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* Column order: targets, ids, then the rest in file order. */
static size_t *column_order(const struct profile *p, const struct profile_file *f)
{
    size_t *order = xcalloc(f->ncolumns ? f->ncolumns : 1, sizeof *order);
    size_t n = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (size_t i = 0; i < f->ncolumns; i++) {
            const char *name = f->columns[i].name;
            bool target = in_list(p->train_targets, p->n_train_targets, name) ||
                          in_list(p->target_columns, p->n_target_columns, name);
            bool id = in_list(p->id_columns, p->n_id_columns, name);
            int rank = target ? 0 : id ? 1 : 2;
            if (rank == pass)
                order[n++] = i;
        }
    }
    return order;
}

/* "... and 460 more columns: 455 float, 5 categorical (a, b, ...)" */
static char *more_columns_line(const struct profile_file *f, const size_t *order, size_t from, size_t max_len)
{
    size_t counts[PROFILE_ID + 1] = {0};
    for (size_t k = from; k < f->ncolumns; k++)
        counts[f->columns[order[k]].kind]++;
    struct buf b = {0};
    if (from == 0)
        buf_printf(&b, "(%zu columns:", f->ncolumns);
    else
        buf_printf(&b, "(... and %zu more columns:", f->ncolumns - from);
    bool first = true;
    for (int k = 0; k <= PROFILE_ID; k++) {
        if (!counts[k])
            continue;
        buf_printf(&b, "%s %zu %s", first ? "" : ",", counts[k], profile_kind_name((enum profile_kind)k));
        first = false;
    }
    buf_puts(&b, "; names:");
    size_t k = from;
    for (; k < f->ncolumns; k++) {
        struct buf name = {0};
        buf_putc(&name, ' ');
        put_cell(&name, f->columns[order[k]].name);
        bool fits = b.len + name.len + 16 <= max_len;
        if (fits)
            buf_append(&b, name.data, name.len);
        buf_free(&name);
        if (!fits)
            break;
    }
    buf_puts(&b, k < f->ncolumns ? " ...)" : ")");
    return buf_detach(&b);
}

static void render_issues(struct md *m, const struct profile_file *f, size_t limit)
{
    if (f->issues_total == 0)
        return;
    struct buf b = {0};
    buf_printf(&b, "Issues (%lld):", f->issues_total);
    for (size_t i = 0; i < f->nissues && i < 3; i++) {
        buf_printf(&b, "%s line %lld: ", i ? ";" : "", f->issues[i].line);
        put_cell(&b, f->issues[i].problem);
    }
    if (f->issues_total > 3)
        buf_puts(&b, "; ...");
    md_line_within(m, buf_str(&b), limit);
    buf_free(&b);
}

/* How many rows (at most MD_WIDE) fit in `room` bytes together with the
 * table header and, when some columns are left out, their summary line. */
static size_t rows_that_fit(const struct profile_file *f, char **rows, size_t room)
{
    const size_t table_header = 2 * 52;
    const size_t summary_min = 120;
    size_t max_rows = f->ncolumns < MD_WIDE ? f->ncolumns : MD_WIDE;
    size_t used = table_header, best = 0;
    for (size_t n = 1; n <= max_rows; n++) {
        used += strlen(rows[n - 1]) + 1;
        size_t need = used + (n < f->ncolumns ? summary_min : 0);
        if (need > room)
            break;
        best = n;
    }
    return best;
}

/* How a script reads a file that is not a plain CSV (for the LLM). */
static void put_layout(struct buf *b, const struct profile_file *f)
{
    buf_printf(b, "- Layout: input/%s", f->path);
    if (f->archive)
        buf_printf(b, " (unpacked from %s, read this file, not the archive)", f->archive);
    if (f->synthesized)
        buf_puts(b, " (written by mlestar from the file names, see Labels above; not a file of the task)");
    if (f->kind == TASK_KIND_JSON)
        buf_puts(b, "; a JSON array of records: pandas.json_normalize(json.load(fh), sep=\".\") gives these "
                    "columns (nested fields as parent.child)");
    else if (f->kind == TASK_KIND_JSONL)
        buf_puts(b, "; JSON Lines, one record per line: pandas.json_normalize([json.loads(l) for l in fh], "
                    "sep=\".\") gives these columns");
    else if (f->kind == TASK_KIND_TSV)
        buf_puts(b, "; tab-separated (TSV): read it with pandas.read_csv(path, sep=\"\\t\")");
    else
        buf_puts(b, "; CSV");
}

static void render_file(struct md *m, const struct profile *p, const struct profile_file *f, size_t limit)
{
    struct buf b = {0};
    buf_printf(&b, "\n## %s (%s): %lld rows, %zu columns, ", f->path, task_role_name(f->role), f->rows,
               f->ncolumns);
    put_size(&b, f->bytes);
    bool ok = md_line_within(m, buf_str(&b), limit);
    buf_truncate(&b, 0);
    if (ok && (f->kind != TASK_KIND_CSV || f->archive || f->synthesized)) {
        put_layout(&b, f);
        ok = md_line_within(m, buf_str(&b), limit);
    }
    buf_free(&b);
    if (!ok)
        return;
    render_issues(m, f, limit);
    if (f->ncolumns == 0)
        return;
    size_t *order = column_order(p, f);
    size_t nrows = f->ncolumns < MD_WIDE ? f->ncolumns : MD_WIDE;
    char **rows = xcalloc(nrows, sizeof *rows);
    for (size_t i = 0; i < nrows; i++)
        rows[i] = column_row(&f->columns[order[i]]);
    size_t room = limit > m->b.len ? limit - m->b.len : 0;
    size_t shown = rows_that_fit(f, rows, room);
    if (shown > 0) {
        md_line_within(m, "| column | kind | missing | distinct | summary |", limit);
        md_line_within(m, "|---|---|---:|---:|---|", limit);
        for (size_t i = 0; i < shown; i++)
            md_line_within(m, rows[i], limit);
    }
    if (shown < f->ncolumns) {
        room = limit > m->b.len ? limit - m->b.len : 0;
        char *line = more_columns_line(f, order, shown, room);
        md_line_within(m, line, limit);
        free(line);
    }
    for (size_t i = 0; i < nrows; i++)
        free(rows[i]);
    free(rows);
    free(order);
}

static void render_header(struct md *m, const struct profile *p)
{
    struct buf b = {0};
    buf_puts(&b, "- Submission: ");
    buf_puts(&b, profile_sub_format_name(p->sub_format));
    buf_puts(&b, "; id columns: ");
    put_list(&b, p->id_columns, p->n_id_columns);
    buf_puts(&b, "; prediction columns: ");
    put_list(&b, p->target_columns, p->n_target_columns);
    md_line(m, buf_str(&b));
    buf_truncate(&b, 0);
    if (p->labels_note) {
        buf_puts(&b, "- Labels: ");
        buf_puts(&b, p->labels_note);
        md_line(m, buf_str(&b));
        buf_truncate(&b, 0);
    }
    buf_puts(&b, "- Train targets: ");
    put_list(&b, p->train_targets, p->n_train_targets);
    buf_printf(&b, "; problem: %s", profile_problem_name(p->problem));
    md_line(m, buf_str(&b));
    buf_truncate(&b, 0);
    if (p->metric || p->lower_is_better >= 0) {
        buf_printf(&b, "- Metric: %s", p->metric ? p->metric : "unknown");
        if (p->lower_is_better >= 0)
            buf_printf(&b, " (%s is better)", p->lower_is_better ? "lower" : "higher");
        md_line(m, buf_str(&b));
        buf_truncate(&b, 0);
    }
    for (size_t i = 0; i < p->ntargets; i++) {
        const struct profile_target *t = &p->targets[i];
        buf_puts(&b, "- Target ");
        put_cell(&b, t->column);
        buf_printf(&b, " (%s): ", profile_kind_name(t->kind));
        if (t->classification) {
            long long total = 0;
            for (size_t k = 0; k < t->nclasses; k++)
                total += t->classes[k].count;
            size_t n = t->nclasses < 10 ? t->nclasses : 10;
            put_values(&b, t->classes, n, total);
            if (t->nclasses_total > (long long)n)
                buf_printf(&b, ", ... (%lld classes)", t->nclasses_total);
        } else {
            buf_puts(&b, "mean ");
            put_num(&b, t->mean);
            buf_puts(&b, ", std ");
            put_num(&b, t->std);
            buf_puts(&b, ", min ");
            put_num(&b, t->min);
            buf_puts(&b, ", max ");
            put_num(&b, t->max);
        }
        md_line(m, buf_str(&b));
        buf_truncate(&b, 0);
    }
    buf_free(&b);
}

static void render_groups(struct md *m, const struct profile *p)
{
    if (p->ngroups == 0 || !md_line(m, "\n## Other files"))
        return;
    for (size_t i = 0; i < p->ngroups; i++) {
        const struct profile_group *g = &p->groups[i];
        struct buf b = {0};
        buf_puts(&b, "- ");
        put_cell(&b, g->pattern);
        buf_printf(&b, ": %lld %s file%s, ", g->count, task_kind_name(g->kind), g->count == 1 ? "" : "s");
        put_size(&b, g->bytes);
        if (g->has_media) {
            char *media = profile_media_text(&g->media, g->kind);
            buf_printf(&b, "; %s", media);
            free(media);
        }
        if (g->archive)
            buf_printf(&b, "; unpacked from %s into input/", g->archive);
        bool last = i + 1 == p->ngroups;
        bool ok = md_line_within(m, buf_str(&b), last ? m->max : (m->max > 40 ? m->max - 40 : 0));
        buf_free(&b);
        if (!ok) {
            char more[64];
            snprintf(more, sizeof more, "- ... and %zu more groups", p->ngroups - i);
            md_line(m, more);
            return;
        }
    }
}

static unsigned weight(enum task_file_role r)
{
    return r == TASK_ROLE_TRAIN ? 4 : r == TASK_ROLE_TEST ? 2 : 1;
}

char *profile_to_markdown(const struct profile *p, size_t max_bytes)
{
    struct md m = {.max = max_bytes};
    char *title = xasprintf("# Data profile: %s", p->task);
    bool ok = md_line(&m, title);
    free(title);
    if (!ok)
        return xstrdup("");
    render_header(&m, p);
    size_t groups_reserve = p->ngroups ? 120 : 0;
    for (size_t i = 0; i < p->nfiles; i++) {
        unsigned w_rest = 0;
        for (size_t k = i; k < p->nfiles; k++)
            w_rest += weight(p->files[k]->role);
        size_t left = m.max > m.b.len + groups_reserve ? m.max - m.b.len - groups_reserve : 0;
        size_t share = (size_t)((double)left * weight(p->files[i]->role) / w_rest);
        render_file(&m, p, p->files[i], m.b.len + share);
    }
    render_groups(&m, p);
    return buf_detach(&m.b);
}
