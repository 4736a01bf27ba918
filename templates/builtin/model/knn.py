# model/knn: k-nearest neighbours on standardized features, distance-weighted; useful on small, dense,
# low-dimensional data and as a diverse ensemble member.
def _make_knn(spec, params=dict(n_neighbors={{n_neighbors}}, weights={{weights}}, max_rows={{max_rows}})):
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    def make(spec):
        cls = KNeighborsRegressor if spec["kind"] == "regression" else KNeighborsClassifier
        return cls(n_neighbors=int(params["n_neighbors"]), weights=params["weights"],
                   n_jobs=int(CONFIG.get("threads") or 1))
    return SkModel(spec, make, Prep("dense_scaled", text="word", svd=64, seed=int(CONFIG.get("seed", 0))),
                   max_rows=int(params["max_rows"]))


MODELS.append(("knn", _make_knn))
