# features/split_strings: string columns whose values share a separator with a constant number of parts
# (e.g. "B/12/P", "0013_01", "first last") are split into part columns: numeric parts become numeric
# columns (plus a categorical key copy, so frequency encoding can count rows sharing the key), other
# parts categorical. Unsupervised and row-wise; the split structure is learnt on the training rows.
class SplitStrings:
    SEPARATORS = {{separators}}

    def fit(self, df, kinds):
        self.plans = []
        candidates = [c for c in kinds["categorical"] + kinds["id"] + kinds["text"] if c in df.columns]
        for col in dict.fromkeys(candidates):
            values = df[col].dropna().astype(str)
            if values.empty or values.str.len().mean() > {{max_mean_length}}:
                continue
            values = values.sample(min(len(values), 3000), random_state=0)
            for sep in self.SEPARATORS:
                counts = values.str.count(re.escape(sep)) + 1
                mode = int(counts.mode().iloc[0])
                if mode < 2 or mode > {{max_parts}} or (counts == mode).mean() < {{min_share}}:
                    continue
                parts = values[counts == mode].str.split(sep, expand=True, regex=False)
                kinds_of_parts = []
                for i in range(mode):
                    numeric = pd.to_numeric(parts[i], errors="coerce")
                    kinds_of_parts.append("numeric" if numeric.notna().mean() >= 0.95 else "categorical")
                self.plans.append((col, sep, mode, kinds_of_parts))
                break
        if self.plans:
            log("split_strings: " + ", ".join(f"{c} by {s!r} into {m}" for c, s, m, _ in self.plans))

    def apply(self, df, kinds, role):
        df = df.copy()
        for col, sep, mode, kinds_of_parts in self.plans:
            if col not in df.columns:
                continue
            parts = df[col].astype(str).where(df[col].notna()).str.split(sep, n=mode - 1, expand=True, regex=False)
            for i, kind in enumerate(kinds_of_parts):
                name = f"{col}__part{i}"
                part = parts[i] if i in parts.columns else pd.Series(np.nan, index=df.index)
                if kind == "numeric":
                    df[name] = pd.to_numeric(part, errors="coerce")
                    kinds["numeric"].append(name)
                    if i < mode - 1:
                        df[name + "_key"] = part
                        kinds["categorical"].append(name + "_key")
                else:
                    df[name] = part
                    kinds["categorical"].append(name)
            if mode > 2:
                prefix = parts[0].astype(str)
                for i in range(1, mode - 1):
                    prefix = prefix + sep + parts[i].astype(str)
                df[f"{col}__prefix"] = prefix.where(parts[0].notna())
                kinds["categorical"].append(f"{col}__prefix")
        return df, kinds


ROW_STEPS.append(SplitStrings())
