/* search.h - finding model cards for the retrieval stage.
 *
 * MLE-STAR's first stage asks for effective models for the task. Online,
 * a provider with a web-search tool answers; offline (and for providers
 * without one) the answer comes from mlestar's own catalog of model cards:
 * catalog/<name>.md files, embedded in the binary (or read from
 * search.catalog_dir), indexed in an in-memory SQLite FTS5 table and ranked
 * by BM25 against a query built from the task profile.
 *
 * A card is Markdown with a front-matter block:
 *     ---
 *     name: xgboost
 *     kinds: binary multiclass regression multi_regression
 *     snippet: model/xgboost
 *     tags: tabular gradient boosting trees categorical missing
 *     requires: xgboost
 *     ---
 *     prose on when it works, then example code.
 * Every field but name is optional. A catalog is read-only after opening and
 * may be queried from several threads (queries serialize on a mutex). */
#ifndef MLESTAR_SEARCH_SEARCH_H
#define MLESTAR_SEARCH_SEARCH_H

#include <stddef.h>

#include "util/err.h"

struct search_card {
    char *name;
    char *kinds;      /* space-separated problem kinds */
    char *snippet;    /* builtin snippet it maps to, "" when none */
    char *tags;
    char *requires;   /* space-separated Python packages */
    char *body;       /* the Markdown after the front matter */
    char *path;       /* "catalog/xgboost.md" */
};

struct search_hit {
    const struct search_card *card;  /* owned by the catalog */
    double rank;                     /* BM25; lower is better */
};

struct search_catalog;

/* dir NULL or "": the embedded catalog. Errors name the bad card file. */
int search_catalog_open(const char *dir, struct search_catalog **out, struct err *err);
void search_catalog_free(struct search_catalog *c);
size_t search_catalog_size(const struct search_catalog *c);
const struct search_card *search_catalog_card(const struct search_catalog *c, size_t i);
const struct search_card *search_catalog_find(const struct search_catalog *c, const char *name);

/* Ranks cards against free-text `query` (words are OR-ed). When `kind` is
 * non-empty only cards listing it in `kinds` are returned. Cards whose
 * `requires` names a package that `has_package` says is missing are
 * skipped (has_package may be NULL: nothing skipped). Fills up to `limit`
 * hits, best first; *nhits gets the count. */
int search_catalog_query(struct search_catalog *c, const char *query, const char *kind,
                         int (*has_package)(void *ctx, const char *name), void *ctx,
                         struct search_hit *hits, size_t limit, size_t *nhits, struct err *err);

/* Parses one card; 0 or -1 with err naming `path`. */
int search_card_parse(const char *path, const char *text, struct search_card *out, struct err *err);
void search_card_clear(struct search_card *card);

#endif
