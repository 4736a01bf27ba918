# features/target_encoding: out-of-fold target means of categorical columns with many levels (smoothed
# towards the global mean). Training-fold rows get values from an inner K-fold, so no row sees its own
# target; other rows get the training-fold means.
class TargetEncoding:
    def fit(self, df, Y, kinds):
        from sklearn.model_selection import KFold
        self.cols = [c for c in kinds["categorical"] if c in df.columns
                     and df[c].nunique() >= {{min_levels}}]
        Yt = self._targets(Y)
        self.prior = Yt.mean(axis=0)
        self.tables = {c: self._table(df[c], Yt) for c in self.cols}
        self.fit_values = np.full((len(df), len(self.cols) * Yt.shape[1]), np.nan, np.float32)
        for tr, va in KFold(5, shuffle=True, random_state=int(CONFIG.get("seed", 0))).split(df):
            for j, c in enumerate(self.cols):
                table = self._table(df[c].iloc[tr], Yt[tr])
                self.fit_values[va, j * Yt.shape[1]:(j + 1) * Yt.shape[1]] = self._lookup(df[c].iloc[va], table)

    def _targets(self, Y):
        Y = np.asarray(Y, dtype=float)
        if PROBLEM == "multiclass":
            n_classes = len(CLASSES[0])
            return np.eye(n_classes)[Y[:, 0].astype(int)][:, 1:] if n_classes > 1 else Y[:, :1]
        return Y

    def _table(self, col, Yt):
        keys = col.astype(str).where(col.notna()).fillna("__nan__").to_numpy()
        frame = pd.DataFrame(Yt, columns=range(Yt.shape[1]))
        frame["key"] = keys
        grouped = frame.groupby("key")
        counts = grouped.size().to_numpy()[:, None]
        means = grouped.mean().to_numpy()
        smooth = float({{smoothing}})
        return dict(zip(grouped.size().index, (counts * means + smooth * self.prior) / (counts + smooth)))

    def _lookup(self, col, table):
        keys = col.astype(str).where(col.notna()).fillna("__nan__")
        return np.vstack([table.get(k, self.prior) for k in keys]).astype(np.float32)

    def transform(self, df, kinds, is_fit_frame):
        if not self.cols:
            return None
        k = len(self.prior)
        if is_fit_frame:
            values = self.fit_values
        else:
            values = np.hstack([self._lookup(df[c], self.tables[c]) for c in self.cols])
        names = [f"{c}__te{t}" for c in self.cols for t in range(k)]
        return pd.DataFrame(values, columns=names, index=df.index)


FIT_STEPS.append(TargetEncoding)
