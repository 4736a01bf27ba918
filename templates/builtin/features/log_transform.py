# features/log_transform: log1p copies of skewed non-negative numeric columns, plus the row sum, the
# log of the row sum and the count of non-zero values over those columns (e.g. several spending columns).
class LogTransform:
    def fit(self, df, kinds):
        self.cols = []
        for c in kinds["numeric"]:
            if c not in df.columns:
                continue
            v = pd.to_numeric(df[c], errors="coerce")
            if v.notna().sum() > 10 and v.min() >= 0 and v.nunique() > 10 and v.skew() > {{min_skew}}:
                self.cols.append(c)

    def apply(self, df, kinds, role):
        df = df.copy()
        if not self.cols:
            return df, kinds
        block = df[self.cols].apply(pd.to_numeric, errors="coerce")
        for c in self.cols:
            df[f"{c}__log1p"] = np.log1p(block[c].clip(lower=0))
            kinds["numeric"].append(f"{c}__log1p")
        if len(self.cols) > 1:
            df["skewed__sum"] = block.sum(axis=1)
            df["skewed__log_sum"] = np.log1p(block.sum(axis=1).clip(lower=0))
            df["skewed__n_nonzero"] = (block > 0).sum(axis=1)
            kinds["numeric"] += ["skewed__sum", "skewed__log_sum", "skewed__n_nonzero"]
        return df, kinds


ROW_STEPS.append(LogTransform())
