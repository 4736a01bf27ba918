# model/nbsvm: NB-SVM (Wang & Manning 2012): TF-IDF word and character n-grams scaled by naive-Bayes
# log-count ratios, then logistic regression; one-vs-rest for several classes. Strong on short texts.
class NBSVMModel:
    def __init__(self, spec, params):
        self.spec, self.p = spec, dict(params)

    def fit(self, fs, y):
        from sklearn.linear_model import LogisticRegression
        self.prep = Prep("linear", text="word_char", max_text_features=int(self.p["max_features"]))
        X = self.prep.fit_transform(fs)
        X = sp.csr_matrix(X) if not sp.issparse(X) else X
        y = np.asarray(y, dtype=int)
        classes = [1] if self.spec["kind"] == "binary" else list(range(self.spec["n_classes"]))
        self.members = []
        for c in classes:
            target = (y == c).astype(int)
            if target.min() == target.max():
                self.members.append((c, None, float(target.mean())))
                continue
            Xa = abs(X)
            pos = np.asarray(Xa[target == 1].sum(axis=0)).ravel() + 1.0
            neg = np.asarray(Xa[target == 0].sum(axis=0)).ravel() + 1.0
            r = np.log((pos / pos.sum()) / (neg / neg.sum())).astype(np.float32)
            clf = LogisticRegression(C=self.p["C"], max_iter=3000, solver="liblinear")
            clf.fit(X.multiply(r).tocsr(), target)
            self.members.append((c, (r, clf), None))
        return self

    def predict(self, fs):
        X = self.prep.transform(fs)
        X = sp.csr_matrix(X) if not sp.issparse(X) else X
        cols = []
        for c, fitted, constant in self.members:
            if fitted is None:
                cols.append(np.full(X.shape[0], constant))
            else:
                r, clf = fitted
                cols.append(clf.predict_proba(X.multiply(r).tocsr())[:, 1])
        if self.spec["kind"] == "binary":
            return cols[0]
        proba = np.column_stack(cols)
        return proba / np.clip(proba.sum(axis=1, keepdims=True), 1e-15, None)


def _make_nbsvm(spec, params=dict(C={{C}}, max_features={{max_features}})):
    return NBSVMModel(spec, params)


MODELS.append(("nbsvm", _make_nbsvm))
