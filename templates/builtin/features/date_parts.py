# features/date_parts: calendar parts of every datetime column (year, month, day, day of week, hour,
# day of year); rows that do not parse stay missing.
class DateParts:
    def fit(self, df, kinds):
        self.cols = [c for c in kinds["datetime"] if c in df.columns]

    def apply(self, df, kinds, role):
        df = df.copy()
        for c in self.cols:
            stamp = parse_dates(df[c])
            for part in ("year", "month", "day", "dayofweek", "hour", "dayofyear"):
                name = f"{c}__{part}"
                df[name] = getattr(stamp.dt, part).astype(float)
                kinds["numeric"].append(name)
        return df, kinds


ROW_STEPS.append(DateParts())
