"""scikit-learn baselines on the feature rows: logistic regression and histogram gradient
boosting. Both choose their complexity on the (time-later) validation set, never on the test:
the regularisation strength for the regression, the number of boosting rounds (early stopping on
validation log loss) for the trees. Both are deterministic for a seed.

Native thread pools (OpenMP, BLAS) are held to one thread: on a shared machine the boosting ran
14x slower with its default pool than with one thread, and one thread fixes the summation order.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np


def one_thread(fn: Callable) -> Callable:
    """Run ``fn`` with native thread pools limited to one thread."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return fn(*args, **kwargs)

    return wrapper


def _logloss(y: np.ndarray, p: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@one_thread
def fit_logreg(x, y, xv, yv, seed: int = 0, cs=(0.01, 0.1, 1.0)) -> tuple[Any, dict]:
    """Standardised logistic regression; C picked by validation log loss."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    best = None
    for c in cs:
        model = make_pipeline(
            StandardScaler(), LogisticRegression(C=c, max_iter=2000, random_state=seed)
        )
        model.fit(x, y)
        loss = _logloss(yv, model.predict_proba(xv)[:, 1])
        if best is None or loss < best[0]:
            best = (loss, c, model)
    loss, c, model = best
    return model, {"C": c, "valid_log_loss": loss}


@one_thread
def fit_gbm(x, y, xv, yv, seed: int = 0, max_iter: int = 200, step: int = 10,
            patience: int = 3) -> tuple[Any, dict]:  # fmt: skip
    """Histogram gradient boosting; rounds added ``step`` at a time while validation log loss
    improves (``patience`` steps without improvement stop it), then refit to the best count (the
    first n rounds of a deterministic fit are the same trees)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    kw = dict(learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=50, l2_regularization=1.0,
              early_stopping=False, random_state=seed)  # fmt: skip
    model = HistGradientBoostingClassifier(max_iter=step, warm_start=True, **kw)
    best, n_best, bad, n = np.inf, step, 0, step
    while True:
        model.set_params(max_iter=n)
        model.fit(x, y)
        loss = _logloss(yv, model.predict_proba(xv)[:, 1])
        if loss < best - 1e-6:
            best, n_best, bad = loss, n, 0
        else:
            bad += 1
        if bad >= patience or n >= max_iter:
            break
        n += step
    if n_best != n:
        model = HistGradientBoostingClassifier(max_iter=n_best, **kw)
        model.fit(x, y)
    model.set_params(warm_start=False)
    return model, {"rounds": n_best, "valid_log_loss": float(best)}


@one_thread
def feature_importance(model: Any, kind: str, x, y, seed: int = 0) -> np.ndarray:
    """Per-feature importance: |standardised coefficient| for the regression, permutation
    importance (AUC drop on the given samples) for the trees."""
    if kind == "logreg":
        return np.abs(model[-1].coef_[0])
    from sklearn.inspection import permutation_importance

    r = permutation_importance(
        model, x, y, scoring="roc_auc", n_repeats=2, random_state=seed, n_jobs=1
    )
    return r.importances_mean
