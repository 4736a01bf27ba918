# validation/holdout: a single split (fold 0 of the run-wide 5-fold split: 80% train, 20% validation),
# stratified for classification. The cheap baseline of the validation block.
CV = cross_validate(make_folds(Y_RAW, 5, SEED, TARGET_KIND == "classification")[:1])
FOLDS, FOLD_STATE, VALID_IDX, OOF_PRED = CV["folds"], CV["state"], CV["valid_idx"], CV["oof"]
VALID_Y = Y_RAW[VALID_IDX]
VALID_SCORE = metric_score(VALID_Y, OOF_PRED)
print(f"Final Validation Performance: {VALID_SCORE:.6f}", flush=True)
