# model/mlp: scikit-learn multi-layer perceptron (Adam, early stopping) on standardized features.
def _make_mlp(spec, params=dict(hidden={{hidden}}, alpha={{alpha}}, learning_rate_init={{learning_rate_init}},
                                max_iter={{max_iter}})):
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    def make(spec):
        common = dict(hidden_layer_sizes=tuple(params["hidden"]), alpha=params["alpha"],
                      learning_rate_init=params["learning_rate_init"], max_iter=int(params["max_iter"]),
                      early_stopping=True, n_iter_no_change=10, random_state=int(CONFIG.get("seed", 0)))
        if spec["kind"] == "regression":
            return TransformedTargetRegressor(regressor=MLPRegressor(**common), transformer=StandardScaler())
        return MLPClassifier(**common)
    return SkModel(spec, make, Prep("dense_scaled", text="word", svd=100, seed=int(CONFIG.get("seed", 0))))


MODELS.append(("mlp", _make_mlp))
