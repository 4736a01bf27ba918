# predict/fold_average (submit mode only): every fold's fitted pipeline and models predict the test
# rows; predictions are averaged over folds (in model space) and written in the sample's format.
if MODE == "submit":
    fold_preds = []
    for fold in FOLD_STATE:
        fs_test = fold["pipeline"].transform(CV["test_frame"], CV["kinds"], False)
        averaged, _ = predict_members(fold["models"], fs_test)
        fold_preds.append(averaged)
    TEST_PRED = to_metric_space([np.mean([fp[s] for fp in fold_preds], axis=0) for s in range(len(CV["specs"]))])
    write_submission(TEST_PRED)
