# model/svm: RBF-kernel support vector machine on standardized features (training rows capped by
# max_rows: kernel methods scale quadratically); good on small, dense numeric data.
def _make_svm(spec, params=dict(C={{C}}, gamma={{gamma}}, epsilon={{epsilon}}, max_rows={{max_rows}},
                                balance_classes={{balance_classes}})):
    from sklearn.svm import SVC, SVR
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.preprocessing import StandardScaler

    def make(spec):
        if spec["kind"] == "regression":
            return TransformedTargetRegressor(regressor=SVR(C=params["C"], gamma=params["gamma"],
                                                            epsilon=params["epsilon"]),
                                              transformer=StandardScaler())
        calibrated = CONFIG.get("metric") in ("logloss", "multiclass_logloss") or spec["kind"] == "multiclass"
        return SVC(C=params["C"], gamma=params["gamma"], probability=calibrated,
                   class_weight="balanced" if params["balance_classes"] else None,
                   random_state=int(CONFIG.get("seed", 0)))
    return SkModel(spec, make, Prep("dense_scaled", text="word", svd=100, seed=int(CONFIG.get("seed", 0))),
                   max_rows=int(params["max_rows"]))


MODELS.append(("svm", _make_svm))
