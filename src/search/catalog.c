/* catalog.c - model cards indexed with SQLite FTS5; see search.h.
 *
 * The index lives in a private in-memory database: cards are few (tens), so
 * building it at open costs well under a millisecond per card and keeps the
 * run folder free of derived files. Ranking is FTS5's bm25() with the name
 * and tags weighted above the prose. */
#include "search/search.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "util/assets.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/mem.h"

struct search_catalog {
    struct search_card *cards;
    size_t ncards;
    sqlite3 *db;
    pthread_mutex_t lock;
};

void search_card_clear(struct search_card *card)
{
    free(card->name);
    free(card->kinds);
    free(card->snippet);
    free(card->tags);
    free(card->requires);
    free(card->body);
    free(card->path);
    memset(card, 0, sizeof *card);
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static void set_field(struct search_card *card, const char *key, size_t klen, char *value)
{
    char **slot = NULL;
    if (klen == 4 && !strncmp(key, "name", 4))
        slot = &card->name;
    else if (klen == 5 && !strncmp(key, "kinds", 5))
        slot = &card->kinds;
    else if (klen == 7 && !strncmp(key, "snippet", 7))
        slot = &card->snippet;
    else if (klen == 4 && !strncmp(key, "tags", 4))
        slot = &card->tags;
    else if (klen == 8 && !strncmp(key, "requires", 8))
        slot = &card->requires;
    if (!slot) {
        free(value); /* unknown keys are allowed and ignored */
        return;
    }
    free(*slot);
    *slot = value;
}

int search_card_parse(const char *path, const char *text, struct search_card *out, struct err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    if (strncmp(p, "---", 3) != 0)
        return err_set(err, "model card %s: does not start with a `---` front-matter line", path);
    p = strchr(p, '\n');
    while (p && *++p) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len >= 3 && !strncmp(p, "---", 3)) {
            p = eol ? eol + 1 : p + len;
            break;
        }
        const char *colon = memchr(p, ':', len);
        if (colon) {
            char *key = trim_dup(p, (size_t)(colon - p));
            set_field(out, key, strlen(key), trim_dup(colon + 1, len - (size_t)(colon - p) - 1));
            free(key);
        }
        if (!eol) {
            p = NULL;
            break;
        }
        p = eol;
    }
    if (!p) {
        search_card_clear(out);
        return err_set(err, "model card %s: front matter is not closed by a `---` line", path);
    }
    if (!out->name || !*out->name) {
        search_card_clear(out);
        return err_set(err, "model card %s: front matter has no `name:`", path);
    }
    out->body = xstrdup(p);
    out->path = xstrdup(path);
    if (!out->kinds) out->kinds = xstrdup("");
    if (!out->snippet) out->snippet = xstrdup("");
    if (!out->tags) out->tags = xstrdup("");
    if (!out->requires) out->requires = xstrdup("");
    return 0;
}

static void add_card(struct search_catalog *c, struct search_card *card)
{
    c->cards = xrealloc(c->cards, (c->ncards + 1) * sizeof *c->cards);
    c->cards[c->ncards++] = *card;
}

static int load_embedded(struct search_catalog *c, struct err *err)
{
    for (const struct asset *a = assets_table; a->path; a++) {
        size_t n = strlen(a->path);
        if (strncmp(a->path, "catalog/", 8) != 0 || n < 3 || strcmp(a->path + n - 3, ".md") != 0)
            continue;
        if (!strcmp(fs_basename(a->path), "README.md"))
            continue;
        struct search_card card;
        if (search_card_parse(a->path, a->data, &card, err) < 0)
            return -1;
        add_card(c, &card);
    }
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(struct search_catalog *c, const char *dir, struct err *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return err_sys(err, errno, "cannot open catalog folder %s", dir);
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n > 3 && !strcmp(e->d_name + n - 3, ".md") && strcmp(e->d_name, "README.md")) {
            names = xrealloc(names, (nnames + 1) * sizeof *names);
            names[nnames++] = xstrdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, nnames, sizeof *names, cmp_names);
    int rc = 0;
    for (size_t i = 0; i < nnames; i++) {
        char *path = fs_join(dir, names[i]);
        char *text = NULL;
        struct search_card card;
        if (rc == 0 && fs_read_file(path, 1 << 20, &text, NULL, err) == 0 &&
            search_card_parse(path, text, &card, err) == 0)
            add_card(c, &card);
        else
            rc = -1;
        free(text);
        free(path);
        free(names[i]);
    }
    free(names);
    if (rc == 0 && c->ncards == 0)
        return err_set(err, "catalog folder %s holds no model cards (*.md)", dir);
    return rc;
}

static int build_index(struct search_catalog *c, struct err *err)
{
    if (sqlite3_open(":memory:", &c->db) != SQLITE_OK)
        return err_set(err, "cannot open the in-memory search index");
    char *msg = NULL;
    if (sqlite3_exec(c->db, "CREATE VIRTUAL TABLE cards USING fts5(name, kinds, tags, body)", NULL, NULL,
                     &msg) != SQLITE_OK) {
        err_set(err, "cannot create the search index (SQLite without FTS5?): %s", msg ? msg : "");
        sqlite3_free(msg);
        return -1;
    }
    sqlite3_stmt *st;
    sqlite3_prepare_v2(c->db, "INSERT INTO cards(rowid, name, kinds, tags, body) VALUES (?,?,?,?,?)", -1, &st,
                       NULL);
    for (size_t i = 0; i < c->ncards; i++) {
        const struct search_card *card = &c->cards[i];
        sqlite3_bind_int64(st, 1, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st, 2, card->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, card->kinds, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, card->tags, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 5, card->body, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) {
            err_set(err, "cannot index model card %s: %s", card->path, sqlite3_errmsg(c->db));
            sqlite3_finalize(st);
            return -1;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return 0;
}

int search_catalog_open(const char *dir, struct search_catalog **out, struct err *err)
{
    struct search_catalog *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    int rc = (dir && *dir) ? load_dir(c, dir, err) : load_embedded(c, err);
    if (rc == 0)
        rc = build_index(c, err);
    if (rc < 0) {
        search_catalog_free(c);
        *out = NULL;
        return -1;
    }
    *out = c;
    return 0;
}

void search_catalog_free(struct search_catalog *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncards; i++)
        search_card_clear(&c->cards[i]);
    free(c->cards);
    if (c->db)
        sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

size_t search_catalog_size(const struct search_catalog *c)
{
    return c->ncards;
}

const struct search_card *search_catalog_card(const struct search_catalog *c, size_t i)
{
    return i < c->ncards ? &c->cards[i] : NULL;
}

const struct search_card *search_catalog_find(const struct search_catalog *c, const char *name)
{
    for (size_t i = 0; i < c->ncards; i++)
        if (!strcmp(c->cards[i].name, name))
            return &c->cards[i];
    return NULL;
}

/* "binary tabular, text" -> "\"binary\" OR \"tabular\" OR \"text\"": every
 * word quoted, so no query text is ever read as FTS5 syntax. */
static char *fts_query(const char *query)
{
    struct buf q = {0};
    const char *p = query;
    while (*p) {
        while (*p && !isalnum((unsigned char)*p) && *p != '_')
            p++;
        const char *start = p;
        while (*p && (isalnum((unsigned char)*p) || *p == '_'))
            p++;
        if (p > start) {
            if (q.len)
                buf_puts(&q, " OR ");
            buf_printf(&q, "\"%.*s\"", (int)(p - start), start);
        }
    }
    return buf_detach(&q);
}

static int word_in_list(const char *list, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += wl) {
        bool starts = p == list || isspace((unsigned char)p[-1]) || p[-1] == ',';
        bool ends = p[wl] == '\0' || isspace((unsigned char)p[wl]) || p[wl] == ',';
        if (starts && ends)
            return 1;
    }
    return 0;
}

static int requirements_met(const struct search_card *card, int (*has_package)(void *, const char *), void *ctx)
{
    if (!has_package || !*card->requires)
        return 1;
    int ok = 1;
    char *req = xstrdup(card->requires);
    for (char *save = NULL, *tok = strtok_r(req, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save))
        if (!has_package(ctx, tok))
            ok = 0;
    free(req);
    return ok;
}

int search_catalog_query(struct search_catalog *c, const char *query, const char *kind,
                         int (*has_package)(void *ctx, const char *name), void *ctx,
                         struct search_hit *hits, size_t limit, size_t *nhits, struct err *err)
{
    *nhits = 0;
    char *q = fts_query(query);
    if (!*q) {
        free(q);
        return err_set(err, "the search query '%s' has no words", query);
    }
    pthread_mutex_lock(&c->lock);
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(c->db,
                                "SELECT rowid, bm25(cards, 4.0, 2.0, 3.0, 1.0) FROM cards WHERE cards MATCH ? "
                                "ORDER BY 2, rowid",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, q, -1, SQLITE_STATIC);
        while (*nhits < limit && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const struct search_card *card = &c->cards[sqlite3_column_int64(st, 0) - 1];
            if (kind && *kind && !word_in_list(card->kinds, kind))
                continue;
            if (!requirements_met(card, has_package, ctx))
                continue;
            hits[*nhits].card = card;
            hits[*nhits].rank = sqlite3_column_double(st, 1);
            (*nhits)++;
        }
        if (rc == SQLITE_DONE || rc == SQLITE_ROW)
            rc = SQLITE_OK;
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK)
        err_set(err, "catalog search for '%s' failed: %s", query, sqlite3_errmsg(c->db));
    pthread_mutex_unlock(&c->lock);
    free(q);
    return rc == SQLITE_OK ? 0 : -1;
}
