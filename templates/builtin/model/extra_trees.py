# model/extra_trees: extremely randomized trees; like a random forest with random split points, often
# better on small, smooth, numeric data.
def _make_extra_trees(spec, params=dict(
        n_estimators={{n_estimators}}, max_features={{max_features}}, min_samples_leaf={{min_samples_leaf}},
        max_depth={{max_depth}}, balance_classes={{balance_classes}})):
    from sklearn.ensemble import ExtraTreesClassifier, ExtraTreesRegressor

    def make(spec):
        common = dict(n_estimators=int(params["n_estimators"]), max_features=params["max_features"],
                      min_samples_leaf=int(params["min_samples_leaf"]), max_depth=params["max_depth"],
                      n_jobs=int(CONFIG.get("threads") or 1), random_state=int(CONFIG.get("seed", 0)))
        if spec["kind"] == "regression":
            return ExtraTreesRegressor(**common)
        return ExtraTreesClassifier(class_weight="balanced" if params["balance_classes"] else None, **common)
    return SkModel(spec, make, Prep("tree_filled", text="word", svd=64, seed=int(CONFIG.get("seed", 0))))


MODELS.append(("extra_trees", _make_extra_trees))
