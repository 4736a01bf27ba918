/* builtin_metric.c - the metric named by a task description, by rules over
 * its wording. The Evaluation section is read first (that is where Kaggle
 * pages name the metric); the whole text only when it says nothing. Rules
 * go from the most specific wording to the most general, so "mean
 * column-wise RMSLE" is not read as RMSLE and "multi-class log loss" not as
 * log loss. */
#include "agent/builtin.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct metric_rule {
    const char *phrase;     /* lower-case; matched in lower-cased text */
    const char *metric;
    bool lower_is_better;
};

static const struct metric_rule rules[] = {
    {"column wise root mean squared logarithmic error", "rmsle_mean_columns", true},
    {"columnwise root mean squared logarithmic error", "rmsle_mean_columns", true},
    {"column wise rmsle", "rmsle_mean_columns", true},
    {"column wise roc auc", "auc_mean_columns", false},
    {"column wise auc", "auc_mean_columns", false},
    {"quadratic weighted kappa", "qwk", false},
    {"root mean squared logarithmic error", "rmsle", true},
    {"root mean square logarithmic error", "rmsle", true},
    {"rmsle", "rmsle", true},
    {"logarithm of the predicted", "rmse_log", true},
    {"log of the predicted", "rmse_log", true},
    {"multi class logarithmic loss", "multiclass_logloss", true},
    {"multiclass logarithmic loss", "multiclass_logloss", true},
    {"multi class log loss", "multiclass_logloss", true},
    {"multiclass log loss", "multiclass_logloss", true},
    {"logarithmic loss", "logloss", true},
    {"log loss", "logloss", true},
    {"logloss", "logloss", true},
    {"cross entropy", "logloss", true},
    {"area under the roc", "auc", false},
    {"area under the receiver operating", "auc", false},
    {"roc curve", "auc", false},
    {"auc", "auc", false},
    {"mean absolute error", "mae", true},
    {"root mean squared error", "rmse", true},
    {"root mean square error", "rmse", true},
    {"rmse", "rmse", true},
    {"f1 score", "f1", false},
    {"classification accuracy", "accuracy", false},
    {"accuracy", "accuracy", false},
    {"percentage of correctly", "accuracy", false},
};

/* Lower-cased, Markdown link brackets and emphasis dropped, hyphens read as
 * spaces and whitespace runs made one space: "column-wise [root mean
 * squared logarithmic error](url)" reads as "column wise root mean squared
 * logarithmic error(url)" (the rules are written the same way). Newlines are kept
 * (the section finder needs them). */
static char *lower_copy(const char *s)
{
    char *out = xstrdup(s);
    char *w = out;
    for (const char *p = s; *p; p++) {
        char c = (char)tolower((unsigned char)*p);
        if (c == '[' || c == ']' || c == '*' || c == '_')
            continue;
        if (c == '-')
            c = ' ';
        if ((c == ' ' || c == '\t') && w > out && (w[-1] == ' ' || w[-1] == '\n'))
            continue;
        *w++ = c == '\t' ? ' ' : c;
    }
    *w = '\0';
    return out;
}

/* The "Evaluation" section: from a line holding "evaluation" as a heading
 * to the next Markdown heading. */
static char *evaluation_section(const char *lower)
{
    for (const char *p = lower; (p = strstr(p, "evaluation")) != NULL; p++) {
        const char *bol = p;
        while (bol > lower && bol[-1] != '\n')
            bol--;
        if (*bol != '#' && strncmp(bol, "evaluation", 10) != 0)
            continue;
        const char *body = strchr(p, '\n');
        if (!body)
            return NULL;
        const char *end = strstr(body + 1, "\n#");
        return xstrndup(body, end ? (size_t)(end - body) : strlen(body));
    }
    return NULL;
}

/* The phrase as whole words ("auc" does not match "sauce"). */
static bool contains_words(const char *text, const char *phrase)
{
    size_t n = strlen(phrase);
    for (const char *p = text; (p = strstr(p, phrase)) != NULL; p++) {
        bool starts = p == text || !isalnum((unsigned char)p[-1]);
        bool ends = !isalnum((unsigned char)p[n]);
        if (starts && ends)
            return true;
    }
    return false;
}

static const struct metric_rule *match(const char *text)
{
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
        if (contains_words(text, rules[i].phrase))
            return &rules[i];
    return NULL;
}

int builtin_metric_from_text(const char *description, const char *problem, const char **metric,
                             bool *lower_is_better)
{
    char *lower = lower_copy(description);
    char *section = evaluation_section(lower);
    const struct metric_rule *r = section ? match(section) : NULL;
    if (!r)
        r = match(lower);
    free(section);
    free(lower);
    if (!r)
        return -1;
    *metric = r->metric;
    if (!strcmp(r->metric, "logloss") && problem && !strcmp(problem, "multiclass"))
        *metric = "multiclass_logloss";
    *lower_is_better = r->lower_is_better;
    return 0;
}
