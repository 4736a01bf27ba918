/* search_catalog_test.c - model cards: parsing, FTS5 ranking, filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "search/search.h"
#include "util/fs.h"

static char dir[] = "/tmp/mlestar-cards-XXXXXX";

static void write_card(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.md", dir, name);
    assert_int_equal(fs_write_file(path, text, strlen(text), NULL), 0);
}

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    write_card("xgboost", "---\nname: xgboost\nkinds: binary multiclass regression\ntags: tabular boosting "
                          "categorical missing\nrequires: xgboost\n---\nGradient boosted trees for tabular data.\n");
    write_card("tfidf", "---\nname: tfidf_linear\nkinds: binary multiclass\ntags: text words characters\n---\n"
                        "TF-IDF of word and character n-grams with a linear model, for free text.\n");
    write_card("ridge", "---\nname: ridge\nkinds: regression\ntags: tabular linear\n---\nA linear baseline.\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    return fs_rm_rf(dir, NULL);
}

static int no_xgboost(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "xgboost") != 0;
}

static void test_ranking_and_filters(void **state)
{
    (void)state;
    struct search_catalog *c;
    struct err err = {{0}};
    assert_int_equal(search_catalog_open(dir, &c, &err), 0);
    assert_int_equal(search_catalog_size(c), 3);
    struct search_hit hits[8];
    size_t n;
    assert_int_equal(search_catalog_query(c, "binary text comments", "binary", NULL, NULL, hits, 8, &n, &err), 0);
    assert_true(n >= 1);
    assert_string_equal(hits[0].card->name, "tfidf_linear");
    assert_int_equal(search_catalog_query(c, "tabular categorical", "", NULL, NULL, hits, 8, &n, &err), 0);
    assert_string_equal(hits[0].card->name, "xgboost");
    /* kind filter */
    assert_int_equal(search_catalog_query(c, "tabular linear", "regression", NULL, NULL, hits, 8, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(hits[i].card->kinds, "regression"));
    /* a missing package hides the card */
    assert_int_equal(search_catalog_query(c, "tabular boosting", "", no_xgboost, NULL, hits, 8, &n, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(hits[i].card->name, "xgboost");
    /* query text is never FTS syntax */
    assert_int_equal(search_catalog_query(c, "\"NEAR( OR *", "", NULL, NULL, hits, 8, &n, &err), 0);
    assert_int_equal(search_catalog_query(c, "!!!", "", NULL, NULL, hits, 8, &n, &err), -1);
    assert_non_null(strstr(err.msg, "no words"));
    search_catalog_free(c);
}

static void test_bad_cards_are_named(void **state)
{
    (void)state;
    struct search_card card;
    struct err err = {{0}};
    assert_int_equal(search_card_parse("x.md", "no front matter", &card, &err), -1);
    assert_non_null(strstr(err.msg, "x.md"));
    assert_int_equal(search_card_parse("y.md", "---\nname: a\nbody without end", &card, &err), -1);
    assert_non_null(strstr(err.msg, "not closed"));
    assert_int_equal(search_card_parse("z.md", "---\nkinds: binary\n---\nbody", &card, &err), -1);
    assert_non_null(strstr(err.msg, "no `name:`"));
    assert_int_equal(search_card_parse("ok.md", "---\nname: a\nextra: ignored\n---\nbody\n", &card, &err), 0);
    assert_string_equal(card.body, "body\n");
    search_card_clear(&card);
    struct search_catalog *c;
    assert_int_equal(search_catalog_open("/nonexistent/cards", &c, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/cards"));
}

static void test_embedded_catalog_opens(void **state)
{
    (void)state;
    struct search_catalog *c;
    struct err err = {{0}};
    if (search_catalog_open(NULL, &c, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(search_catalog_size(c) > 0);
    search_catalog_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranking_and_filters),
        cmocka_unit_test(test_bad_cards_are_named),
        cmocka_unit_test(test_embedded_catalog_opens),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
