# features/extra_files: uses the per-row files listed in CONFIG["extra_files"] (e.g. "train/*/x.xyz"
# where "*" is the row's id). Each text file is parsed as a table of records (a line = optional leading
# word, numbers, optional trailing word) and aggregated per record kind: count, mean/std/min/max of each
# numeric position. Records of three coordinates with a label are treated as points: per label pair, the
# mean and minimum nearest-neighbour distance (periodic when the file declares three 3-vectors of one
# kind, e.g. lattice vectors, whose determinant is also reported as a volume).
class ExtraFiles:
    MAX_LINES = {{max_lines}}
    MAX_LABELS = {{max_labels}}

    def _locate(self, df, role):
        """Picks (pattern, key column) matching most rows of this frame to existing files; patterns
        naming the role ("train" / "test") in their path are preferred (ids may restart per split)."""
        keys = [c for c in cfg_list("id_columns") + KINDS["id"] + list(df.columns) if c in df.columns]
        groups = [g for g in CONFIG.get("extra_files") or [] if str(g.get("pattern", "")).count("*") == 1
                  and g.get("kind", "text") in ("text", "other", "csv")]
        other = "test" if role == "train" else "train"
        for preferred in (True, False):
            best = (0.0, None, None)
            for group in groups:
                pattern = group["pattern"]
                words = set(re.split(r"[/_.\\-]", pattern.lower()))
                if preferred and (role not in words or other in words):
                    continue
                for key in dict.fromkeys(keys):
                    sample = df[key].head(30)
                    hits = sum(os.path.isfile(self._path(pattern, v)) for v in sample)
                    share = hits / max(1, len(sample))
                    if share > best[0]:
                        best = (share, pattern, key)
            if best[0] >= 0.5:
                return best
        return (0.0, None, None)

    @staticmethod
    def _path(pattern, value):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return os.path.join(CONFIG.get("data_dir", "./input"), pattern.replace("*", str(value)))

    @staticmethod
    def _records(path):
        records = {}
        try:
            with open(path, "r", errors="replace") as fh:
                for n, line in enumerate(fh):
                    if n >= ExtraFiles.MAX_LINES:
                        break
                    tokens = line.split()
                    if not tokens or tokens[0].startswith(("#", "//")):
                        continue
                    nums, words = [], []
                    for tok in tokens:
                        try:
                            nums.append(float(tok))
                        except ValueError:
                            words.append(tok)
                    if not nums or len(words) > 2:
                        continue
                    lead = tokens[0] if words and tokens[0] == words[0] else ""
                    trail = tokens[-1] if words and tokens[-1] == words[-1] and (not lead or len(words) > 1) else ""
                    records.setdefault((lead, trail, len(nums)), []).append(nums)
        except OSError:
            return {}
        return records

    def fit(self, df, kinds):
        _, self.pattern, self.key = self._locate(df, "train")
        self.kinds_seen = []
        if self.pattern is None:
            return
        # the record schema (kinds and their widths) comes from a sample of the training rows' files
        seen = {}
        for v in df[self.key].head(200):
            for kind, rows in self._records(self._path(self.pattern, v)).items():
                seen[kind] = seen.get(kind, 0) + 1
        self.kinds_seen = sorted(k for k, c in seen.items() if c >= 0.5 * min(200, len(df)) and k[2] <= 8)
        point_kinds = [k for k in self.kinds_seen if k[2] == 3 and (k[0] or k[1])]
        self.lattice_kind = next((k for k in self.kinds_seen if k[2] == 3 and k[0] and not k[1]), None)
        self.labels = sorted({k[1] or k[0] for k in point_kinds if k != self.lattice_kind})[:self.MAX_LABELS]
        log(f"extra_files: {self.pattern} keyed by {self.key}; {len(self.kinds_seen)} record kinds, "
            f"point labels {self.labels}")

    def _features(self, path):
        recs = self._records(path)
        feats = {}
        for kind in self.kinds_seen:
            name = "xf_" + "_".join(x for x in (kind[0], kind[1], str(kind[2])) if x)
            rows = recs.get(kind)
            feats[name + "__count"] = float(len(rows)) if rows else 0.0
            if rows:
                arr = np.asarray(rows, dtype=float)
                stats = (arr.mean(axis=0), arr.std(axis=0), arr.min(axis=0), arr.max(axis=0))
            else:
                stats = (np.full(kind[2], np.nan),) * 4
            for j in range(kind[2]):
                for label, values in zip(("mean", "std", "min", "max"), stats):
                    feats[f"{name}__{j}_{label}"] = float(values[j])
        lattice, inverse = None, None
        if self.lattice_kind:
            feats["xf_cell_volume"] = np.nan
            if len(recs.get(self.lattice_kind, [])) == 3:
                lattice = np.asarray(recs[self.lattice_kind], dtype=float)
                feats["xf_cell_volume"] = abs(np.linalg.det(lattice))
                if feats["xf_cell_volume"] > 1e-9:
                    inverse = np.linalg.inv(lattice)
        points = {}
        for kind, rows in recs.items():
            label = kind[1] or kind[0]
            if kind[2] == 3 and kind != self.lattice_kind and label in self.labels:
                points[label] = np.asarray(rows, dtype=float)
        n_points = sum(len(p) for p in points.values())
        if self.lattice_kind:
            feats["xf_point_density"] = n_points / feats["xf_cell_volume"] if inverse is not None else np.nan
        for a in self.labels:
            for b in self.labels:
                if a > b:
                    continue
                nn = self._nearest(points.get(a), points.get(b), lattice, inverse, a == b)
                feats[f"xf_nn_{a}_{b}__mean"] = float(np.mean(nn)) if nn is not None else np.nan
                feats[f"xf_nn_{a}_{b}__min"] = float(np.min(nn)) if nn is not None else np.nan
        return feats

    @staticmethod
    def _nearest(pa, pb, lattice, inverse, same):
        if pa is None or pb is None or len(pa) == 0 or len(pb) == 0 or (same and len(pa) < 2):
            return None
        diff = pa[:, None, :] - pb[None, :, :]
        if inverse is not None:
            frac = diff @ inverse
            frac -= np.round(frac)
            diff = frac @ lattice
        dist = np.sqrt((diff ** 2).sum(axis=2))
        if same:
            np.fill_diagonal(dist, np.inf)
        return dist.min(axis=1)

    def apply(self, df, kinds, role):
        if self.pattern is None:
            return df, kinds
        _, pattern, key = self._locate(df, role)
        if pattern is None:
            log(f"extra_files: no files found for the {role} rows")
            return df, kinds
        table = pd.DataFrame([self._features(self._path(pattern, v)) for v in df[key]], index=df.index)
        names = [c for c in table.columns if c not in df.columns]
        df = pd.concat([df, table[names]], axis=1)
        kinds["numeric"] += names
        return df, kinds


ROW_STEPS.append(ExtraFiles())
