#!/usr/bin/env python3
"""Builds mlestar's bundled example tasks from datasets that Debian's
python3-sklearn ships (no download), laid out like MLE-bench tasks:

  <task>/description.md          what the agent reads
  <task>/public/                 train.csv, test.csv, sample_submission.csv
  <task>/private/answers.csv     held-out answers (never shown to the agent)
  <task>/task.json               metric, direction, id/target columns

Deterministic: the same sklearn data and seed give byte-identical files.
Usage: make-example-tasks.py [OUT_DIR]   (default: examples/)
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.model_selection import train_test_split

SEED = 0


def write_task(out, name, title, frame, target, kind, metric, lower, intro, evaluation):
    root = os.path.join(out, name)
    os.makedirs(os.path.join(root, "public"), exist_ok=True)
    os.makedirs(os.path.join(root, "private"), exist_ok=True)
    frame = frame.copy()
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    strat = frame[target] if kind != "regression" else None
    train, test = train_test_split(frame, test_size=0.25, random_state=SEED, stratify=strat)
    train = train.sort_values("id")
    test = test.sort_values("id")
    train.to_csv(os.path.join(root, "public", "train.csv"), index=False)
    test.drop(columns=[target]).to_csv(os.path.join(root, "public", "test.csv"), index=False)
    if kind == "multiclass":
        classes = sorted(frame[target].unique())
        answers = pd.DataFrame({"id": test["id"]})
        sample = pd.DataFrame({"id": test["id"]})
        for c in classes:
            answers[f"class_{c}"] = (test[target] == c).astype(int).values
            sample[f"class_{c}"] = 1.0 / len(classes)
        targets = [f"class_{c}" for c in classes]
    else:
        answers = test[["id", target]]
        fill = 0.5 if kind == "binary" else float(train[target].mean().round(3))
        sample = pd.DataFrame({"id": test["id"], target: fill})
        targets = [target]
    answers.to_csv(os.path.join(root, "private", "answers.csv"), index=False)
    sample.to_csv(os.path.join(root, "public", "sample_submission.csv"), index=False)
    with open(os.path.join(root, "description.md"), "w") as f:
        f.write(f"# {title}\n\n## Overview\n\n{intro}\n\n## Evaluation\n\n{evaluation}\n\n"
                "## Submission File\n\nFor each `id` in the test set, predict the target. "
                "The file should contain a header and have the format shown in "
                "`sample_submission.csv`.\n\n## Data\n\n- `train.csv`: the training set, with the target\n"
                "- `test.csv`: the test set, without the target\n"
                "- `sample_submission.csv`: a submission in the correct format\n")
    with open(os.path.join(root, "task.json"), "w") as f:
        json.dump({"id": name, "name": title, "metric": metric, "lower_is_better": lower,
                   "id_column": "id", "target_columns": targets, "thresholds": None,
                   "sample_submission": "public/sample_submission.csv",
                   "answers": "private/answers.csv", "test_rows": int(len(test)),
                   "source": f"sklearn.datasets (Debian python3-sklearn), split with seed {SEED}"},
                  f, indent=2)
        f.write("\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "examples")
    bc = datasets.load_breast_cancer(as_frame=True)
    frame = bc.frame.rename(columns=lambda c: c.replace(" ", "_"))
    frame = frame.rename(columns={"target": "benign"})
    write_task(out, "breast-cancer", "Breast Cancer Diagnosis", frame, "benign", "binary", "auc", False,
               "Predict whether a breast mass is benign from 30 measurements of the cell nuclei in a "
               "digitized image of a fine needle aspirate (the Wisconsin Diagnostic Breast Cancer data). "
               "`benign` is 1 for a benign mass and 0 for a malignant one.",
               "Submissions are evaluated on the area under the ROC curve between the predicted "
               "probability that the mass is benign and the observed target.")
    wine = datasets.load_wine(as_frame=True)
    frame = wine.frame.rename(columns={"target": "cultivar", "od280/od315_of_diluted_wines": "od280_od315"})
    write_task(out, "wine", "Wine Cultivar", frame, "cultivar", "multiclass", "multiclass_logloss", True,
               "Predict which of three cultivars a wine comes from, given 13 results of its chemical analysis.",
               "Submissions are evaluated using the multi-class logarithmic loss. Each row must hold one "
               "predicted probability per class (`class_0`, `class_1`, `class_2`); the probabilities of a "
               "row are normalized to sum to 1 before scoring.")
    diab = datasets.load_diabetes(as_frame=True, scaled=False)
    frame = diab.frame.rename(columns={"target": "progression"})
    write_task(out, "diabetes", "Diabetes Progression", frame, "progression", "regression", "rmse", True,
               "Predict a quantitative measure of disease progression one year after baseline from ten "
               "baseline variables (age, sex, body mass index, blood pressure and six blood serum measurements).",
               "Submissions are scored on the root mean squared error (RMSE) between the predicted and "
               "the observed progression.")


if __name__ == "__main__":
    main()
