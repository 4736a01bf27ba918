# model/random_forest: bagged deep decision trees; little tuning needed, robust to noise and outliers.
def _make_random_forest(spec, params=dict(
        n_estimators={{n_estimators}}, max_features={{max_features}}, min_samples_leaf={{min_samples_leaf}},
        max_depth={{max_depth}}, balance_classes={{balance_classes}})):
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    def make(spec):
        common = dict(n_estimators=int(params["n_estimators"]), max_features=params["max_features"],
                      min_samples_leaf=int(params["min_samples_leaf"]), max_depth=params["max_depth"],
                      n_jobs=int(CONFIG.get("threads") or 1), random_state=int(CONFIG.get("seed", 0)))
        if spec["kind"] == "regression":
            return RandomForestRegressor(**common)
        return RandomForestClassifier(class_weight="balanced" if params["balance_classes"] else None, **common)
    return SkModel(spec, make, Prep("tree_filled", text="word", svd=64, seed=int(CONFIG.get("seed", 0))))


MODELS.append(("random_forest", _make_random_forest))
