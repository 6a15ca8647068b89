"""Causal compiled features for the models (see ``spec`` for the list and definitions).

``features_nb`` is the kernel, ``stream.FeatureStream`` its resumable wrapper (backtest input
stage, live runner, training-set builder alike), ``labels_nb`` the forward-return labels, and
``build`` the training-set builder (features + labels -> one tensor file).
"""
