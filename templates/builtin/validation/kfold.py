# validation/kfold: K-fold cross-validation (stratified for classification) on the run-wide split
# (make_folds, seeded by CONFIG seed). The feature pipeline and every model are fitted on the training
# folds only; the members of MODELS are averaged; the score is the CONFIG metric on out-of-fold rows.
N_FOLDS = int({{n_folds}} or CONFIG.get("n_folds") or 5)
CV = cross_validate(make_folds(Y_RAW, N_FOLDS, SEED, TARGET_KIND == "classification"))
FOLDS, FOLD_STATE, VALID_IDX, OOF_PRED = CV["folds"], CV["state"], CV["valid_idx"], CV["oof"]
VALID_Y = Y_RAW[VALID_IDX]
VALID_SCORE = metric_score(VALID_Y, OOF_PRED)
print(f"Final Validation Performance: {VALID_SCORE:.6f}", flush=True)
