# features/group_aggregates: for a few categorical columns (the ones with most levels, below a limit)
# and the numeric columns, the mean of the numeric column within the row's group (training-fold
# statistics) and the row's difference from it.
class GroupAggregates:
    def fit(self, df, Y, kinds):
        cats = [c for c in kinds["categorical"] if c in df.columns]
        levels = {c: df[c].nunique() for c in cats}
        cats = [c for c in cats if 2 < levels[c] <= {{max_levels}}]
        self.cats = sorted(cats, key=lambda c: -levels[c])[:{{max_group_columns}}]
        nums = [c for c in kinds["numeric"] if c in df.columns]
        variances = {c: pd.to_numeric(df[c], errors="coerce").std() for c in nums}
        self.nums = [c for c in sorted(nums, key=lambda c: -(variances[c] or 0)) if variances[c] and variances[c] > 0]
        self.nums = self.nums[:{{max_value_columns}}]
        self.tables = {}
        for g in self.cats:
            key = df[g].astype(str)
            values = df[self.nums].apply(pd.to_numeric, errors="coerce")
            self.tables[g] = values.groupby(key.to_numpy()).mean()

    def transform(self, df, kinds, is_fit_frame):
        out = {}
        values = df[self.nums].apply(pd.to_numeric, errors="coerce")
        for g in self.cats:
            means = self.tables[g].reindex(df[g].astype(str).to_numpy())
            for c in self.nums:
                m = means[c].to_numpy(np.float32)
                out[f"{c}__mean_by_{g}"] = m
                out[f"{c}__minus_mean_by_{g}"] = values[c].to_numpy(np.float32) - m
        return pd.DataFrame(out, index=df.index)


FIT_STEPS.append(GroupAggregates)
