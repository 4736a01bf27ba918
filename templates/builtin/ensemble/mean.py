

# ---- ensemble method "mean" (ensemble/mean.py, rendered after ensemble/common.py): the plain average.
def mean_blend(spaces, scores, ns):
    return np.mean(spaces, axis=0)


run_blend_ensemble("mean", mean_blend)
