# Solution script composed by mlestar's offline planner (builtin backend).
# Layout: this header (imports and generic helpers), CONFIG (the task's facts), then the named blocks
# load / features / model / validation / predict. Blocks share data through documented global names
# (see templates/builtin/README.md in the mlestar sources).
import glob
import json
import math
import os
import re
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse as sp

warnings.filterwarnings("ignore")
pd.options.mode.chained_assignment = None

T_START = time.time()
ROW_STEPS = []   # row-wise, unsupervised feature steps: objects with fit(df, kinds) and apply(df, kinds, role)
FIT_STEPS = []   # supervised / fold-fitted feature steps: zero-argument factories of objects with
                 # fit(df, Y, kinds) and transform(df, kinds, is_fit_frame) -> DataFrame of numeric columns
MODELS = []      # (name, factory); factory(spec) -> model with fit(fs, y, fs_valid, y_valid) / predict(fs)
IMAGE_PATH_COLUMN = "img_path"  # load/images: each row's image file (absolute path), carried to FeatureSet.image_paths
FIT_PLAN = {"fits_left": 1}     # fits still to come in this script (cross_validate, predict/refit), for fit_seconds()
FOLD_CAP = 0                    # a slow model's snippet may set it: validate only the first FOLD_CAP folds


def log(*parts):
    print(*parts, flush=True)


def time_budget():
    """Seconds this script may spend: CONFIG time_budget_s, capped at 80% of the wall-clock limit the
    sandbox gives this very run (MLESTAR_TIME_LIMIT_S, counted from the script's start; it can be
    shorter than planned when the run's deadline is near)."""
    budget = float(CONFIG.get("time_budget_s") or 3600)
    try:
        limit = float(os.environ.get("MLESTAR_TIME_LIMIT_S") or 0)
    except ValueError:
        limit = 0
    return min(budget, 0.8 * limit) if limit > 0 else budget


def time_left():
    return time_budget() - (time.time() - T_START)


def fit_seconds(share=0.6):
    """Seconds one fit of a time-sized model (model/cnn, torch_mlp) may take: `share` of the script's
    time left, times CONFIG fit_share (an ablation variant's part of the ablation's time), split over the
    fits still planned (FIT_PLAN, kept by cross_validate and predict/refit)."""
    part = float(CONFIG.get("fit_share") or 1.0)
    return max(3.0, share * part * time_left() / max(1, int(FIT_PLAN.get("fits_left") or 1)))


def cfg_list(key):
    value = CONFIG.get(key)
    return list(value) if value else []


def kinds_from_config():
    cols = CONFIG.get("columns") or {}
    return {k: list(cols.get(k) or []) for k in ("numeric", "categorical", "text", "datetime", "id", "boolean")}


# ---------------------------------------------------------------- metrics
PROB_METRICS = ("auc", "auc_mean_columns", "logloss", "multiclass_logloss")
LABEL_METRICS = ("accuracy", "f1", "qwk")


def _clip_prob(p):
    return np.clip(p, 1e-15, 1 - 1e-15)


def metric_score(y_true, pred, metric=None):
    """The CONFIG metric of predictions `pred` (2-D, metric space) against `y_true` (2-D: class indices
    for classification, original values for regression)."""
    from sklearn.metrics import roc_auc_score, log_loss, f1_score, cohen_kappa_score
    m = metric or CONFIG["metric"]
    y_true = np.asarray(y_true)
    pred = np.asarray(pred, dtype=float)
    if y_true.ndim == 1:
        y_true = y_true[:, None]
    if pred.ndim == 1:
        pred = pred[:, None]
    problem = CONFIG.get("problem")
    if problem == "multiclass":
        y = y_true[:, 0].astype(int)
        n_classes = pred.shape[1]
        if m in ("logloss", "multiclass_logloss"):
            p = _clip_prob(pred)
            p = p / p.sum(axis=1, keepdims=True)
            return float(log_loss(y, p, labels=list(range(n_classes))))
        if m in ("auc", "auc_mean_columns"):
            present = np.unique(y)
            p = pred[:, present] / np.clip(pred[:, present].sum(axis=1, keepdims=True), 1e-15, None)
            if len(present) == 2:
                return float(roc_auc_score(y == present[1], p[:, 1]))
            return float(roc_auc_score(np.searchsorted(present, y), p, multi_class="ovr"))
        labels = pred.argmax(axis=1)
        if m == "qwk":
            return float(cohen_kappa_score(y, labels, weights="quadratic"))
        if m == "f1":
            return float(f1_score(y, labels, average="macro"))
        return float(np.mean(labels == y))
    if problem == "binary":
        scores = []
        for t in range(pred.shape[1]):
            y = y_true[:, t].astype(int)
            p = pred[:, t]
            if m in ("auc", "auc_mean_columns"):
                scores.append(roc_auc_score(y, p) if len(np.unique(y)) > 1 else 0.5)
            elif m in ("logloss", "multiclass_logloss"):
                scores.append(log_loss(y, _clip_prob(p), labels=[0, 1]))
            elif m == "f1":
                scores.append(f1_score(y, (p >= 0.5).astype(int)))
            elif m == "qwk":
                scores.append(cohen_kappa_score(y, (p >= 0.5).astype(int), weights="quadratic"))
            else:
                scores.append(np.mean((p >= 0.5).astype(int) == y))
        return float(np.mean(scores))
    y = y_true.astype(float)
    if m in ("rmsle", "rmsle_mean_columns"):
        err = (np.log1p(np.clip(pred, 0, None)) - np.log1p(np.clip(y, 0, None))) ** 2
        if m == "rmsle_mean_columns":
            return float(np.mean(np.sqrt(err.mean(axis=0))))
        return float(np.sqrt(err.mean()))
    if m == "rmse_log":
        return float(np.sqrt(np.mean((np.log(np.clip(pred, 1e-12, None)) - np.log(np.clip(y, 1e-12, None))) ** 2)))
    if m == "mae":
        return float(np.mean(np.abs(pred - y)))
    if m == "qwk":
        lo, hi = np.nanmin(y), np.nanmax(y)
        return float(np.mean([cohen_kappa_score(np.rint(y[:, t]).astype(int),
                                                np.clip(np.rint(pred[:, t]), lo, hi).astype(int),
                                                weights="quadratic") for t in range(y.shape[1])]))
    return float(np.sqrt(np.mean((pred - y) ** 2)))


def better(a, b):
    """True when score a is at least as good as score b under the CONFIG direction."""
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return True
    return a <= b if CONFIG.get("lower_is_better") else a >= b


# ---------------------------------------------------------------- rows, folds, target transforms
def subsample_index(n, limit, seed):
    if not limit or n <= limit:
        return np.arange(n)
    rng = np.random.RandomState(seed)
    return np.sort(rng.choice(n, size=int(limit), replace=False))


def make_folds(y_raw, n_folds, seed, classification):
    """The run-wide split: every solution with the same seed gets the same folds."""
    from sklearn.model_selection import KFold, StratifiedKFold
    n = len(y_raw)
    n_folds = max(2, min(int(n_folds), n))
    idx = np.arange(n)
    if classification:
        strat = np.asarray(y_raw)[:, 0].astype(int)
        counts = np.bincount(strat)
        if counts[counts > 0].min() >= n_folds:
            splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
            return [(tr, va) for tr, va in splitter.split(idx, strat)]
    splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(tr, va) for tr, va in splitter.split(idx)]


def target_forward(values, transform):
    values = np.asarray(values, dtype=float)
    if transform == "log1p":
        return np.log1p(np.clip(values, 0, None))
    if transform == "log":
        return np.log(np.clip(values, 1e-12, None))
    return values


def target_inverse(values, transform):
    values = np.asarray(values, dtype=float)
    if transform == "log1p":
        return np.clip(np.expm1(values), 0, None)
    if transform == "log":
        return np.exp(values)
    return values


def blend_space(pred):
    """Space in which predictions of several models are averaged (log space for log metrics)."""
    if CONFIG.get("problem") in ("regression", "multi_regression"):
        if CONFIG.get("metric") in ("rmsle", "rmsle_mean_columns"):
            return np.log1p(np.clip(pred, 0, None))
        if CONFIG.get("metric") == "rmse_log":
            return np.log(np.clip(pred, 1e-12, None))
    return pred


def unblend_space(pred):
    if CONFIG.get("problem") in ("regression", "multi_regression"):
        if CONFIG.get("metric") in ("rmsle", "rmsle_mean_columns"):
            return np.clip(np.expm1(pred), 0, None)
        if CONFIG.get("metric") == "rmse_log":
            return np.exp(pred)
    return pred


# ---------------------------------------------------------------- column helpers
DATE_FORMATS = (None, "%Y%m%d%H%M%SZ", "%Y%m%d%H%M%S", "%Y%m%d", "%d/%m/%Y", "%m/%d/%Y")


def parse_dates(series):
    s = series.astype("string")
    best = None
    for fmt in DATE_FORMATS:
        try:
            parsed = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
        except (ValueError, TypeError):
            continue
        if best is None or parsed.notna().sum() > best.notna().sum():
            best = parsed
    return best


def as_text(series):
    return series.fillna("").astype(str)


def to_float_frame(frame):
    return frame.apply(pd.to_numeric, errors="coerce").astype(np.float32)


# ---------------------------------------------------------------- the feature pipeline
class FeatureSet:
    """Model inputs of one frame: dense numeric columns (NaN = missing), which of them are categorical
    codes, a sparse one-hot block for linear models, the raw text (text columns joined), and each row's
    image file (a path or None; None for the whole set when the task has no images)."""

    def __init__(self, dense, names, code_cols, onehot, text, image_paths=None):
        self.dense = dense
        self.names = names
        self.code_cols = code_cols
        self.onehot = onehot
        self.text = text
        self.image_paths = image_paths

    def __len__(self):
        return self.dense.shape[0]


def apply_row_steps(train, test, kinds):
    """Fits the row steps on the training rows (unsupervised) and applies them to train (and test)."""
    for step in ROW_STEPS:
        step.fit(train, kinds)
        new_kinds = {k: list(v) for k, v in kinds.items()}
        train, new_kinds = step.apply(train, new_kinds, "train")
        if test is not None:
            test, _ = step.apply(test, {k: list(v) for k, v in kinds.items()}, "test")
        kinds = new_kinds
    return train, test, kinds


class FeaturePipeline:
    """Turns a frame into a FeatureSet; every statistic is fitted on the frame given to fit()."""

    def __init__(self, options):
        self.opt = dict(options)

    def fit(self, df, Y, kinds):
        opt = self.opt
        cols = set(df.columns)
        self.num_cols = [c for c in kinds["numeric"] if c in cols]
        self.bool_cols = [c for c in kinds["boolean"] if c in cols]
        self.cat_cols = [c for c in kinds["categorical"] if c in cols]
        self.date_cols = [c for c in kinds["datetime"] if c in cols]
        self.text_cols = [c for c in kinds["text"] if c in cols]
        self.bool_maps = {}
        for c in self.bool_cols:
            values = sorted(df[c].dropna().astype(str).unique())
            self.bool_maps[c] = {v: float(i) for i, v in enumerate(values)}
        self.cat_maps, self.onehot_levels = {}, {}
        max_levels = int(opt.get("max_code_levels", 1000))
        for c in self.cat_cols:
            counts = df[c].dropna().astype(str).value_counts()
            self.cat_maps[c] = {v: float(i) for i, v in enumerate(counts.index[:max_levels])}
            keep = counts[counts >= int(opt.get("onehot_min_count", 3))].index[:int(opt.get("onehot_max_levels", 30))]
            self.onehot_levels[c] = list(keep)
        self.steps = []
        for factory in FIT_STEPS:
            step = factory()
            step.fit(df, Y, kinds)
            self.steps.append(step)
        return self

    def transform(self, df, kinds, is_fit_frame=False):
        parts, names, code_cols = [], [], []
        if self.num_cols:
            parts.append(to_float_frame(df[self.num_cols]).to_numpy())
            names += self.num_cols
        for c in self.bool_cols:
            parts.append(df[c].astype(str).map(self.bool_maps[c]).where(df[c].notna()).to_numpy(np.float32)[:, None])
            names.append(c)
        for c in self.cat_cols:
            codes = df[c].astype(str).map(self.cat_maps[c]).fillna(-1.0).where(df[c].notna())
            code_cols.append(len(names))
            parts.append(codes.to_numpy(np.float32)[:, None])
            names.append(c)
        for c in self.date_cols:
            stamp = parse_dates(df[c])
            days = (stamp - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds() / 86400.0
            parts.append(days.to_numpy(np.float32)[:, None])
            names.append(c)
        for step in self.steps:
            extra = step.transform(df, kinds, is_fit_frame)
            if extra is not None and extra.shape[1]:
                parts.append(extra.to_numpy(np.float32))
                names += [str(c) for c in extra.columns]
        n = len(df)
        dense = np.hstack(parts).astype(np.float32) if parts else np.zeros((n, 0), np.float32)
        dense[~np.isfinite(dense)] = np.nan
        onehot = None
        blocks = []
        for c in self.cat_cols:
            levels = self.onehot_levels[c]
            if not levels:
                continue
            pos = {v: i for i, v in enumerate(levels)}
            col_idx = df[c].astype(str).map(pos).where(df[c].notna())
            rows = np.where(col_idx.notna().to_numpy())[0]
            cols_ = col_idx.dropna().astype(int).to_numpy()
            blocks.append(sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols_)), shape=(n, len(levels))))
        if blocks:
            onehot = sp.hstack(blocks).tocsr()
        text = None
        if self.text_cols:
            text = as_text(df[self.text_cols[0]])
            for c in self.text_cols[1:]:
                text = text + " | " + as_text(df[c])
            text = text.tolist()
        image_paths = None
        if IMAGE_PATH_COLUMN in df.columns:
            image_paths = [p if isinstance(p, str) else None for p in df[IMAGE_PATH_COLUMN].tolist()]
        return FeatureSet(dense, names, code_cols, onehot, text, image_paths)


# ---------------------------------------------------------------- model inputs
class Prep:
    """Fitted on a training FeatureSet, turns FeatureSets into one model's input matrix.
    mode: "tree" (dense with NaN), "tree_filled" (NaN -> -999), "linear" (imputed, scaled numeric +
    one-hot + TF-IDF, sparse when any sparse part), "dense_scaled" (imputed, scaled numeric + dense
    one-hot + SVD of TF-IDF). text: "word", "word_char" or "none"; svd: components of the text SVD used
    by the dense modes."""

    def __init__(self, mode, text="word", max_text_features=50000, svd=64, seed=0):
        self.mode, self.text_kind = mode, text
        self.max_text_features, self.svd_n, self.seed = max_text_features, svd, seed

    def _text_fit(self, texts):
        from sklearn.feature_extraction.text import TfidfVectorizer
        self.vecs = []
        if self.text_kind in ("word", "word_char"):
            self.vecs.append(TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=self.max_text_features,
                                             sublinear_tf=True, strip_accents="unicode", dtype=np.float32))
        if self.text_kind == "word_char":
            self.vecs.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2,
                                             max_features=self.max_text_features * 2, sublinear_tf=True,
                                             dtype=np.float32))
        mats = [v.fit_transform(texts) for v in self.vecs]
        return sp.hstack(mats).tocsr() if mats else None

    def _text_transform(self, texts):
        mats = [v.transform(texts) for v in self.vecs]
        return sp.hstack(mats).tocsr() if mats else None

    def fit_transform(self, fs):
        dense = fs.dense
        keep = np.ones(dense.shape[1], bool)
        if self.mode in ("linear", "dense_scaled") and fs.onehot is not None:
            keep[fs.code_cols] = False
        self.keep = keep
        self.median = np.nan_to_num(np.nanmedian(dense, axis=0)) if dense.shape[1] else np.zeros(0)
        self.use_text = fs.text is not None and self.text_kind != "none"
        self.svd = None
        text_mat = self._text_fit(fs.text) if self.use_text else None
        if text_mat is not None and self.mode != "linear":
            from sklearn.decomposition import TruncatedSVD
            n_comp = max(2, min(self.svd_n, text_mat.shape[1] - 1, text_mat.shape[0] - 1))
            self.svd = TruncatedSVD(n_components=n_comp, random_state=self.seed)
            self.svd.fit(text_mat)
        if self.mode in ("linear", "dense_scaled"):
            filled = self._impute(dense)[:, keep]
            self.mean = filled.mean(axis=0)
            self.std = filled.std(axis=0)
            self.std[self.std == 0] = 1.0
        return self._assemble(fs, text_mat)

    def transform(self, fs):
        text_mat = self._text_transform(fs.text) if self.use_text else None
        return self._assemble(fs, text_mat)

    def _impute(self, dense):
        out = dense.copy()
        rows, cols = np.where(np.isnan(out))
        out[rows, cols] = self.median[cols]
        return out

    def _assemble(self, fs, text_mat):
        dense = fs.dense
        if self.mode == "linear":
            num = np.clip((self._impute(dense)[:, self.keep] - self.mean) / self.std, -10, 10)
            miss = np.isnan(dense[:, self.keep]).astype(np.float32)
            miss = miss[:, self.miss_cols] if hasattr(self, "miss_cols") else miss
            if not hasattr(self, "miss_cols"):
                self.miss_cols = np.where(miss.any(axis=0))[0]
                miss = miss[:, self.miss_cols]
            blocks = [num.astype(np.float32), miss]
            if fs.onehot is not None or text_mat is not None:
                sparse_blocks = [sp.csr_matrix(b) for b in blocks]
                if fs.onehot is not None:
                    sparse_blocks.append(fs.onehot)
                if text_mat is not None:
                    sparse_blocks.append(text_mat)
                return sp.hstack(sparse_blocks).tocsr()
            return np.hstack(blocks)
        blocks = []
        if self.mode == "dense_scaled":
            blocks.append(np.clip((self._impute(dense)[:, self.keep] - self.mean) / self.std, -10, 10))
            if fs.onehot is not None and fs.onehot.shape[1] <= 400:
                blocks.append(fs.onehot.toarray())
        elif self.mode == "tree_filled":
            blocks.append(np.where(np.isnan(dense), -999.0, dense))
        else:
            blocks.append(dense)
        if self.svd is not None and text_mat is not None:
            blocks.append(self.svd.transform(text_mat))
        return np.hstack(blocks).astype(np.float32)


def full_proba(est, X, n_classes):
    """predict_proba with one column per class index 0..n_classes-1 (classes absent in training get 0)."""
    proba = est.predict_proba(X)
    out = np.zeros((proba.shape[0], n_classes))
    out[:, np.asarray(est.classes_, dtype=int)] = proba
    return out


class SkModel:
    """A scikit-learn estimator behind the model interface. make(spec) builds the estimator;
    max_rows caps the training rows (random subset) for models that scale badly."""

    def __init__(self, spec, make, prep, max_rows=0):
        self.spec, self.make, self.prep, self.max_rows = spec, make, prep, max_rows

    def fit(self, fs, y, fs_valid=None, y_valid=None):
        X = self.prep.fit_transform(fs)
        y = np.asarray(y)
        if self.max_rows and X.shape[0] > self.max_rows:
            keep = np.sort(np.random.RandomState(CONFIG.get("seed", 0)).choice(X.shape[0], self.max_rows, replace=False))
            X, y = X[keep], y[keep]
        if self.spec["kind"] != "regression":
            y = y.astype(int)
        self.est = self.make(self.spec)
        self.est.fit(X, y)
        return self

    def predict(self, fs):
        X = self.prep.transform(fs)
        if self.spec["kind"] == "regression":
            return np.asarray(self.est.predict(X), dtype=float)
        if hasattr(self.est, "predict_proba"):
            proba = full_proba(self.est, X, self.spec["n_classes"])
        else:
            dec = self.est.decision_function(X)
            if dec.ndim == 1:
                proba = np.zeros((len(dec), 2))
                proba[:, 1] = 1 / (1 + np.exp(-dec))
                proba[:, 0] = 1 - proba[:, 1]
            else:
                e = np.exp(dec - dec.max(axis=1, keepdims=True))
                proba = np.zeros((dec.shape[0], self.spec["n_classes"]))
                proba[:, np.asarray(self.est.classes_, dtype=int)] = e / e.sum(axis=1, keepdims=True)
        return proba[:, 1] if self.spec["kind"] == "binary" else proba


def class_weight_for(y, n_classes):
    counts = np.bincount(np.asarray(y, dtype=int), minlength=n_classes).astype(float)
    counts[counts == 0] = 1.0
    weights = len(y) / (n_classes * counts)
    return weights[np.asarray(y, dtype=int)]


def inner_split(n, y, fraction, seed, classification):
    """Rows used for early stopping inside a training fold (never the validation fold)."""
    from sklearn.model_selection import train_test_split
    idx = np.arange(n)
    strat = np.asarray(y, dtype=int) if classification else None
    if strat is not None and np.bincount(strat).min() < 2:
        strat = None
    return train_test_split(idx, test_size=fraction, random_state=seed, stratify=strat)


# ---------------------------------------------------------------- submission
def label_output(metric):
    return metric in LABEL_METRICS


def write_submission(test_pred, path="./final/submission.csv"):
    """Writes TEST_PRED in the sample submission's format: its columns in its order, one row per test
    row, id columns copied from the test file, labels mapped back to the training labels."""
    data_dir = CONFIG.get("data_dir", "./input")
    sample = pd.read_csv(os.path.join(data_dir, CONFIG["sample_submission_file"]), dtype=str,
                         keep_default_na=False)
    test_raw = pd.read_csv(os.path.join(data_dir, CONFIG["test_file"]), dtype=str, keep_default_na=False)
    n = len(test_raw)
    targets = cfg_list("target_columns")
    pred = np.asarray(test_pred, dtype=float)
    if pred.ndim == 1:
        pred = pred[:, None]
    out = pd.DataFrame(index=range(n))
    problem, metric = CONFIG.get("problem"), CONFIG.get("metric")
    values = {}
    if CONFIG.get("submission_format") == "class_probs":
        classes = [str(v) for v in CLASSES[0]]
        probs = pred if problem == "multiclass" else np.hstack([1 - pred[:, :1], pred[:, :1]])
        probs = np.clip(probs, 0, 1)
        probs = probs / np.clip(probs.sum(axis=1, keepdims=True), 1e-15, None)
        for col, cv in zip(targets, CONFIG.get("class_values") or []):
            idx = class_index(classes, cv)
            values[col] = probs[:, idx] if idx is not None else np.zeros(n)
    else:
        for t, col in enumerate(targets):
            if problem == "multiclass":
                values[col] = np.asarray(CLASSES[0], dtype=object)[pred.argmax(axis=1)]
            elif problem == "binary":
                p = pred[:, t]
                if label_output(metric):
                    values[col] = np.asarray(CLASSES[t], dtype=object)[(p >= 0.5).astype(int)]
                else:
                    values[col] = np.clip(p, 0, 1)
            else:
                v = pred[:, t]
                if metric in ("rmsle", "rmsle_mean_columns"):
                    v = np.clip(v, 0, None)
                elif metric == "rmse_log":
                    v = np.clip(v, 1e-6, None)
                elif metric == "qwk":
                    v = np.rint(v).astype(int)
                values[col] = v
    for col in sample.columns:
        if col in values:
            out[col] = values[col]
        elif col in test_raw.columns:
            out[col] = test_raw[col].values
        elif len(sample) == n:
            out[col] = sample[col].values
        else:
            out[col] = ""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    out.to_csv(path, index=False)
    log(f"Wrote {path}: {out.shape[0]} rows, columns {list(out.columns)}")
    return out


def class_index(classes, value):
    for i, c in enumerate(classes):
        if c == str(value):
            return i
    try:
        fv = float(value)
        for i, c in enumerate(classes):
            try:
                if float(c) == fv:
                    return i
            except ValueError:
                pass
    except ValueError:
        pass
    return None


# ---------------------------------------------------------------- validation and prediction
def target_specs():
    """One spec per model to train: a multiclass target, or each binary / regression target."""
    if PROBLEM == "multiclass":
        return [{"kind": "multiclass", "n_classes": len(CLASSES[0]), "target": 0}]
    if PROBLEM == "binary":
        return [{"kind": "binary", "n_classes": 2, "target": t} for t in range(Y.shape[1])]
    return [{"kind": "regression", "n_classes": None, "target": t} for t in range(Y.shape[1])]


def to_metric_space(model_preds):
    """Stacks per-spec model-space predictions into the 2-D metric space."""
    if PROBLEM == "multiclass":
        p = np.asarray(model_preds[0], dtype=float)
        return p / np.clip(p.sum(axis=1, keepdims=True), 1e-15, None)
    cols = np.column_stack([np.asarray(p, dtype=float) for p in model_preds])
    if TARGET_KIND == "regression":
        return target_inverse(cols, TARGET_TRANSFORM)
    return np.clip(cols, 0, 1)


def fit_members(fs, Y_part, specs):
    """Fits every member of MODELS for every spec; returns [[(name, model), ...] per spec]."""
    fitted = []
    for spec in specs:
        members = []
        for name, factory in MODELS:
            model = factory(spec)
            model.fit(fs, Y_part[:, spec["target"]])
            members.append((name, model))
        fitted.append(members)
    return fitted


def predict_members(fitted, fs):
    """Model-space predictions per spec (members averaged) and per member."""
    averaged, per_member = [], {}
    for members in fitted:
        preds = []
        for name, model in members:
            p = np.asarray(model.predict(fs), dtype=float)
            per_member.setdefault(name, []).append(p)
            preds.append(p)
        averaged.append(np.mean(preds, axis=0))
    return averaged, per_member


def predict_test_wanted():
    """True when this script writes test predictions: always in submit mode; in search mode too (they
    are mlestar's fallback submission) unless CONFIG predict_test is false, and only with test rows."""
    if globals().get("test_df") is None:
        return False
    return CONFIG.get("mode") == "submit" or bool(CONFIG.get("predict_test", True))


def predict_with_folds(fold_state):
    """Test predictions averaged (in model space) over the validated folds' pipelines and models."""
    fold_preds = []
    for fold in fold_state:
        fs_test = fold["pipeline"].transform(CV["test_frame"], CV["kinds"], False)
        averaged, _ = predict_members(fold["models"], fs_test)
        fold_preds.append(averaged)
    return to_metric_space([np.mean([fp[s] for fp in fold_preds], axis=0) for s in range(len(CV["specs"]))])


def cross_validate(folds, time_fraction=0.7):
    """Fits the pipeline and the models on each fold's training rows, predicts its validation rows.
    Stops early (fewer folds validated) when the projected time exceeds time_fraction of the budget, but
    never before a fifth of the rows is validated (a score on a tenth of them is too noisy to compare
    with the others), and validates only the first FOLD_CAP folds when a slow model's snippet set it."""
    if not MODELS:
        raise RuntimeError("the model block registered no model in MODELS")
    if FOLD_CAP and len(folds) > FOLD_CAP:
        log(f"validating the first {FOLD_CAP} of {len(folds)} folds (FOLD_CAP, set by a slow model)")
        folds = folds[:FOLD_CAP]
    frame, test_frame, kinds = apply_row_steps(train_df, test_df, KINDS)
    specs = target_specs()
    state, done, oof_parts, member_parts = [], [], {}, {}
    t0 = time.time()
    budget = time_budget()
    for i, (tr, va) in enumerate(folds):
        FIT_PLAN["fits_left"] = (len(folds) - i) * len(specs)
        pipe = FeaturePipeline(globals().get("FEATURE_OPTIONS") or {}).fit(frame.iloc[tr], Y[tr], kinds)
        fs_tr = pipe.transform(frame.iloc[tr], kinds, True)
        fs_va = pipe.transform(frame.iloc[va], kinds, False)
        fitted = fit_members(fs_tr, Y[tr], specs)
        averaged, per_member = predict_members(fitted, fs_va)
        oof_parts[i] = to_metric_space(averaged)
        for name, preds in per_member.items():
            member_parts.setdefault(name, {})[i] = to_metric_space(preds)
        state.append({"pipeline": pipe, "models": fitted})
        done.append(i)
        fold_score = metric_score(Y_RAW[va], oof_parts[i])
        log(f"fold {i + 1}/{len(folds)}: {fold_score:.5f} ({fs_tr.dense.shape[1]} dense features, "
            f"{time.time() - t0:.1f}s)")
        elapsed = time.time() - T_START
        projected = elapsed + (time.time() - t0) / (i + 1) * (len(folds) - i - 1)
        enough_rows = (i + 1) * 5 >= len(folds)
        if i + 1 < len(folds) and enough_rows and projected > time_fraction * budget:
            log(f"stopping after {i + 1} folds: projected {projected:.0f}s exceeds the time budget share")
            break
    valid_idx = np.concatenate([folds[i][1] for i in done])
    order = np.argsort(valid_idx)
    oof = np.vstack([oof_parts[i] for i in done])[order]
    valid_idx = valid_idx[order]
    for name, parts in member_parts.items():
        member_oof = np.vstack([parts[i] for i in done])[order]
        log(f"member {name}: {metric_score(Y_RAW[valid_idx], member_oof):.5f}")
    return {"folds": [folds[i] for i in done], "state": state, "valid_idx": valid_idx, "oof": oof,
            "frame": frame, "test_frame": test_frame, "kinds": kinds, "specs": specs}


# ---------------------------------------------------------------- gradient boosting wrappers
class XGBModel:
    """XGBoost (hist) with early stopping on an inner split of the training rows (never the validation
    fold); optionally refitted on all training rows with the found number of trees."""

    def __init__(self, spec, params):
        self.spec, self.p = spec, dict(params)

    def _params(self):
        p = self.p
        params = {"eta": p["learning_rate"], "max_depth": int(p["max_depth"]),
                  "min_child_weight": p["min_child_weight"], "subsample": p["subsample"],
                  "colsample_bytree": p["colsample_bytree"], "lambda": p["reg_lambda"], "alpha": p["reg_alpha"],
                  "tree_method": "hist", "max_bin": int(p.get("max_bin", 256)), "nthread": int(CONFIG.get("threads") or 1),
                  "seed": int(CONFIG.get("seed", 0)), "verbosity": 0}
        if self.spec["kind"] == "binary":
            params.update(objective="binary:logistic", eval_metric="logloss")
        elif self.spec["kind"] == "multiclass":
            params.update(objective="multi:softprob", num_class=self.spec["n_classes"], eval_metric="mlogloss")
        else:
            params.update(objective=p.get("objective") or "reg:squarederror", eval_metric="rmse")
        return params

    def fit(self, fs, y):
        import xgboost as xgb
        p = self.p
        self.prep = Prep("tree", text="word", svd=int(p.get("text_svd", 64)), seed=int(CONFIG.get("seed", 0)))
        X = self.prep.fit_transform(fs)
        y = np.asarray(y, dtype=float)
        classification = self.spec["kind"] != "regression"
        weights = class_weight_for(y, self.spec["n_classes"]) if classification and p.get("balance_classes") else None
        params = self._params()
        tr, es = inner_split(len(y), y, float(p["es_fraction"]), int(CONFIG.get("seed", 0)), classification)
        dtr = xgb.DMatrix(X[tr], label=y[tr], weight=None if weights is None else weights[tr], missing=np.nan)
        des = xgb.DMatrix(X[es], label=y[es], weight=None if weights is None else weights[es], missing=np.nan)
        booster = xgb.train(params, dtr, num_boost_round=int(p["n_estimators"]), evals=[(des, "es")],
                            early_stopping_rounds=int(p["early_stopping_rounds"]), verbose_eval=False)
        self.n_trees = booster.best_iteration + 1
        if p.get("refit"):
            dall = xgb.DMatrix(X, label=y, weight=weights, missing=np.nan)
            self.n_trees = max(1, int(round(self.n_trees * 1.1)))
            booster = xgb.train(params, dall, num_boost_round=self.n_trees, verbose_eval=False)
        self.booster = booster
        return self

    def predict(self, fs):
        import xgboost as xgb
        X = self.prep.transform(fs)
        return self.booster.predict(xgb.DMatrix(X, missing=np.nan), iteration_range=(0, self.n_trees))


class HGBModel:
    """scikit-learn HistGradientBoosting with internal early stopping; low-cardinality categorical codes
    are passed as native categorical features."""

    def __init__(self, spec, params):
        self.spec, self.p = spec, dict(params)

    def fit(self, fs, y):
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
        p = self.p
        self.prep = Prep("tree", text="word", svd=int(p.get("text_svd", 64)), seed=int(CONFIG.get("seed", 0)))
        X = self.prep.fit_transform(fs)
        self.cat_cols = []
        if p.get("native_categorical"):
            self.cat_cols = [c for c in fs.code_cols if np.nanmax(np.append(fs.dense[:, c], 0)) < 250]
        X = self._codes(X)
        mask = np.zeros(X.shape[1], bool)
        mask[self.cat_cols] = True
        common = dict(max_iter=int(p["max_iter"]), learning_rate=p["learning_rate"],
                      max_leaf_nodes=int(p["max_leaf_nodes"]), min_samples_leaf=int(p["min_samples_leaf"]),
                      l2_regularization=p["l2_regularization"], early_stopping=True,
                      validation_fraction=p["validation_fraction"], n_iter_no_change=int(p["n_iter_no_change"]),
                      categorical_features=mask if mask.any() else None, random_state=int(CONFIG.get("seed", 0)))
        if self.spec["kind"] == "regression":
            self.est = HistGradientBoostingRegressor(**common)
            self.est.fit(X, np.asarray(y, dtype=float))
        else:
            self.est = HistGradientBoostingClassifier(
                class_weight="balanced" if p.get("balance_classes") else None, **common)
            self.est.fit(X, np.asarray(y, dtype=int))
        return self

    def _codes(self, X):
        for c in self.cat_cols:
            col = X[:, c]
            col[(col < 0) | (col >= 250)] = np.nan
        return X

    def predict(self, fs):
        X = self._codes(self.prep.transform(fs))
        if self.spec["kind"] == "regression":
            return self.est.predict(X)
        proba = full_proba(self.est, X, self.spec["n_classes"])
        return proba[:, 1] if self.spec["kind"] == "binary" else proba
