#!/usr/bin/env bash
# End-to-end check of the builtin backend's solution kit (templates/builtin/): composes scripts with the
# reference composer (tests/tools/builtin_compose.py), runs them with /usr/bin/python3 on the bundled
# examples (examples/breast-cancer, wine, diabetes), and checks the score line, the submission's shape
# and columns against the sample submission, and that scores are sane. Also runs one ablation runner and
# every ensemble runner once. Needs only the source tree (no network, no /work/shared). ~1-2 minutes.
set -euo pipefail

SRC="${MLESTAR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
PY=/usr/bin/python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/builtin_templates.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

"$PY" - "$SRC" "$WORK" <<'EOF'
import json
import os
import sys

import pandas as pd

src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "tests", "tools"))
import builtin_compose as bc
import grade_reference

catalog = bc.load_catalog()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def compose_for(task, models, mode, extra_features=(), predict=None):
    config, tags = bc.profile_task(task, mode=mode, threads=1, time_budget_s=300)
    choices = bc.candidate(catalog, config, tags, models)
    if predict:
        choices["predict"] = [[predict, {}]]
    for name in extra_features:
        choices["features"].append([name, dict(bc.snippet_entry(catalog, "features", name)["params"])])
    return bc.compose(catalog, config, choices), config


def check_submission(task, result, label):
    sample = pd.read_csv(os.path.join(task, "public", "sample_submission.csv"))
    check(result["submission"] is not None, f"{label}: wrote final/submission.csv")
    if result["submission"] is None:
        return None
    sub = pd.read_csv(result["submission"])
    check(sub.shape == sample.shape, f"{label}: submission shape {sub.shape} == sample {sample.shape}")
    check(list(sub.columns) == list(sample.columns), f"{label}: submission columns match the sample")
    graded = grade_reference.grade(task, result["submission"])
    check(graded["valid"], f"{label}: grader accepts the submission ({graded})")
    return graded


def run(task, script, name, env=None):
    result = bc.run_script(task, script, work, name=name, timeout=300, env=env)
    ok = result["rc"] == 0 and result["score"] is not None
    check(ok, f"{name}: exit {result['rc']}, score line {result['score']} ({result['seconds']}s)")
    if not ok:
        print(result["stderr"][-2000:])
    return result


ex = os.path.join(src, "examples")
bc_task, wine, diab = (os.path.join(ex, n) for n in ("breast-cancer", "wine", "diabetes"))

# 0. catalog consistency: every snippet renders with its defaults into a script that parses (torch_mlp
# included, even where torch is absent), moves name real snippets / params, models have cards
import ast
config, tags = bc.profile_task(wine, threads=1)
names = {(s["block"], s["name"]) for s in catalog["snippets"]}
bad = []
for s in catalog["snippets"]:
    choices = bc.candidate(catalog, config, tags, ["linear"])
    if s["block"] in ("features", "model"):
        choices[s["block"]].append([s["name"], dict(s["params"])])
    else:
        choices[s["block"]] = [[s["name"], dict(s["params"])]]
    try:
        ast.parse(bc.compose(catalog, config, choices))
    except (SyntaxError, KeyError) as exc:
        bad.append(f"{s['block']}/{s['name']}: {exc}")
check(not bad, f"every snippet renders and parses {bad}")
all_params = {k for s in catalog["snippets"] for k in s["params"]}
for block, moves in catalog["moves"].items():
    for m in moves:
        ok = ("add" not in m or (block, m["add"]) in names) and ("replace" not in m or (block, m["replace"]) in names)
        ok = ok and all(k in all_params for k in m.get("params", {}))
        ok = ok and all((block, a) in names for a in m.get("applies_to", []))
        check(ok, f"move {block}:{m['name']} refers to existing snippets and params")
for m in catalog["models"]:
    check(("model", m["snippet"]) in names and os.path.isfile(os.path.join(src, m["card"])),
          f"model {m['snippet']} has a snippet and a card")
for block in bc.BLOCKS:
    check(all((block, n) in names for n in catalog["baselines"][block]), f"baseline of {block} exists")

# 1. binary AUC: a merged candidate (two model snippets) in search then submit mode
script, _ = compose_for(bc_task, ["xgboost", "linear"], "search")
check("# [block:model]" in script and "# [end:predict]" in script, "composition has the block markers")
r = run(bc_task, script, "bc_search")
check(r["score"] is not None and r["score"] > 0.95, f"breast-cancer CV AUC {r['score']} > 0.95")
# search mode writes its test predictions too (mlestar's fallback submission), from the folds' models
g = check_submission(bc_task, r, "bc_search")
check(g is not None and g["score"] > 0.95, f"breast-cancer test AUC of the search-mode predictions {g and g['score']} > 0.95")
# told not to predict (CONFIG predict_test false, as the ablation runner does), it never reads the
# test file: run it on a copy of the data without one
notest = os.path.join(work, "bc_notest")
os.makedirs(os.path.join(notest, "public"))
for f in ("train.csv", "sample_submission.csv"):
    os.symlink(os.path.join(bc_task, "public", f), os.path.join(notest, "public", f))
quiet = script.replace('"mode":"search"', '"mode":"search","predict_test":false', 1)
check(quiet != script, "the CONFIG line takes predict_test")
r = run(notest, quiet, "bc_search_without_test_file")
check(r["score"] is not None and r["submission"] is None, "without predictions: a score, no test file read, no submission")
script, _ = compose_for(bc_task, ["xgboost", "linear"], "submit")
r = run(bc_task, script, "bc_submit")
g = check_submission(bc_task, r, "bc_submit")
check(g is not None and g["score"] > 0.95, f"breast-cancer test AUC {g and g['score']} > 0.95")

# 2. multi-class log loss with class-probability columns
script, _ = compose_for(wine, ["hist_gradient_boosting"], "submit", ["missing_indicators"])
r = run(wine, script, "wine_submit")
check(r["score"] is not None and r["score"] < 0.4, f"wine CV log loss {r['score']} < 0.4")
g = check_submission(wine, r, "wine_submit")
if r["submission"]:
    sub = pd.read_csv(r["submission"])
    sums = sub.drop(columns=["id"]).sum(axis=1)
    check(((sums - 1).abs() < 1e-6).all(), "wine probabilities sum to 1 per row")
check(g is not None and g["score"] < 0.4, f"wine test log loss {g and g['score']} < 0.4")

# 3. regression RMSE, refitting on all rows for the test prediction
script, _ = compose_for(diab, ["linear"], "submit", ["log_transform"], predict="refit")
r = run(diab, script, "diabetes_submit")
check(r["score"] is not None and r["score"] < 65, f"diabetes CV RMSE {r['score']} < 65 (target sd ~77)")
g = check_submission(diab, r, "diabetes_submit")
check(g is not None and g["score"] < 70, f"diabetes test RMSE {g and g['score']} < 70")

# 4. ablation runner: full solution and two simplified variants
config, tags = bc.profile_task(bc_task, mode="search", threads=1)
full = bc.candidate(catalog, config, tags, ["extra_trees"])
simple = json.loads(json.dumps(full))
simple["model"] = [["linear", dict(bc.snippet_entry(catalog, "model", "linear")["params"])]]
holdout = json.loads(json.dumps(full))
holdout["validation"] = [["holdout", {}]]
variants = {"full": bc.compose(catalog, config, full), "model:baseline": bc.compose(catalog, config, simple),
            "validation:baseline": bc.compose(catalog, config, holdout)}
r = run(bc_task, bc.render_ablation(variants), "ablation")
lines = [l for l in r["stdout"].splitlines() if l.startswith("Ablation result:")]
check(len(lines) == 3 and all("failed" not in l for l in lines), f"ablation printed 3 results: {lines}")

# 5. every ensemble runner, submit mode, on regression (log space blending is not used for rmse)
config, tags = bc.profile_task(diab, mode="submit", threads=1)
sols = [bc.compose(catalog, config, bc.candidate(catalog, config, tags, [m])) for m in ("linear", "knn")]
for method in [e["name"] for e in catalog["ensembles"]]:
    r = run(diab, bc.render_ensemble(method, sols), f"ensemble_{method}")
    g = check_submission(diab, r, f"ensemble_{method}")
    check(g is not None and g["score"] < 75, f"ensemble {method}: diabetes test RMSE {g and g['score']} < 75")

# 6. a move in the param-change language changes the rendered script
config, tags = bc.profile_task(bc_task, mode="search", threads=1)
base = bc.candidate(catalog, config, tags, ["xgboost"])
moved = bc.apply_move(catalog, base, "model", "more_trees_lower_lr", tags, config["problem"])
check(moved is not None and "learning_rate=0.025" in bc.compose(catalog, config, moved),
      "model move x0.5 renders learning_rate=0.025")
check(bc.apply_move(catalog, moved, "model", "more_neighbors", tags, config["problem"]) is None,
      "a move that changes nothing is not applicable")

import re

# 6b. the folds' early stop under a tight budget: 10-fold cross-validation stops early, but only after a
# fifth of the rows (2 folds), never on a single tenth
config, tags = bc.profile_task(bc_task, mode="search", threads=1, time_budget_s=0.5)
tight = bc.apply_move(catalog, bc.candidate(catalog, config, tags, ["random_forest"]), "validation", "more_folds",
                      tags, config["problem"])
r = run(bc_task, bc.compose(catalog, config, tight), "tight_more_folds")
stops = re.findall(r"stopping after (\d+) folds", r["stdout"])
check(stops and int(stops[0]) >= 2, f"early stop of 10 folds after at least 2 ({stops})")

# 7. limits: no task shape is refused any more (images get pixel features, nothing readable a prior)
check(bc.limit_message(catalog, ["images"]) is None, "image task: not refused")
check(bc.limit_message(catalog, ["audio", "no_features"]) is None, "audio-only task: not refused")
check(bc.limit_message(catalog, ["numeric", "categorical"]) is None, "tabular task: allowed")

# 8. data layouts (tests/fixtures/make_fixtures.py): JSON records through load/json and the fast text
# model; features + images through load/images, with PIL and with the zlib PNG fallback; the prior
import contextlib
import io
import re
import subprocess
fix = os.path.join(work, "fixtures")
subprocess.run([bc.PYTHON, os.path.join(src, "tests", "fixtures", "make_fixtures.py"), fix, "--only",
                "records-json,features-images,audio-labels"], check=True, capture_output=True)
recs, feim, audio = (os.path.join(fix, n) for n in ("records-json", "features-images", "audio-labels"))
config, tags = bc.profile_task(recs, mode="submit", threads=1, time_budget_s=300)
choices = bc.candidate(catalog, config, tags, ["tfidf_fast_linear"])
check([n for n, _ in choices["load"]] == ["csv", "json"], f"records-json: load block csv + json ({choices['load']})")
r = run(recs, bc.compose(catalog, config, choices), "layout_json_fast_text")
g = check_submission(recs, r, "layout_json_fast_text")
check(g is not None and g["score"] > 0.9, f"records-json: test AUC {g and g['score']} > 0.9 (text + tabular)")
config, tags = bc.profile_task(feim, mode="submit", threads=1, time_budget_s=300)
check("image_files" in tags and "images" not in tags, f"features-images: image_files, not images-only ({tags})")
script = bc.compose(catalog, config, bc.candidate(catalog, config, tags, ["linear"]))
for label, env in (("layout_images_pil", None), ("layout_images_zlib", {"MLESTAR_IMAGES_NO_PIL": "1"})):
    r = run(feim, script, label, env)
    g = check_submission(feim, r, label)
    check(g is not None and g["score"] < 0.3, f"{label}: test log loss {g and g['score']} < 0.3")
    how = "zlib PNG decoder" if env else "PIL"
    counts = re.findall(r"(\d+)/(\d+) images decoded \((.*?)\)", r["stdout"])
    check(len(counts) == 2 and all(int(a) == int(b) > 0 and h == how for a, b, h in counts),
          f"{label}: every train and test image decoded with {how} ({counts})")
config, tags = bc.profile_task(audio, mode="submit", threads=1, time_budget_s=300)
check("no_features" in tags, f"audio-labels: no_features ({tags})")
r = run(audio, bc.compose(catalog, config, bc.candidate(catalog, config, tags, ["prior"])), "layout_prior")
g = check_submission(audio, r, "layout_prior")
check("PRIOR-ONLY" in r["stdout"], "prior: the script says its predictions are prior-only")

# 9. model/cnn: offered only where torch imports and the task has images; trained from scratch on the
# features-images fixture's PNGs within a 40 s budget, one fold per fold_seconds (FOLD_CAP), far better than the prior
cnn_entry = bc.snippet_entry(catalog, "model", "cnn")
check(bc.applicable(cnn_entry, "multiclass", ["image_files"]) is False, "cnn: not offered without torch")
check(bc.applicable(cnn_entry, "multiclass", ["torch", "numeric"]) is False, "cnn: not offered without images")
config, tags = bc.profile_task(feim, mode="submit", threads=1, time_budget_s=40)
if "torch" in tags:
    choices = bc.candidate(catalog, config, tags, ["cnn"])
    choices["model"][0][1]["fold_seconds"] = 15  # one fold per 15 s of the 40 s budget: two folds
    r = run(feim, bc.compose(catalog, config, choices), "layout_cnn")
    g = check_submission(feim, r, "layout_cnn")
    check(g is not None and g["score"] < 0.5, f"cnn: test log loss {g and g['score']} < 0.5 (prior 2.30)")
    fits = re.findall(r"model/cnn: (\d+) images at 32px, (\d+) epochs in [\d.]+s \(allowed (\d+)s\)", r["stdout"])
    check(len(fits) == 2 and all(int(n) > 0 and int(e) >= 1 for n, e, _ in fits),
          f"cnn: two fold networks trained on the images ({fits})")
    check("validating the first 2 of 5 folds" in r["stdout"], "cnn: FOLD_CAP limits validation to 2 folds")
    check(all(int(a) <= 40 for _, _, a in fits), f"cnn: each fit is allowed a share of the 40 s budget ({fits})")
else:
    print("skip cnn training: torch is not importable by /usr/bin/python3")

# 10. load/images finds a row's file by any trailing part of its path, so ids like "cat/1" work when file
# names repeat across class folders (cat/1.png, dog/1.png); a name shared by two files matches neither
sys.path.insert(0, os.path.join(src, "tests", "fixtures"))
import make_fixtures
import numpy as np
dup = os.path.join(work, "dupnames")
for n, cls in enumerate(("cat", "dog")):
    for k in range(2):
        make_fixtures.write(os.path.join(dup, "train", cls, f"{k}.png"),
                            make_fixtures.png_bytes(np.full((4, 4), 40 * (2 * n + k), np.uint8)))
ns = {}
exec(open(os.path.join(bc.KIT, "header.py")).read(), ns)
ns.update(CONFIG={"data_dir": dup, "extra_files": [{"pattern": "train/*/*.png", "kind": "image", "count": 4}]},
          KINDS={"numeric": [], "categorical": [], "text": [], "datetime": [], "id": ["id"], "boolean": []},
          train_df=pd.DataFrame({"id": ["cat/0", "cat/1", "dog/0", "dog/1"]}), test_df=None)
params = dict(bc.snippet_entry(catalog, "load", "images")["params"])
with contextlib.redirect_stdout(io.StringIO()):
    exec(bc.render_snippet(os.path.join(bc.KIT, "load", "images.py"), params), ns)
found = [os.path.relpath(p, dup) if p else None for p in ns["train_df"]["img_path"]]
check(found == ["train/cat/0.png", "train/cat/1.png", "train/dog/0.png", "train/dog/1.png"],
      f"images: ids naming the path below the class folders find their files ({found})")
index = ns["_image_groups"]()["train/*/*.png"]
check("0" not in index and "0.png" not in index and index.get("dog/1") is not None,
      "images: a file name repeated across folders matches no file; its folder/name does")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
EOF
