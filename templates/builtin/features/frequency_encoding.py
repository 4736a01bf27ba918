# features/frequency_encoding: for every categorical column, how many rows share the value (counted on
# the training fold; a row outside it counts itself once more, so fit and unseen rows are on one scale).
# On keys split from structured strings this gives group sizes.
class FrequencyEncoding:
    def fit(self, df, Y, kinds):
        self.maps = {}
        for c in kinds["categorical"]:
            if c in df.columns:
                self.maps[c] = df[c].astype(str).where(df[c].notna()).value_counts()

    def transform(self, df, kinds, is_fit_frame):
        out = {}
        for c, counts in self.maps.items():
            mapped = df[c].astype(str).where(df[c].notna()).map(counts).fillna(0).astype(np.float32)
            if not is_fit_frame:
                mapped = mapped + 1.0
            out[f"{c}__count"] = mapped.where(df[c].notna())
        return pd.DataFrame(out, index=df.index)


FIT_STEPS.append(FrequencyEncoding)
