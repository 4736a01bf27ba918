# load/csv: read the training table and the test table (in search mode too: the search's test predictions
# are mlestar's fallback submission; not when CONFIG predict_test is false, e.g. ablation variants), drop
# rows without a target, subsample in search mode, encode the targets (class indices, or a transformed
# regression target). Tab-separated tables (.tsv, by file name) are first copied to CSVs under
# ./work_tables and CONFIG's file keys rewritten to them (as load/json does), so everything after reads CSV.
THREADS = int(CONFIG.get("threads") or 1)
os.environ["OMP_NUM_THREADS"] = str(THREADS)  # read by OpenMP runtimes loaded from here on (scikit-learn)
import sklearn.ensemble  # noqa: E402  (loads scikit-learn's OpenMP runtime, so the limit below covers it)
from threadpoolctl import threadpool_limits  # noqa: E402

threadpool_limits(THREADS)
DATA_DIR = CONFIG.get("data_dir", "./input")
MODE = CONFIG.get("mode", "search")
SEED = int(CONFIG.get("seed", 0))
TARGETS = cfg_list("train_targets") or cfg_list("target_columns")
PROBLEM = CONFIG.get("problem", "regression")
TARGET_KIND = "classification" if PROBLEM in ("binary", "multiclass") else "regression"
KINDS = kinds_from_config()
ID_DTYPES = {c: str for c in cfg_list("id_columns") + KINDS["id"]}



def _tsv_to_csv(name):
    """A tab-separated table (.tsv) as a CSV under ./work_tables, cells kept as text; returns its path."""
    frame = pd.read_csv(os.path.join(DATA_DIR, name), sep="\t", dtype=str, keep_default_na=False)
    out_dir = os.path.abspath("./work_tables")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", str(name)) + ".csv")
    frame.to_csv(out, index=False)
    log(f"load/csv: {name} is tab-separated: {len(frame)} rows -> {out}")
    return out


for _key in ("train_file", "test_file", "sample_submission_file"):  # the submission writer reads CSVs
    if CONFIG.get(_key) and str(CONFIG[_key]).lower().endswith(".tsv"):
        CONFIG[_key] = _tsv_to_csv(CONFIG[_key])
train_df = pd.read_csv(os.path.join(DATA_DIR, CONFIG["train_file"]), dtype=ID_DTYPES, low_memory=False)
train_df = train_df.dropna(subset=TARGETS).reset_index(drop=True)
if MODE == "search":
    train_df = train_df.iloc[subsample_index(len(train_df), CONFIG.get("subsample_rows") or 0, SEED)]
    train_df = train_df.reset_index(drop=True)
test_df = None
if CONFIG.get("test_file") and (MODE == "submit" or CONFIG.get("predict_test", True)):
    test_df = pd.read_csv(os.path.join(DATA_DIR, CONFIG["test_file"]), dtype=ID_DTYPES, low_memory=False)

TARGET_TRANSFORM = {{target_transform}}
if TARGET_TRANSFORM == "auto":
    TARGET_TRANSFORM = "none"
    if TARGET_KIND == "regression":
        values = train_df[TARGETS].apply(pd.to_numeric, errors="coerce").to_numpy(float)
        if CONFIG.get("metric") in ("rmsle", "rmsle_mean_columns") and np.nanmin(values) >= 0:
            TARGET_TRANSFORM = "log1p"
        elif CONFIG.get("metric") == "rmse_log" and np.nanmin(values) > 0:
            TARGET_TRANSFORM = "log"

CLASSES = []
if TARGET_KIND == "classification":
    Y_RAW = np.zeros((len(train_df), len(TARGETS)))
    for t, col in enumerate(TARGETS):
        labels = sorted(train_df[col].unique().tolist(), key=lambda v: (str(type(v)), v))
        CLASSES.append(labels)
        Y_RAW[:, t] = train_df[col].map({v: i for i, v in enumerate(labels)}).to_numpy(float)
    Y = Y_RAW.copy()
else:
    CLASSES = [None] * len(TARGETS)
    Y_RAW = train_df[TARGETS].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    Y = target_forward(Y_RAW, TARGET_TRANSFORM)
log(f"Loaded {len(train_df)} training rows" + (f", {len(test_df)} test rows" if test_df is not None else "")
    + f"; targets {TARGETS} ({PROBLEM}, transform {TARGET_TRANSFORM})")
