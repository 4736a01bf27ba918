#!/usr/bin/python3
"""Reference grader for a submission against a task's private/answers.csv, following the rules in
/work/shared/tasks/README.md (one row per test id, no missing or unknown ids, value checks per metric,
score rounded to 5 decimals, medals and "above median" from task.json thresholds).

Usage: grade_reference.py TASK_DIR SUBMISSION.csv   -> prints a JSON object
"""
import json
import math
import os
import sys

import numpy as np
import pandas as pd


class GradeError(Exception):
    pass


def _score(metric, truth, pred, targets):
    from sklearn.metrics import roc_auc_score
    if metric == "auc":
        p = pd.to_numeric(pred[targets[0]], errors="coerce").to_numpy(float)
        if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
            raise GradeError("AUC scores must be numbers in [0, 1]")
        return roc_auc_score(truth[targets[0]].astype(float).to_numpy(), p)
    if metric == "auc_mean_columns":
        return float(np.mean([roc_auc_score(truth[t].astype(float), pred[t].astype(float)) for t in targets]))
    if metric == "accuracy":
        ok = []
        for t in targets:
            a = truth[t].astype(str).str.strip()
            b = pred[t].astype(str).str.strip()
            kinds = set(a.unique())
            if not set(b.unique()) <= kinds:
                try:
                    a_num = a.astype(float)
                    b_num = b.astype(float)
                    ok.append((a_num == b_num).to_numpy())
                    continue
                except ValueError:
                    raise GradeError(f"accuracy: values of column {t} are not of the answers' kind {sorted(kinds)[:5]}")
            ok.append((a == b).to_numpy())
        return float(np.mean(np.concatenate(ok)))
    if metric in ("multiclass_logloss", "logloss"):
        if metric == "logloss" and len(targets) == 1:
            p = np.clip(pred[targets[0]].astype(float).to_numpy(), np.finfo(float).eps, 1 - np.finfo(float).eps)
            y = truth[targets[0]].astype(float).to_numpy()
            return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
        P = pred[targets].astype(float).to_numpy()
        if (P < 0).any() or (P > 1).any() or np.abs(P.sum(axis=1) - 1).max() > 1e-6:
            raise GradeError("class probabilities must be in [0, 1] and sum to 1 per row")
        Y = truth[targets].astype(float).to_numpy()
        eps = np.finfo(float).eps
        p_true = np.clip((P * Y).sum(axis=1), eps, 1 - eps)
        return float(-np.mean(np.log(p_true)))
    P = pred[targets].apply(pd.to_numeric, errors="coerce").to_numpy(float)
    Y = truth[targets].astype(float).to_numpy()
    if np.isnan(P).any():
        raise GradeError("predictions must be numbers")
    if metric in ("rmsle", "rmsle_mean_columns"):
        if (P < 0).any():
            raise GradeError("RMSLE predictions must be >= 0")
        err = (np.log1p(P) - np.log1p(Y)) ** 2
        if metric == "rmsle_mean_columns":
            return float(np.mean(np.sqrt(err.mean(axis=0))))
        return float(np.sqrt(err.mean()))
    if metric == "rmse_log":
        if (P <= 0).any():
            raise GradeError("log-RMSE predictions must be > 0")
        return float(np.sqrt(np.mean((np.log(P) - np.log(Y)) ** 2)))
    if metric == "mae":
        return float(np.mean(np.abs(P - Y)))
    if metric == "rmse":
        return float(np.sqrt(np.mean((P - Y) ** 2)))
    raise GradeError(f"metric {metric} not supported by the reference grader")


def grade(task_dir, submission_path):
    with open(os.path.join(task_dir, "task.json")) as fh:
        info = json.load(fh)
    metric = info["metric"]
    lower = bool(info["lower_is_better"])
    id_col = info["id_column"]
    targets = list(info["target_columns"])
    result = {"metric": metric, "valid": False, "score": None}
    try:
        answers = pd.read_csv(os.path.join(task_dir, info.get("answers", "private/answers.csv")), dtype=str,
                              keep_default_na=False)
        sub = pd.read_csv(submission_path, dtype=str, keep_default_na=False)
        missing_cols = [c for c in [id_col] + targets if c not in sub.columns]
        if missing_cols:
            raise GradeError(f"submission lacks columns {missing_cols}")
        if len(sub) != len(answers):
            raise GradeError(f"submission has {len(sub)} rows, answers {len(answers)}")
        if answers[id_col].is_unique:
            if not sub[id_col].is_unique:
                raise GradeError("duplicate ids in submission")
            if set(sub[id_col]) != set(answers[id_col]):
                raise GradeError("submission ids differ from the test ids")
            sub = sub.set_index(id_col).loc[answers[id_col]].reset_index()
        else:
            # ids repeat (e.g. a text used as id): match as multisets, in order of appearance
            if sorted(sub[id_col]) != sorted(answers[id_col]):
                raise GradeError("submission ids differ from the test ids")
            key_a = answers[id_col] + "\x00" + answers.groupby(id_col).cumcount().astype(str)
            key_s = sub[id_col] + "\x00" + sub.groupby(id_col).cumcount().astype(str)
            sub = sub.set_index(key_s).loc[key_a].reset_index(drop=True)
        score = _score(metric, answers, sub, targets)
        if math.isnan(score):
            raise GradeError("score is NaN")
        result.update(valid=True, score=round(score, 5))
    except (GradeError, ValueError, KeyError) as exc:
        result["error"] = str(exc)
        return result
    th = info.get("thresholds")
    if th:
        def at_least(t):
            return result["score"] <= t if lower else result["score"] >= t
        medal = next((m for m in ("gold", "silver", "bronze") if at_least(th[m])), None)
        result["medal"] = medal
        result["above_median"] = bool(result["score"] < th["median"] if lower else result["score"] > th["median"])
        result["thresholds"] = th
    return result


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__)
        sys.exit(2)
    print(json.dumps(grade(sys.argv[1], sys.argv[2])))
