# model/hashing_sgd: the fastest text model: hashed word 1-2-grams (no vocabulary to build, memory fixed
# by n_features) with sublinear tf-idf weighting, plus the scaled tabular columns, fitted by SGD
# (logistic loss for classes, squared loss for regression) for a few epochs. For big or time-starved
# text tasks; a second, different text member next to tfidf_fast_linear.
class HashingSGDModel:
    def __init__(self, spec, params):
        self.spec, self.params = spec, params

    def _text(self, fs, fit):
        from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
        if fs.text is None:
            return None
        if fit:
            self.hasher = HashingVectorizer(ngram_range=(1, 2), n_features=2 ** int(self.params["hash_bits"]),
                                            alternate_sign=False, norm=None, dtype=np.float32)
            self.tfidf = TfidfTransformer(sublinear_tf=True)
            return self.tfidf.fit_transform(self.hasher.transform(fs.text))
        return self.tfidf.transform(self.hasher.transform(fs.text))

    def _matrix(self, fs, fit):
        dense = self.prep.fit_transform(fs) if fit else self.prep.transform(fs)
        text = self._text(fs, fit)
        return sp.hstack([sp.csr_matrix(dense), text]).tocsr() if text is not None else dense

    def fit(self, fs, y, fs_valid=None, y_valid=None):
        from sklearn.linear_model import SGDClassifier, SGDRegressor
        self.prep = Prep("linear", text="none")
        X = self._matrix(fs, True)
        common = dict(alpha=self.params["alpha"], max_iter=int(self.params["epochs"]), tol=None,
                      random_state=CONFIG.get("seed", 0))
        if self.spec["kind"] == "regression":
            self.est = SGDRegressor(**common)
            self.est.fit(X, np.asarray(y, dtype=float))
        else:
            self.est = SGDClassifier(loss="log_loss", **common)
            self.est.fit(X, np.asarray(y).astype(int))
        return self

    def predict(self, fs):
        X = self._matrix(fs, False)
        if self.spec["kind"] == "regression":
            return np.asarray(self.est.predict(X), dtype=float)
        proba = full_proba(self.est, X, self.spec["n_classes"])
        return proba[:, 1] if self.spec["kind"] == "binary" else proba


def _make_hashing_sgd(spec, params=dict(alpha={{alpha}}, hash_bits={{hash_bits}}, epochs={{epochs}})):
    return HashingSGDModel(spec, params)


MODELS.append(("hashing_sgd", _make_hashing_sgd))
