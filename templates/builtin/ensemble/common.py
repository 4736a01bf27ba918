# Ensemble composed by mlestar's offline planner (builtin backend). Runs every solution in a fresh
# namespace, combines their out-of-fold predictions on the rows all of them validated (the same seeded
# split), prints the combined validation score and writes the combined test prediction (in search mode too:
# mlestar keeps the best search prediction as its fallback submission).
# This part is shared by every method; the method's own part (ensemble/<method>.py) follows it and ends
# with the call that runs the ensemble: run_ensemble(...) or, for a method that combines out-of-fold
# and test predictions alike, run_blend_ensemble(...).
import contextlib
import io
import json
import re

import numpy as np

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


def combine_in_blend_space(preds, scores, ns, blend):
    """Maps each prediction to the blend space (log space for rmsle-like metrics), combines them with
    blend(spaces, scores, ns), maps the result back and renormalises class probabilities."""
    spaces = [ns["blend_space"](p) for p in preds]
    combined = ns["unblend_space"](blend(spaces, scores, ns))
    if ns["CONFIG"].get("problem") == "multiclass":
        combined = np.clip(combined, 0, None)
        combined = combined / np.clip(combined.sum(axis=1, keepdims=True), 1e-15, None)
    return combined


def run_ensemble(method, combine_oof, combine_test):
    """Runs SOLUTIONS, scores the combination of their out-of-fold predictions and (every mode) writes
    the combination of their test predictions with the first solution's writer. The method gives
    combine_oof(oofs, y, scores, ns) and combine_test(tests, oofs, y, scores, ns): oofs are the
    solutions' out-of-fold predictions on the common rows, y the true values there, scores the
    solutions' validation scores, ns the first solution's namespace (CONFIG, metric and space helpers)."""
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
    combined_oof = combine_oof(oofs, y_common, scores, ns0)
    score = ns0["metric_score"](y_common, combined_oof)
    print(f"ensemble {method} of {len(namespaces)} solutions on {len(common)} common rows")
    print(f"Final Validation Performance: {score:.6f}", flush=True)

    if all(ns.get("TEST_PRED") is not None for ns in namespaces):  # every mode: the search's fallback too
        tests = [np.asarray(ns["TEST_PRED"], dtype=float) for ns in namespaces]
        ns0["write_submission"](combine_test(tests, oofs, y_common, scores, ns0))
    elif mode == "submit":
        raise RuntimeError("a solution made no test predictions (TEST_PRED) in submit mode")


def run_blend_ensemble(method, blend):
    """run_ensemble for a method that combines out-of-fold and test predictions alike, in the blend
    space: blend(spaces, scores, ns) -> the combined prediction (see combine_in_blend_space)."""
    run_ensemble(method,
                 lambda oofs, y, scores, ns: combine_in_blend_space(oofs, scores, ns, blend),
                 lambda tests, oofs, y, scores, ns: combine_in_blend_space(tests, scores, ns, blend))
