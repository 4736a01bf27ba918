# features/missing_indicators: one 0/1 column per feature column with missing values (in the training
# fold), plus the number of missing values per row.
class MissingIndicators:
    def fit(self, df, Y, kinds):
        cols = [c for k in ("numeric", "categorical", "boolean", "datetime", "text") for c in kinds[k] if c in df.columns]
        self.cols = [c for c in cols if df[c].isna().any()]

    def transform(self, df, kinds, is_fit_frame):
        out = pd.DataFrame({f"{c}__missing": df[c].isna().astype(np.float32) for c in self.cols}, index=df.index)
        out["row__n_missing"] = out.sum(axis=1) if len(self.cols) else 0.0
        return out


FIT_STEPS.append(MissingIndicators)
