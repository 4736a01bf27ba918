# predict/fold_average: every fold's fitted pipeline and models predict the test rows; predictions are
# averaged over folds (in model space) and written in the sample's format. Runs in both modes (in search
# mode the file is mlestar's fallback submission), unless the script was told not to predict.
if predict_test_wanted():
    TEST_PRED = predict_with_folds(FOLD_STATE)
    write_submission(TEST_PRED)
