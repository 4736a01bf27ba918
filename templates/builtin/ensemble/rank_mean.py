

# ---- ensemble method "rank_mean" (ensemble/rank_mean.py, rendered after ensemble/common.py): the
# average of normalised ranks, mapped back to values through the mean prediction's quantiles.
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


def rank_mean_blend(spaces, scores, ns):
    mean = np.mean(spaces, axis=0)
    return quantile_map(np.mean([normalised_ranks(s) for s in spaces], axis=0), mean)


run_blend_ensemble("rank_mean", rank_mean_blend)
