# features/text_stats: simple statistics of every text column: characters, words, mean word length,
# share of upper-case letters, digits and punctuation, counts of "!", "?" and of URL-like tokens.
class TextStats:
    def fit(self, df, kinds):
        self.cols = [c for c in kinds["text"] if c in df.columns]

    def apply(self, df, kinds, role):
        df = df.copy()
        for c in self.cols:
            s = as_text(df[c])
            n_chars = s.str.len().astype(float)
            n_words = s.str.split().str.len().fillna(0).astype(float)
            stats = {
                "chars": n_chars, "words": n_words, "mean_word_len": n_chars / n_words.clip(lower=1),
                "upper_share": s.str.count(r"[A-Z]") / n_chars.clip(lower=1),
                "digit_share": s.str.count(r"[0-9]") / n_chars.clip(lower=1),
                "punct_share": s.str.count(r"[^\w\s]") / n_chars.clip(lower=1),
                "exclaims": s.str.count("!").astype(float), "questions": s.str.count(r"\?").astype(float),
                "urls": s.str.count(r"https?://|www\.").astype(float),
            }
            for name, values in stats.items():
                df[f"{c}__{name}"] = values
                kinds["numeric"].append(f"{c}__{name}")
        return df, kinds


ROW_STEPS.append(TextStats())
