

# ---- ensemble method "stacking" (ensemble/stacking.py, rendered after ensemble/common.py): a linear /
# logistic meta-model on the out-of-fold predictions, scored by its own K-fold CV on the common rows.
def logit(p):
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def stack_features(preds, ns):
    problem = ns["CONFIG"].get("problem")
    if problem in ("binary",):
        return [logit(p) for p in preds]
    if problem == "multiclass":
        return [np.log(np.clip(p, 1e-6, 1)) for p in preds]
    return [ns["blend_space"](p) for p in preds]


def fit_meta(features, y, ns):
    """One meta-model per output: logistic (binary / multinomial) or ridge (regression)."""
    from sklearn.linear_model import LogisticRegression, Ridge
    problem = ns["CONFIG"].get("problem")
    if problem == "multiclass":
        X = np.hstack(features)
        model = LogisticRegression(C=1.0, max_iter=2000).fit(X, y[:, 0].astype(int))
        return [model]
    models = []
    for t in range(features[0].shape[1]):
        X = np.column_stack([f[:, t] for f in features])
        if problem == "binary":
            models.append(LogisticRegression(C=1.0, max_iter=2000).fit(X, y[:, t].astype(int)))
        else:
            target = ns["blend_space"](y[:, t:t + 1])[:, 0]
            models.append(Ridge(alpha=1e-3).fit(X, target))
    return models


def apply_meta(models, features, ns):
    problem = ns["CONFIG"].get("problem")
    if problem == "multiclass":
        model = models[0]
        proba = np.zeros((features[0].shape[0], features[0].shape[1]))
        proba[:, np.asarray(model.classes_, dtype=int)] = model.predict_proba(np.hstack(features))
        return proba
    cols = []
    for t, model in enumerate(models):
        X = np.column_stack([f[:, t] for f in features])
        if problem == "binary":
            cols.append(model.predict_proba(X)[:, list(model.classes_).index(1)] if 1 in model.classes_
                        else np.zeros(X.shape[0]))
        else:
            cols.append(model.predict(X))
    out = np.column_stack(cols)
    return out if problem == "binary" else ns["unblend_space"](out)


def stacking_oof(oofs, y, scores, ns):
    """Cross-validated meta-model predictions on the common out-of-fold rows."""
    from sklearn.model_selection import KFold
    features = stack_features(oofs, ns)
    out = np.zeros_like(oofs[0], dtype=float)
    seed = int(ns["CONFIG"].get("seed", 0))
    for tr, va in KFold(5, shuffle=True, random_state=seed).split(features[0]):
        models = fit_meta([f[tr] for f in features], y[tr], ns)
        out[va] = apply_meta(models, [f[va] for f in features], ns)
    return out


def stacking_test(tests, oofs, y, scores, ns):
    """The meta-model fitted on all common out-of-fold rows, applied to the test predictions."""
    meta = fit_meta(stack_features(oofs, ns), y, ns)
    return apply_meta(meta, stack_features(tests, ns), ns)


run_ensemble("stacking", stacking_oof, stacking_test)
