# model/tfidf_word_char_linear: word 1-2-gram and character 2-5-gram TF-IDF of the text columns (plus
# the scaled tabular columns), with logistic regression (classification) or ridge (regression).
def _make_tfidf_word_char_linear(spec, params=dict(C={{C}}, alpha={{alpha}}, max_features={{max_features}},
                                                   balance_classes={{balance_classes}})):
    from sklearn.linear_model import LogisticRegression, Ridge

    def make(spec):
        if spec["kind"] == "regression":
            return Ridge(alpha=params["alpha"])
        return LogisticRegression(C=params["C"], max_iter=3000, solver="liblinear" if spec["kind"] == "binary"
                                  else "lbfgs", class_weight="balanced" if params["balance_classes"] else None)
    return SkModel(spec, make, Prep("linear", text="word_char", max_text_features=int(params["max_features"])))


MODELS.append(("tfidf_word_char_linear", _make_tfidf_word_char_linear))
