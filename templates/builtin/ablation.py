# Ablation study composed by mlestar's offline planner (builtin backend): runs each variant of the
# current solution (one block switched off or simplified) in a fresh namespace and reports its score.
# The variants share this script's time: each is told the time left (time_budget_s) for its folds' early
# stop, and its time-sized models (model/cnn, torch_mlp) an equal part of it (fit_share), so that all of
# them fit within the script's limit and compare fairly.
import contextlib
import io
import os
import re
import time
import traceback

T_ABLATION = time.time()

VARIANTS = {{VARIANTS}}

SCORE_RE = re.compile(r"Final Validation Performance:\s*([-+0-9.eE]+|nan|inf)")
CONFIG_LINE = re.compile(r'^CONFIG = json\.loads\(r"""(.*)"""\)$', re.M)


def ablation_budget(sources):
    """Seconds all variants may take: the variants' own time_budget_s, within 80% of the sandbox's limit."""
    import json
    budget = 3600.0
    for source in sources:
        match = CONFIG_LINE.search(source)
        if match is not None:
            budget = float(json.loads(match.group(1)).get("time_budget_s") or budget)
            break
    try:
        limit = float(os.environ.get("MLESTAR_TIME_LIMIT_S") or 0)
    except ValueError:
        limit = 0
    return min(budget, 0.8 * limit) if limit > 0 else budget


def without_predictions(source, time_left, fit_share):
    """A variant only measures a score: its CONFIG is told not to predict the test rows, the time the
    ablation has left, and the part of it its time-sized models may use."""
    import json
    match = CONFIG_LINE.search(source)
    if match is None:
        return source
    config = json.loads(match.group(1))
    config["predict_test"] = False
    config["time_budget_s"] = round(time_left, 1)
    config["fit_share"] = round(fit_share, 4)
    line = 'CONFIG = json.loads(r"""' + json.dumps(config, separators=(",", ":")) + '""")'
    return source[:match.start()] + line + source[match.end():]


def run_variant(name, source, time_left, fit_share):
    """Executes one variant script in its own globals; returns (score or None, error or None, log)."""
    out = io.StringIO()
    namespace = {"__name__": "__main__", "__file__": f"ablation_{name}.py"}
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(without_predictions(source, time_left, fit_share), f"<variant {name}>", "exec"), namespace)
    except Exception as exc:  # a variant may fail (e.g. a block removed); report it, keep going
        return None, f"{type(exc).__name__}: {exc}", out.getvalue() + traceback.format_exc(limit=3)
    scores = SCORE_RE.findall(out.getvalue())
    if not scores:
        return None, "no score line printed", out.getvalue()
    return float(scores[-1]), None, out.getvalue()


results = {}
BUDGET = ablation_budget(VARIANTS.values())
for position, (variant_name, variant_source) in enumerate(VARIANTS.items()):
    started = time.time()
    left = max(1.0, BUDGET - (started - T_ABLATION))
    score, error, output = run_variant(variant_name, variant_source, left, 1.0 / (len(VARIANTS) - position))
    for line in output.strip().splitlines()[-6:]:
        if not line.startswith("Final Validation Performance"):
            print(f"  [{variant_name}] {line}")
    if error is None:
        results[variant_name] = score
        print(f"Ablation result: {variant_name}: {score:.6f}  ({time.time() - started:.1f}s)", flush=True)
    else:
        print(f"Ablation result: {variant_name}: failed: {error}", flush=True)

full_score = results.get("full")
if full_score is None and results:
    full_score = next(iter(results.values()))
print(f"Final Validation Performance: {full_score}", flush=True)
