# Ensemble composed by mlestar's offline planner (builtin backend). Runs every solution in a fresh
# namespace, combines their out-of-fold predictions on the rows all of them validated (the same seeded
# split), prints the combined validation score and, in submit mode, writes the combined test prediction.
# The four runners (mean, weighted, rank_mean, stacking) differ only in the METHOD line.
import contextlib
import io
import json
import re
import sys

import numpy as np

METHOD = "weighted"
SOLUTIONS = {{SOLUTIONS}}

CONFIG_LINE = re.compile(r'^CONFIG = json\.loads\(r"""(.*)"""\)$', re.M)


def with_mode(source, mode):
    """Forces CONFIG["mode"] of a composed solution (its CONFIG line is fixed by the composition contract)."""
    match = CONFIG_LINE.search(source)
    if match is None:
        raise ValueError("solution has no CONFIG line")
    config = json.loads(match.group(1))
    config["mode"] = mode
    line = 'CONFIG = json.loads(r"""' + json.dumps(config, separators=(",", ":")) + '""")'
    return source[:match.start()] + line + source[match.end():]


def run_solution(index, source):
    out = io.StringIO()
    namespace = {"__name__": "__main__", "__file__": f"solution_{index}.py"}
    with contextlib.redirect_stdout(out):
        exec(compile(source, f"<solution {index}>", "exec"), namespace)
    for line in out.getvalue().strip().splitlines():
        if not line.startswith("Final Validation Performance"):
            print(f"  [solution {index}] {line}")
    print(f"solution {index}: validation score {namespace['VALID_SCORE']:.6f}", flush=True)
    return namespace


def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def inverse_error_weights(scores, lower_is_better):
    """Weights proportional to 1 / error^2, error = the score (lower is better) or 1 - score."""
    errors = np.array([s if lower_is_better else 1.0 - s for s in scores], dtype=float)
    errors = np.clip(np.abs(errors), 1e-6, None)
    w = 1.0 / errors ** 2
    return w / w.sum()


def quantile_map(ranks, reference):
    """Maps averaged ranks in [0, 1] back to values through the reference prediction's quantiles."""
    out = np.empty_like(ranks)
    for j in range(ranks.shape[1]):
        out[:, j] = np.quantile(reference[:, j], np.clip(ranks[:, j], 0, 1))
    return out


def normalised_ranks(pred):
    from scipy.stats import rankdata
    n = pred.shape[0]
    return np.column_stack([(rankdata(pred[:, j]) - 1) / max(1, n - 1) for j in range(pred.shape[1])])


def combine_simple(preds, scores, ns, method):
    blend, unblend = ns["blend_space"], ns["unblend_space"]
    spaces = [blend(p) for p in preds]
    if method == "weighted":
        w = inverse_error_weights(scores, ns["CONFIG"].get("lower_is_better"))
        print("weights: " + ", ".join(f"{x:.3f}" for x in w))
        combined = sum(wi * s for wi, s in zip(w, spaces))
    elif method == "rank_mean":
        mean = np.mean(spaces, axis=0)
        combined = quantile_map(np.mean([normalised_ranks(s) for s in spaces], axis=0), mean)
    else:
        combined = np.mean(spaces, axis=0)
    combined = unblend(combined)
    if ns["CONFIG"].get("problem") == "multiclass":
        combined = np.clip(combined, 0, None)
        combined = combined / np.clip(combined.sum(axis=1, keepdims=True), 1e-15, None)
    return combined


def stack_features(preds, ns):
    problem = ns["CONFIG"].get("problem")
    if problem in ("binary",):
        return [logit(p) for p in preds]
    if problem == "multiclass":
        return [np.log(np.clip(p, 1e-6, 1)) for p in preds]
    return [ns["blend_space"](p) for p in preds]


def fit_meta(features, y, ns):
    """One meta-model per output: logistic (binary / multinomial) or ridge (regression)."""
    from sklearn.linear_model import LogisticRegression, Ridge
    problem = ns["CONFIG"].get("problem")
    if problem == "multiclass":
        X = np.hstack(features)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(X, y[:, 0].astype(int))
        return [model]
    models = []
    for t in range(features[0].shape[1]):
        X = np.column_stack([f[:, t] for f in features])
        if problem == "binary":
            models.append(LogisticRegression(C=1.0, max_iter=2000).fit(X, y[:, t].astype(int)))
        else:
            target = ns["blend_space"](y[:, t:t + 1])[:, 0]
            models.append(Ridge(alpha=1e-3).fit(X, target))
    return models


def apply_meta(models, features, ns):
    problem = ns["CONFIG"].get("problem")
    if problem == "multiclass":
        model = models[0]
        proba = np.zeros((features[0].shape[0], features[0].shape[1]))
        proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(np.hstack(features))
        return proba
    cols = []
    for t, model in enumerate(models):
        X = np.column_stack([f[:, t] for f in features])
        if problem == "binary":
            cols.append(model.predict_proba(X)[:, list(model.classes_).index(1)] if 1 in model.classes_
                        else np.zeros(X.shape[0]))
        else:
            cols.append(model.predict(X))
    out = np.column_stack(cols)
    return out if problem == "binary" else ns["unblend_space"](out)


def stacking_oof(preds, y, ns):
    """Cross-validated meta-model predictions on the common out-of-fold rows."""
    from sklearn.model_selection import KFold
    features = stack_features(preds, ns)
    out = np.zeros_like(preds[0], dtype=float)
    seed = int(ns["CONFIG"].get("seed", 0))
    for tr, va in KFold(5, shuffle=True, random_state=seed).split(features[0]):
        models = fit_meta([f[tr] for f in features], y[tr], ns)
        out[va] = apply_meta(models, [f[va] for f in features], ns)
    return out


mode = None
namespaces = []
for i, src in enumerate(SOLUTIONS):
    if mode is None:
        mode = json.loads(CONFIG_LINE.search(src).group(1)).get("mode", "search")
    namespaces.append(run_solution(i, with_mode(src, mode)))
ns0 = namespaces[0]
common = namespaces[0]["VALID_IDX"]
for ns in namespaces[1:]:
    common = np.intersect1d(common, ns["VALID_IDX"])
if len(common) == 0:
    raise RuntimeError("the solutions validated no common rows (different seeds or subsamples?)")
oofs = [ns["OOF_PRED"][np.searchsorted(ns["VALID_IDX"], common)] for ns in namespaces]
y_common = ns0["Y_RAW"][common]
scores = [ns["VALID_SCORE"] for ns in namespaces]
if METHOD == "stacking":
    combined_oof = stacking_oof(oofs, y_common, ns0)
else:
    combined_oof = combine_simple(oofs, scores, ns0, METHOD)
score = ns0["metric_score"](y_common, combined_oof)
print(f"ensemble {METHOD} of {len(namespaces)} solutions on {len(common)} common rows")
print(f"Final Validation Performance: {score:.6f}", flush=True)

if mode == "submit":
    tests = [np.asarray(ns["TEST_PRED"], dtype=float) for ns in namespaces]
    if METHOD == "stacking":
        meta = fit_meta(stack_features(oofs, ns0), y_common, ns0)
        test_pred = apply_meta(meta, stack_features(tests, ns0), ns0)
    else:
        test_pred = combine_simple(tests, scores, ns0, METHOD)
    ns0["write_submission"](test_pred)
