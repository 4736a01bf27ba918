# features/basic: numeric columns as they are, booleans as 0/1, categoricals as frequency-ordered codes
# (plus one-hot columns for linear models), datetimes as days since 1970, text kept raw for the models'
# own TF-IDF vectorisers. Every statistic is fitted on the training fold only (FeaturePipeline).
FEATURE_OPTIONS = {
    "onehot_max_levels": {{onehot_max_levels}},
    "onehot_min_count": {{onehot_min_count}},
    "max_code_levels": {{max_code_levels}},
}
