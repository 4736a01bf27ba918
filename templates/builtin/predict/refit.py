# predict/refit: in submit mode, refit the pipeline and every model once on all training rows, then
# predict the test rows and write them in the sample's format. In search mode (the fallback submission)
# the folds' models predict instead, so the search pays no extra fit.
if MODE == "submit":
    FIT_PLAN["fits_left"] = len(CV["specs"])
    pipe = FeaturePipeline(globals().get("FEATURE_OPTIONS") or {}).fit(CV["frame"], Y, CV["kinds"])
    fitted = fit_members(pipe.transform(CV["frame"], CV["kinds"], True), Y, CV["specs"])
    averaged, _ = predict_members(fitted, pipe.transform(CV["test_frame"], CV["kinds"], False))
    TEST_PRED = to_metric_space(averaged)
    write_submission(TEST_PRED)
elif predict_test_wanted():
    TEST_PRED = predict_with_folds(FOLD_STATE)
    write_submission(TEST_PRED)
