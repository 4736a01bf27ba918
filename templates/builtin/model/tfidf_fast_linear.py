# model/tfidf_fast_linear: the fast text model: word 1-2-gram TF-IDF capped at max_features terms
# (min_df, sublinear tf), plus the scaled tabular columns, with liblinear logistic regression (binary),
# SAGA multinomial logistic regression (multiclass) or ridge (regression, sparse solver). Seconds on
# 20k rows on one core; the planner ranks it first for text when the time budget is tight.
def _make_tfidf_fast_linear(spec, params=dict(C={{C}}, alpha={{alpha}}, max_features={{max_features}},
                                              max_iter={{max_iter}})):
    from sklearn.linear_model import LogisticRegression, Ridge

    def make(spec):
        if spec["kind"] == "regression":
            return Ridge(alpha=params["alpha"], solver="sparse_cg")
        if spec["kind"] == "binary":
            return LogisticRegression(C=params["C"], solver="liblinear", max_iter=int(params["max_iter"]))
        return LogisticRegression(C=params["C"], solver="saga", max_iter=int(params["max_iter"]), tol=1e-3)
    return SkModel(spec, make, Prep("linear", text="word", max_text_features=int(params["max_features"])))


MODELS.append(("tfidf_fast_linear", _make_tfidf_fast_linear))
