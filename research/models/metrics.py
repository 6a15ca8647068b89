"""Classifier metrics on held-out samples: AUC, log loss, Brier, calibration, precision at top-k."""

from __future__ import annotations

from typing import Any

import numpy as np


def classification_metrics(y: np.ndarray, p: np.ndarray, bins: int = 10) -> dict[str, Any]:
    """Metrics of probabilities ``p`` for labels ``y`` (0/1); JSON-able."""
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score, roc_curve

    y = np.asarray(y, dtype=np.int64)
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    n_pos = int(y.sum())
    out: dict[str, Any] = {"n": len(y), "positives": n_pos, "base_rate": float(y.mean())}
    if len(y) == 0 or n_pos == 0 or n_pos == len(y):
        out.update(auc=None, log_loss=None, brier=None)
        return out
    out["auc"] = float(roc_auc_score(y, p))
    out["log_loss"] = float(log_loss(y, p, labels=[0, 1]))
    out["brier"] = float(brier_score_loss(y, p))
    base = np.full(len(y), y.mean())
    out["log_loss_constant"] = float(log_loss(y, base, labels=[0, 1]))
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    cal = []
    for b in range(bins):
        sel = which == b
        if sel.any():
            cal.append(
                {"bin": b, "n": int(sel.sum()), "mean_p": float(p[sel].mean()),
                 "frac_pos": float(y[sel].mean())}
            )  # fmt: skip
    out["calibration"] = cal
    order = np.argsort(-p, kind="stable")
    out["precision_at"] = {
        f"{q:g}": float(y[order[: max(int(q * len(y)), 1)]].mean()) for q in (0.01, 0.05, 0.1)
    }
    fpr, tpr, _ = roc_curve(y, p)
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(len(fpr), 200)).astype(int))
    out["roc"] = {"fpr": fpr[keep].tolist(), "tpr": tpr[keep].tolist()}
    return out
