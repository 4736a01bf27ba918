# model/linear: logistic regression (classification) or ridge regression on standardized numeric
# columns, missing-value flags, one-hot categoricals and word TF-IDF of text; the simplest model.
def _make_linear(spec, params=dict(C={{C}}, alpha={{alpha}}, balance_classes={{balance_classes}})):
    from sklearn.linear_model import LogisticRegression, Ridge

    def make(spec):
        if spec["kind"] == "regression":
            return Ridge(alpha=params["alpha"])
        return LogisticRegression(C=params["C"], max_iter=2000,
                                  class_weight="balanced" if params["balance_classes"] else None)
    return SkModel(spec, make, Prep("linear", text="word", max_text_features=50000))


MODELS.append(("linear", _make_linear))
