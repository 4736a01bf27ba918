#!/usr/bin/python3
"""Reference composer for the builtin backend's solution kit (templates/builtin/).

It builds solution scripts exactly as templates/builtin/README.md specifies (header + CONFIG line +
blocks of catalog snippets with {{param}} substitution), applies catalog moves, renders the ablation and
ensemble runners, and can run a script in a scratch folder (./input -> the task's public/ folder,
./final/ created) with /usr/bin/python3. A small pandas profiler computes the CONFIG facts of a task
folder (the C planner has its own profiler; this one only has to be good enough to test the kit).

Usage:
  builtin_compose.py profile TASK_DIR
  builtin_compose.py compose TASK_DIR --models xgboost[,linear] [--features auto|basic,...]
                     [--mode search|submit] [--move NAME ...] [--validation kfold] [-o FILE]
  builtin_compose.py run TASK_DIR --models ... [--mode ...] [--workdir DIR]   (compose + run + grade)
  builtin_compose.py experiment TASK_DIR [--workdir DIR] [--json OUT]         (the full battery)

Python library use: profile_task(), candidate(), apply_move(), compose(), render_ablation(),
render_ensemble(), run_script().
"""
import argparse
import copy
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
KIT = os.path.join(SOURCE_ROOT, "templates", "builtin")
PYTHON = "/usr/bin/python3"
BLOCKS = ["load", "features", "model", "validation", "predict"]
SEPARATORS = ["/", "_", "-", ":", "|", " "]
PROB_METRICS = {"auc", "auc_mean_columns", "logloss", "multiclass_logloss"}


def load_catalog():
    with open(os.path.join(KIT, "catalog.json")) as fh:
        return json.load(fh)


# ------------------------------------------------------------------------------------------ profile
def _data_dir(task_dir):
    public = os.path.join(task_dir, "public")
    return public if os.path.isdir(public) else task_dir


TABLE_EXTS = (".csv", ".json", ".jsonl", ".ndjson")


def _find(files, words):
    for ext in TABLE_EXTS:
        for f in files:
            low = f.lower()
            if low.endswith(ext) and any(w in low for w in words):
                return f


def _read_table(path, nrows=None):
    """A CSV, or JSON records flattened as load/json does (nested fields as parent.child)."""
    if path.lower().endswith(".csv"):
        return pd.read_csv(path, low_memory=False, nrows=nrows)
    with open(path) as fh:
        if path.lower().endswith((".jsonl", ".ndjson")):
            records = [json.loads(line) for line in fh if line.strip()]
        else:
            records = json.load(fh)
    frame = pd.json_normalize(records, sep=".", max_level=4)
    return frame.head(nrows) if nrows else frame
    return None


def _is_structured(values):
    values = values.dropna().astype(str)
    if values.empty or values.str.len().mean() > 40:
        return False
    values = values.head(3000)
    for sep in SEPARATORS:
        counts = values.str.count(re.escape(sep)) + 1
        mode = int(counts.mode().iloc[0])
        if 2 <= mode <= 5 and (counts == mode).mean() >= 0.95:
            return True
    return False


def _parses_as_dates(values):
    values = values.dropna().astype(str).head(500)
    if values.empty or pd.to_numeric(values, errors="coerce").notna().mean() > 0.5:
        return False
    for fmt in (None, "%Y%m%d%H%M%SZ", "%Y%m%d%H%M%S"):
        try:
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        except (ValueError, TypeError):
            continue
        if parsed.notna().mean() >= 0.9:
            return True
    return False


def _extra_files(data_dir, known):
    groups = {}
    for root, _, files in os.walk(data_dir):
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), data_dir)
            if rel in known:
                continue
            parts = rel.split(os.sep)
            stem, ext = os.path.splitext(parts[-1])
            parts[-1] = "*" + ext if re.search(r"[0-9]", stem) else parts[-1]  # as the C profiler: img_001.png
            pattern = "/".join("*" if re.fullmatch(r"[0-9a-zA-Z_-]*[0-9][0-9a-zA-Z_-]*", p) and i < len(parts) - 1
                               else p for i, p in enumerate(parts))
            groups.setdefault(pattern, 0)
            groups[pattern] += 1
    out = []
    for pattern, count in sorted(groups.items()):
        ext = os.path.splitext(pattern)[1].lower()
        kind = ("image" if ext in (".png", ".jpg", ".jpeg", ".tif", ".bmp", ".gif") else
                "audio" if ext in (".wav", ".mp3", ".flac", ".aif") else "text")
        out.append({"pattern": pattern, "kind": kind, "count": count})
    return out


def profile_task(task_dir, mode="search", seed=42, subsample_rows=30000, time_budget_s=600, threads=1):
    """CONFIG (README section 2) and profile tags for a task folder."""
    data_dir = _data_dir(task_dir)
    files = sorted(f for f in os.listdir(data_dir) if os.path.isfile(os.path.join(data_dir, f)))
    sample_file = _find(files, ["sample", "submission"])
    train_file = _find([f for f in files if f != sample_file], ["train", "labels"])
    test_file = _find([f for f in files if f != sample_file], ["test"])
    train = _read_table(os.path.join(data_dir, train_file))
    sample = pd.read_csv(os.path.join(data_dir, sample_file), nrows=2000)
    test_ids_from = None
    if test_file is None:  # image / audio tasks: the sample lists the test ids (facts.c does the same)
        test_file, test_ids_from = sample_file, "sample_submission"
        test = sample[[sample.columns[0]]]
    else:
        test = _read_table(os.path.join(data_dir, test_file), nrows=2000)
    info = {}
    task_json = os.path.join(task_dir, "task.json")
    if os.path.isfile(task_json):
        with open(task_json) as fh:
            info = json.load(fh)
    id_columns = [c for c in sample.columns if c in test.columns]
    if info.get("id_column"):
        id_columns = [info["id_column"]]
    target_columns = [c for c in sample.columns if c not in test.columns]
    if info.get("target_columns"):
        target_columns = list(info["target_columns"])
    fmt, class_values = "values", None
    train_targets = [c for c in target_columns if c in train.columns]
    if not train_targets:
        fmt = "class_probs"
        cand = [c for c in train.columns if c not in test.columns]
        col = cand[0]
        train_targets = [col]
        values = sorted(train[col].dropna().unique().tolist())
        class_values = []
        for i, tc in enumerate(target_columns):
            match = [v for v in values if re.search(r"(^|[^0-9A-Za-z])" + re.escape(str(v)) + r"$", tc)]
            class_values.append(str(match[0]) if match else str(values[i]))
    metric = info.get("metric")
    ys = train[train_targets]
    classification = fmt == "class_probs" or any(ys[c].dtype == bool or ys[c].dtype == object for c in train_targets) \
        or metric in ("auc", "auc_mean_columns", "logloss", "multiclass_logloss", "accuracy", "f1")
    if classification:
        n_classes = max(ys[c].nunique() for c in train_targets)
        problem = "binary" if n_classes <= 2 else "multiclass"
    else:
        problem = "regression" if len(train_targets) == 1 else "multi_regression"
    if metric is None:
        metric = {"binary": "auc", "multiclass": "multiclass_logloss"}.get(problem, "rmse")
    lower = info.get("lower_is_better")
    if lower is None:
        lower = metric not in ("auc", "auc_mean_columns", "accuracy", "f1", "qwk")
    kinds = {k: [] for k in ("numeric", "categorical", "text", "datetime", "id", "boolean")}
    tags = set()
    n = len(train)
    for c in train.columns:
        if c in train_targets:
            continue
        s = train[c]
        if s.isna().any():
            tags.add("missing")
        nun = s.nunique()
        if s.dtype == bool or (nun == 2 and set(map(str, s.dropna().unique())) <= {"True", "False", "true", "false"}):
            kinds["boolean"].append(c)
        elif pd.api.types.is_numeric_dtype(s):
            integer = s.dropna().eq(s.dropna().round()).all()
            if integer and nun >= 0.999 * n and (c in id_columns or nun == n):
                kinds["id"].append(c)
            else:
                kinds["numeric"].append(c)
                v = s.dropna()
                if len(v) > 10 and v.min() >= 0 and v.nunique() > 10 and v.skew() > 2:
                    tags.add("skewed_numeric")
        else:
            text = s.dropna().astype(str)
            mean_len = text.str.len().mean() if len(text) else 0
            mean_words = text.str.split().str.len().mean() if len(text) else 0
            if mean_len >= 30 and mean_words >= 4 and nun > 0.3 * n:
                kinds["text"].append(c)
            elif _parses_as_dates(s):
                kinds["datetime"].append(c)
            elif nun >= 0.9 * n:
                kinds["id"].append(c)
            else:
                kinds["categorical"].append(c)
                if nun > 50:
                    tags.add("high_cardinality")
            if c not in kinds["text"] and c not in kinds["datetime"] and _is_structured(s):
                tags.add("structured_string")
    for k, v in kinds.items():
        if v and k != "id":
            tags.add(k)
    extra = _extra_files(data_dir, set(files))
    if extra:
        tags.add("extra_files")
    has_features = any(kinds[k] for k in ("numeric", "categorical", "text", "datetime", "boolean"))
    images = any(g["kind"] == "image" for g in extra)
    if images:
        tags.add("image_files")
    if any(f and f.lower().endswith((".json", ".jsonl", ".ndjson")) for f in (train_file, test_file)):
        tags.add("json_records")
    if not has_features:
        if images:
            tags.add("images")
        elif any(g["kind"] == "audio" for g in extra):
            tags.add("audio")
        if not images and not any(g["kind"] == "text" for g in extra):
            tags.add("no_features")
    if n <= 5000:
        tags.add("small_data")
    if problem == "multiclass" and max(train[c].nunique() for c in train_targets) > 10:
        tags.add("many_classes")
    for module, tag in (("torch", "torch"), ("PIL", "pil")):
        try:
            subprocess.run([PYTHON, "-c", f"import {module}"], check=True, capture_output=True, timeout=60)
            tags.add(tag)
        except (subprocess.SubprocessError, OSError):
            pass
    config = {
        "mode": mode, "seed": seed, "subsample_rows": subsample_rows, "data_dir": "./input",
        "train_file": train_file, "test_file": test_file, "sample_submission_file": sample_file,
        "id_columns": id_columns, "target_columns": target_columns, "train_targets": train_targets,
        "submission_format": fmt, "class_values": class_values, "problem": problem, "metric": metric,
        "lower_is_better": bool(lower), "columns": kinds, "extra_files": extra, "n_folds": 5,
        "time_budget_s": time_budget_s, "threads": threads,
    }
    if test_ids_from:
        config["test_ids_from"] = test_ids_from
    return config, sorted(tags)


def limit_message(catalog, tags):
    """The catalog's message for a task shape the kit cannot solve, or None."""
    for limit in catalog.get("limits", []):
        if all(t in tags for t in limit["when"]) and not any(t in tags for t in limit.get("unless", [])):
            return limit["message"]
    return None


# ------------------------------------------------------------------------------------------ compose
def snippet_entry(catalog, block, name):
    for s in catalog["snippets"]:
        if s["block"] == block and s["name"] == name:
            return s
    raise KeyError(f"no snippet {block}/{name} in catalog.json")


def applicable(entry, problem, tags, metric=None):
    if "*" not in entry.get("problems", ["*"]) and problem not in entry.get("problems", []):
        return False
    metrics = entry.get("metrics", ["*"])
    if metric and "*" not in metrics and metric not in metrics:
        return False
    if any(t not in tags for t in entry.get("requires", [])):
        return False
    return not any(t in tags for t in entry.get("avoid", []))


def candidate(catalog, config, tags, models):
    """Choices of a fresh candidate: defaults, auto load steps and auto features whose requires hold, the
    given models.
    Choices = {block: [[snippet_name, params], ...]} with params the full parameter dicts."""
    choices = {}
    for block in BLOCKS:
        names = list(models) if block == "model" else list(catalog["defaults"][block])
        if block == "load":
            for name in catalog.get("auto_load", []):
                if applicable(snippet_entry(catalog, "load", name), config["problem"], tags):
                    names.append(name)
        if block == "features":
            for name in catalog["auto_features"]:
                if applicable(snippet_entry(catalog, "features", name), config["problem"], tags):
                    names.append(name)
        choices[block] = [[n, copy.deepcopy(snippet_entry(catalog, block, n)["params"])] for n in names]
    return choices


def _ordered(catalog, block, items):
    order = [s["name"] for s in catalog["snippets"] if s["block"] == block]
    return sorted(items, key=lambda it: order.index(it[0]))


def render_value(v):
    if isinstance(v, bool):
        return "True" if v else "False"
    if v is None:
        return "None"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        text = "%.10g" % v
        if not any(ch in text for ch in ".ein"):
            text += ".0"
        return text
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(render_value(x) for x in v) + "]"
    raise TypeError(f"cannot render {v!r}")


def render_snippet(path, params):
    with open(path) as fh:
        text = fh.read()

    def sub(m):
        name = m.group(1)
        if name not in params:
            raise KeyError(f"{path}: no value for {{{{{name}}}}}")
        return render_value(params[name])
    return re.sub(r"\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}", sub, text)


def compose(catalog, config, choices):
    with open(os.path.join(KIT, catalog["header"])) as fh:
        out = [fh.read()]
    out.append('CONFIG = json.loads(r"""' + json.dumps(config, separators=(",", ":")) + '""")\n')
    for block in BLOCKS:
        out.append(f"# [block:{block}]\n")
        record = {"block": block, "snippets": [{"name": n, "params": p} for n, p in choices[block]]}
        out.append("# [compose] " + json.dumps(record, separators=(",", ":"), sort_keys=True, ensure_ascii=False) + "\n")
        for name, params in _ordered(catalog, block, choices[block]):
            entry = snippet_entry(catalog, block, name)
            out.append(render_snippet(os.path.join(KIT, entry["file"]), params))
        out.append(f"# [end:{block}]\n")
    return "".join(out)


# ------------------------------------------------------------------------------------------ moves
def change_param(current, change):
    """The param-change language of README section 4. Returns (new_value, changed)."""
    if isinstance(change, str) and re.fullmatch(r"x[0-9]*\.?[0-9]+", change):
        if not isinstance(current, (int, float)) or isinstance(current, bool):
            return current, False
        value = current * float(change[1:])
    elif isinstance(change, str) and re.fullmatch(r"[+-][0-9]*\.?[0-9]+", change):
        if not isinstance(current, (int, float)) or isinstance(current, bool):
            return current, False
        value = current + float(change)
    else:
        return change, change != current
    if isinstance(current, int):
        value = max(1, int(round(value)))
    return value, value != current


def apply_move(catalog, choices, block, move_name, tags, problem):
    """Returns new choices with the move applied, or None when it is not applicable."""
    move = next((m for m in catalog["moves"].get(block, []) if m["name"] == move_name), None)
    if move is None:
        raise KeyError(f"no {block} move {move_name}")
    if "problems" in move and problem not in move["problems"]:
        return None
    if any(t not in tags for t in move.get("requires", [])):
        return None
    new = copy.deepcopy(choices)
    items = new[block]
    if "add" in move:
        entry = snippet_entry(catalog, block, move["add"])
        if any(n == move["add"] for n, _ in items) or not applicable(entry, problem, tags):
            return None
        items.append([move["add"], copy.deepcopy(entry["params"])])
        return new
    if "replace" in move:
        entry = snippet_entry(catalog, block, move["replace"])
        new[block] = items = [[move["replace"], copy.deepcopy(entry["params"])]]
    changed = "replace" in move and choices[block] != items
    for name, params in items:
        if move.get("applies_to") and name not in move["applies_to"]:
            continue
        for key, change in move.get("params", {}).items():
            if key in params:
                params[key], did = change_param(params[key], change)
                changed = changed or did
    return new if changed else None


# ------------------------------------------------------------------------------------------ runners
def _literal(text):
    return json.dumps(text)


def render_ablation(variants):
    with open(os.path.join(KIT, "ablation.py")) as fh:
        runner = fh.read()
    body = "{\n" + "".join(f"    {_literal(k)}: {_literal(v)},\n" for k, v in variants.items()) + "}"
    return runner.replace("{{VARIANTS}}", body)


def render_ensemble(method, solutions, catalog=None):
    """The catalog's shared ensemble part with {{SOLUTIONS}} filled, followed by the method's file."""
    catalog = catalog or load_catalog()
    files = [e["file"] for e in catalog["ensembles"] if e["name"] == method]
    if not files:
        raise KeyError(f"unknown ensemble method {method}")
    with open(os.path.join(KIT, catalog["ensemble_common"])) as fh:
        common = fh.read()
    with open(os.path.join(KIT, files[0])) as fh:
        method_part = fh.read()
    body = "[\n" + "".join(f"    {_literal(s)},\n" for s in solutions) + "]"
    return common.replace("{{SOLUTIONS}}", body) + method_part


SCORE_RE = re.compile(r"Final Validation Performance:\s*([-+0-9.eEinfa]+)")


def run_script(task_dir, script, workdir, name="solution", timeout=1800, env=None):
    """Runs script in workdir/name/ with ./input -> public/; returns dict(score, seconds, rc, stdout...)."""
    folder = os.path.join(workdir, name)
    if os.path.isdir(folder):
        shutil.rmtree(folder)
    os.makedirs(os.path.join(folder, "final"))
    os.symlink(os.path.abspath(_data_dir(task_dir)), os.path.join(folder, "input"))
    with open(os.path.join(folder, "solution.py"), "w") as fh:
        fh.write(script)
    t0 = time.time()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([PYTHON, "solution.py"], cwd=folder, capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **env) if env else None)
    seconds = time.time() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    with open(os.path.join(folder, "stdout.txt"), "w") as fh:
        fh.write(proc.stdout)
    with open(os.path.join(folder, "stderr.txt"), "w") as fh:
        fh.write(proc.stderr)
    scores = SCORE_RE.findall(proc.stdout)
    score = float(scores[-1]) if scores else None
    sub = os.path.join(folder, "final", "submission.csv")
    return {"name": name, "score": score, "seconds": round(seconds, 1), "cpu": round(cpu, 1), "rc": proc.returncode,
            "stdout": proc.stdout, "stderr": proc.stderr[-3000:],
            "submission": sub if os.path.isfile(sub) else None}


# ------------------------------------------------------------------------------------------ experiment
def _better(a, b, lower):
    if a is None:
        return False
    if b is None:
        return True
    return a <= b if lower else a >= b


def experiment(task_dir, workdir, threads=1, models=None, log=print):
    """The battery of the brief: every model as a candidate, a merge of the best two, moves on the
    best, one ablation, every ensemble method, then submit mode of the best, graded."""
    sys.path.insert(0, HERE)
    import grade_reference
    catalog = load_catalog()
    config, tags = profile_task(task_dir, threads=threads)
    lower = config["lower_is_better"]
    log(f"profile: problem={config['problem']} metric={config['metric']} tags={tags}")
    log(f"columns: {json.dumps(config['columns'])}")
    results = []

    def run(label, choices, mode="search", script=None):
        cfg = dict(config, mode=mode)
        script = script or compose(catalog, cfg, choices)
        r = run_script(task_dir, script, workdir, name=re.sub(r"[^A-Za-z0-9_.-]", "_", label))
        r["label"] = label
        results.append(r)
        log(f"  {label:55s} score={r['score']} rc={r['rc']} {r['seconds']}s cpu={r['cpu']}s")
        if r["rc"] != 0:
            log(r["stderr"][-1500:])
        return r

    model_names = models or [m["snippet"] for m in catalog["models"]
                             if applicable(snippet_entry(catalog, "model", m["snippet"]), config["problem"], tags)]
    cands = []
    for m in model_names:
        choices = candidate(catalog, config, tags, [m])
        r = run(f"candidate:{m}", choices)
        if r["score"] is not None:
            cands.append((r["score"], m, choices))
    cands.sort(key=lambda c: c[0], reverse=not lower)
    best_score, best_name, best = cands[0]
    best_label = f"candidate:{best_name}"
    if len(cands) > 1:
        merged = copy.deepcopy(best)
        merged["model"] += copy.deepcopy(cands[1][2]["model"])
        r = run(f"merge:{best_name}+{cands[1][1]}", merged)
        if _better(r["score"], best_score, lower):
            best, best_score, best_label = merged, r["score"], r["label"]
    # moves: every applicable feature move, then model moves, keeping improvements (greedy)
    for block in ("features", "model", "validation"):
        for move in catalog["moves"].get(block, []):
            new = apply_move(catalog, best, block, move["name"], tags, config["problem"])
            if new is None:
                continue
            r = run(f"move:{block}:{move['name']}", new)
            if _better(r["score"], best_score, lower) and r["score"] != best_score:
                best, best_score, best_label = new, r["score"], r["label"]
    # ablation of the best
    variants = {"full": compose(catalog, config, best)}
    for block in ("features", "model", "validation"):
        base = copy.deepcopy(best)
        base[block] = [[n, copy.deepcopy(snippet_entry(catalog, block, n)["params"])]
                       for n in catalog["baselines"][block]]
        if base != best:
            variants[f"{block}:baseline"] = compose(catalog, config, base)
    run("ablation", None, script=render_ablation(variants))
    # ensembles of the best and the best other candidate family
    second = next((c for c in cands if c[1] not in [n for n, _ in best["model"]]), cands[-1])
    other = copy.deepcopy(best)
    other["model"] = copy.deepcopy(second[2]["model"])
    sols = [compose(catalog, config, best), compose(catalog, config, other)]
    ens = {}
    for e in catalog["ensembles"]:
        r = run(f"ensemble:{e['name']}", None, script=render_ensemble(e["name"], sols, catalog))
        ens[e["name"]] = r
    final = {"label": best_label, "score": best_score, "choices": best}
    best_ens = None
    for name, r in ens.items():
        if _better(r["score"], final["score"], lower) and r["score"] != final["score"]:
            final = {"label": f"ensemble:{name}", "score": r["score"], "choices": best}
            best_ens = name
    # submit: the best single script, and the best ensemble when it won
    sub_cfg = dict(config, mode="submit")
    single = run("submit:single", None, mode="submit", script=compose(catalog, sub_cfg, best))
    graded = {"single": grade_reference.grade(task_dir, single["submission"]) if single["submission"] else None}
    if best_ens:
        sols_submit = [compose(catalog, sub_cfg, best), compose(catalog, sub_cfg, other)]
        script = render_ensemble(best_ens, sols_submit, catalog)
        r = run(f"submit:ensemble:{best_ens}", None, mode="submit", script=script)
        graded["ensemble"] = grade_reference.grade(task_dir, r["submission"]) if r["submission"] else None
        graded["ensemble_seconds"] = r["seconds"]
    graded["single_seconds"] = single["seconds"]
    return {"task": os.path.basename(os.path.normpath(task_dir)), "final": final, "graded": graded,
            "runs": [{k: r[k] for k in ("label", "score", "seconds", "cpu", "rc")} for r in results],
            "best_choices": best}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["profile", "compose", "run", "experiment"])
    ap.add_argument("task_dir")
    ap.add_argument("--models", default="xgboost")
    ap.add_argument("--features", default="auto")
    ap.add_argument("--validation", default=None)
    ap.add_argument("--predict", default=None)
    ap.add_argument("--move", action="append", default=[], help="BLOCK:NAME, applied in order")
    ap.add_argument("--mode", default="search")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--subsample", type=int, default=30000)
    ap.add_argument("--budget", type=float, default=600)
    ap.add_argument("--workdir", default="/tmp/builtin_compose")
    ap.add_argument("--json", default=None)
    ap.add_argument("-o", "--output", default=None)
    args = ap.parse_args()
    catalog = load_catalog()
    config, tags = profile_task(args.task_dir, mode=args.mode, subsample_rows=args.subsample,
                                time_budget_s=args.budget, threads=args.threads)
    if args.command == "profile":
        print(json.dumps({"config": config, "tags": tags}, indent=1))
        return 0
    if args.command == "experiment":
        os.makedirs(args.workdir, exist_ok=True)
        out = experiment(args.task_dir, args.workdir, threads=args.threads)
        print(json.dumps({k: out[k] for k in ("task", "final", "graded")}, indent=1, default=str))
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(out, fh, indent=1, default=str)
        return 0
    choices = candidate(catalog, config, tags, args.models.split(","))
    if args.features != "auto":
        choices["features"] = [[n, copy.deepcopy(snippet_entry(catalog, "features", n)["params"])]
                               for n in args.features.split(",")]
    if args.validation:
        choices["validation"] = [[args.validation, copy.deepcopy(snippet_entry(catalog, "validation",
                                                                               args.validation)["params"])]]
    if args.predict:
        choices["predict"] = [[args.predict, copy.deepcopy(snippet_entry(catalog, "predict", args.predict)["params"])]]
    for mv in args.move:
        block, name = mv.split(":", 1)
        new = apply_move(catalog, choices, block, name, tags, config["problem"])
        if new is None:
            print(f"move {mv} not applicable", file=sys.stderr)
        else:
            choices = new
    script = compose(catalog, config, choices)
    if args.command == "compose":
        if args.output:
            with open(args.output, "w") as fh:
                fh.write(script)
        else:
            sys.stdout.write(script)
        return 0
    os.makedirs(args.workdir, exist_ok=True)
    r = run_script(args.task_dir, script, args.workdir)
    print(r["stdout"][-4000:])
    print(r["stderr"][-3000:], file=sys.stderr)
    print(f"score={r['score']} rc={r['rc']} seconds={r['seconds']} cpu={r['cpu']}")
    if r["submission"] and args.mode == "submit":
        sys.path.insert(0, HERE)
        import grade_reference
        print("graded:", json.dumps(grade_reference.grade(args.task_dir, r["submission"])))
    return 0 if r["rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
