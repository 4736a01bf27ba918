

# ---- ensemble method "weighted" (ensemble/weighted.py, rendered after ensemble/common.py): the average
# weighted by each solution's validation score.
def inverse_error_weights(scores, lower_is_better):
    """Weights proportional to 1 / error^2, error = the score (lower is better) or 1 - score."""
    errors = np.array([s if lower_is_better else 1.0 - s for s in scores], dtype=float)
    errors = np.clip(np.abs(errors), 1e-6, None)
    w = 1.0 / errors ** 2
    return w / w.sum()


def weighted_blend(spaces, scores, ns):
    w = inverse_error_weights(scores, ns["CONFIG"].get("lower_is_better"))
    print("weights: " + ", ".join(f"{x:.3f}" for x in w))
    return sum(wi * s for wi, s in zip(w, spaces))


run_blend_ensemble("weighted", weighted_blend)
