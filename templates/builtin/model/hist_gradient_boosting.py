# model/hist_gradient_boosting: scikit-learn's histogram gradient boosting with internal early stopping
# and native categorical handling; fast, robust default for tabular data.
def _make_hist_gradient_boosting(spec, params=dict(
        max_iter={{max_iter}}, learning_rate={{learning_rate}}, max_leaf_nodes={{max_leaf_nodes}},
        min_samples_leaf={{min_samples_leaf}}, l2_regularization={{l2_regularization}},
        validation_fraction={{validation_fraction}}, n_iter_no_change={{n_iter_no_change}},
        native_categorical={{native_categorical}}, balance_classes={{balance_classes}}, text_svd={{text_svd}})):
    return HGBModel(spec, params)


MODELS.append(("hist_gradient_boosting", _make_hist_gradient_boosting))
