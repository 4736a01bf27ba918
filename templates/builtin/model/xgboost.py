# model/xgboost: gradient-boosted trees (XGBoost, hist), early-stopped on an inner split of the
# training rows; strong default for tabular data of any size.
def _make_xgboost(spec, params=dict(
        n_estimators={{n_estimators}}, learning_rate={{learning_rate}}, max_depth={{max_depth}},
        min_child_weight={{min_child_weight}}, subsample={{subsample}}, colsample_bytree={{colsample_bytree}},
        reg_lambda={{reg_lambda}}, reg_alpha={{reg_alpha}}, early_stopping_rounds={{early_stopping_rounds}},
        es_fraction={{es_fraction}}, max_bin={{max_bin}}, refit={{refit}}, balance_classes={{balance_classes}}, text_svd={{text_svd}})):
    return XGBModel(spec, params)


MODELS.append(("xgboost", _make_xgboost))
