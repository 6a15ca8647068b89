"""Models on the causal features: splits, baselines, the sequence model, registry, inference.

- ``splits``: time-ordered train/valid/test with purge and embargo;
- ``baselines``: scikit-learn logistic regression and histogram gradient boosting;
- ``transformer``: the torch sequence model and its trainer (imports only torch and numpy, so it
  runs on a bare GPU machine from a tensor file);
- ``train``: one call from a dataset to a registered model; ``registry``: what is saved;
- ``inference``: the predictor used by backtest and live alike (onnxruntime, fixed threads);
- ``stage``: the engine's per-event input stage (interface 1); ``similar``: nearest past launches;
- ``metrics`` and ``report``: AUC, log loss, Brier, calibration, precision at top-k; HTML.

Nothing is imported here, so ``transformer`` can be loaded on its own.
"""
