#!/usr/bin/python3
"""Reference values of the grading metrics, computed by scikit-learn.

Usage: /usr/bin/python3 sklearn_metrics.py SEED [CASES_PER_METRIC]

Prints one JSON object: {"sklearn": version, "cases": [{"metric", "n", "k",
"y_true", "y_pred", "value"}, ...]} where y_true / y_pred are row-major
lists of n * k numbers, in the encoding src/grade/metrics.h expects (labels
as numbers, one-hot answers for multiclass_logloss). Inputs are random but
reproducible from SEED, and include the awkward parts: tied scores, exact 0
and 1 probabilities (clipping), unnormalized probability rows, label values
with gaps (kappa), several target columns. tests/unit/grade_metrics_test.c
runs this and compares mlestar's values with "value".
"""
import json
import sys

import numpy as np
import sklearn
from sklearn import metrics


def case(name, y_true, y_pred, value):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    k = 1 if y_true.ndim == 1 else y_true.shape[1]
    return {
        "metric": name,
        "n": int(y_true.shape[0]),
        "k": k,
        "y_true": y_true.reshape(-1).tolist(),
        "y_pred": y_pred.reshape(-1).tolist(),
        "value": float(value),
    }


def binary_labels(rng, n):
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1  # both classes present
    return y


def scores(rng, n):
    s = rng.random(n)
    tied = rng.random(n) < 0.3
    s[tied] = np.round(s[tied], 1)  # ties
    return s


def probabilities(rng, n):
    p = rng.random(n)
    p[rng.random(n) < 0.05] = 0.0
    p[rng.random(n) < 0.05] = 1.0
    return p


def make_cases(rng):
    out = []
    n = int(rng.integers(20, 400))

    y = binary_labels(rng, n)
    s = scores(rng, n)
    out.append(case("auc", y, s, metrics.roc_auc_score(y, s)))

    k = int(rng.integers(2, 5))
    ym = np.stack([binary_labels(rng, n) for _ in range(k)], axis=1)
    sm = np.stack([scores(rng, n) for _ in range(k)], axis=1)
    out.append(case("auc_mean_columns", ym, sm,
                    np.mean([metrics.roc_auc_score(ym[:, c], sm[:, c]) for c in range(k)])))

    p = probabilities(rng, n)
    out.append(case("logloss", y, p, metrics.log_loss(y, p)))

    k = int(rng.integers(3, 6))
    labels = rng.integers(0, k, n)
    labels[:k] = np.arange(k)
    onehot = np.eye(k)[labels]
    pm = rng.random((n, k))
    pm[rng.random((n, k)) < 0.05] = 0.0
    if rng.random() < 0.5:
        pm = pm / pm.sum(axis=1, keepdims=True)
    out.append(case("multiclass_logloss", onehot, pm, metrics.log_loss(onehot, pm)))

    a = rng.integers(0, 4, n)
    b = np.where(rng.random(n) < 0.6, a, rng.integers(0, 4, n))
    out.append(case("accuracy", a, b, metrics.accuracy_score(a, b)))

    yb = binary_labels(rng, n)
    pb = np.where(rng.random(n) < 0.7, yb, 1 - yb)
    out.append(case("f1", yb, pb, metrics.f1_score(yb, pb)))

    values = np.array([0, 1, 3, 7, 8])  # gaps: kappa weights use class positions
    r1 = values[rng.integers(0, 5, n)]
    r2 = np.where(rng.random(n) < 0.5, r1, values[rng.integers(0, 4, n)])
    out.append(case("qwk", r1, r2, metrics.cohen_kappa_score(r1, r2, weights="quadratic")))

    k = int(rng.integers(1, 4))
    t = rng.normal(10, 5, (n, k))
    q = t + rng.normal(0, 2, (n, k))
    out.append(case("rmse", t, q, metrics.mean_squared_error(t, q, squared=False)))
    out.append(case("mae", t, q, metrics.mean_absolute_error(t, q)))

    t = rng.gamma(2.0, 3.0, (n, k))
    q = np.abs(t + rng.normal(0, 1, (n, k)))
    q[0, 0] = 0.0
    msle = metrics.mean_squared_log_error(t, q, multioutput="raw_values")
    out.append(case("rmsle", t, q, np.mean(np.sqrt(msle))))
    out.append(case("rmsle_mean_columns", t, q, np.mean(np.sqrt(msle))))

    t = rng.lognormal(12, 0.4, n)
    q = t * rng.lognormal(0, 0.2, n)
    out.append(case("rmse_log", t, q, metrics.mean_squared_error(np.log(t), np.log(q), squared=False)))
    return out


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(rounds):
        cases.extend(make_cases(rng))
    json.dump({"sklearn": sklearn.__version__, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
