"""One call from a dataset to a registered model: split, fit, evaluate out of sample, save.

``train_model(dataset, "logreg" | "gbm" | "transformer", out_dir)`` splits in time with purge and
embargo (``splits``), fits on train, early-stops / tunes on valid, evaluates on test with the
*deployed* predictor (``inference.Predictor``: what backtest and live run), and writes the registry
entry. The transformer is trained from a tensor file (``tensors.npz`` in ``out_dir``) by
``transformer.train``, which needs only torch and numpy.
"""

from __future__ import annotations

import json
import pickle
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from memelab.research.features.build import Dataset
from memelab.research.features.spec import FEATURE_NAMES, feature_spec
from memelab.research.models import registry
from memelab.research.models.metrics import classification_metrics
from memelab.research.models.splits import TimeSplit, time_split

KINDS = ("logreg", "gbm", "transformer")


def train_model(
    ds: Dataset,
    kind: str,
    out_dir: str | Path,
    device: str = "auto",
    seed: int = 0,
    params: dict[str, Any] | None = None,
    embargo_s: float | None = None,
    progress: Any = None,
    similar_source: Any = None,
    split: TimeSplit | None = None,
) -> dict[str, Any]:
    """Train, evaluate and register one model; returns the CLI's JSON summary.

    ``split`` overrides the default 60/20/20 time split (walk-forward folds pass theirs)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model {kind!r}; choose one of {KINDS}")
    if len(ds) == 0:
        raise ValueError("the dataset has no samples (no labelled events: is the lake empty?)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    horizon_ns = int(ds.meta.get("horizon_s", 60.0) * 1e9)
    embargo_ns = None if embargo_s is None else int(embargo_s * 1e9)
    if split is None:
        split = time_split(ds.ts, horizon_ns, embargo_ns)
    for name in ("train", "valid", "test"):
        y = ds.y[getattr(split, name)]
        if len(y) == 0 or y.min() == y.max():
            raise ValueError(
                f"the {name} period has {len(y)} samples and one class only: need more data"
            )
    x, y = ds.x, ds.y.astype(np.int64)
    tr, va, te = split.train, split.valid, split.test
    t0 = time.perf_counter()
    extra: dict[str, Any] = {}
    used_device = "cpu"
    if kind == "logreg":
        from memelab.research.models.baselines import fit_logreg

        model, extra = fit_logreg(x[tr], y[tr], x[va], y[va], seed)
        scaler, lr = model[0], model[-1]
        lin = {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
               "coef": lr.coef_[0].tolist(), "intercept": float(lr.intercept_[0])}  # fmt: skip
        (out / "linear.json").write_text(json.dumps(lin))
        importance = np.abs(lr.coef_[0])
    elif kind == "gbm":
        from memelab.research.models.baselines import feature_importance, fit_gbm

        model, extra = fit_gbm(x[tr], y[tr], x[va], y[va], seed)
        with open(out / "model.pkl", "wb") as fh:
            pickle.dump(model, fh)
        sub = va[:2000]
        importance = feature_importance(model, "gbm", x[sub], y[sub], seed)
    else:
        from memelab.research.models import transformer as tfm
        from memelab.research.models.inference import export_onnx

        if ds.seq.shape[0] != len(ds):
            raise ValueError("the dataset was built without sequences (with_seq=False)")
        tensors = out / "tensors.npz"
        np.savez(tensors, x=ds.x, seq=ds.seq, y=ds.y, train=tr, valid=va, test=te)
        model, summary = tfm.train(tensors, out, device, seed, params, progress)
        used_device = summary["device"]
        extra = {k: summary[k] for k in ("best_epoch", "best_valid_loss", "samples_per_s",
                                         "mixed_precision", "history", "params")}  # fmt: skip
        export_onnx(model, out / "model.onnx", ds.x.shape[1], ds.seq.shape[1], ds.seq.shape[2])
        importance = _grad_importance(model, ds.x[va[:2000]], ds.seq[va[:2000]])
    seconds = time.perf_counter() - t0
    entry = {
        "kind": kind,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "code_version": registry.code_version(),
        "feature_spec": feature_spec(),
        "dataset": {
            k: ds.meta.get(k)
            for k in (
                "lake",
                "horizon_s",
                "sample_gap_s",
                "label",
                "samples",
                "positives",
                "events",
            )
        },
        "ranges": split.ranges(),
        "params": {**(params or {}), **{k: v for k, v in extra.items() if k != "history"}},
        "history": extra.get("history"),
        "seed": seed,
        "device": used_device,
        "seconds": seconds,
        "importance": dict(zip(FEATURE_NAMES, map(float, importance), strict=True)),
    }
    registry.write_entry(out, {**entry, "metrics": {}})
    from memelab.research.models.inference import Predictor

    pred = Predictor(out)
    seq = ds.seq if kind == "transformer" else None
    metrics = {}
    for name, idx in (("train", tr), ("valid", va), ("test", te)):
        p = pred.predict(x[idx], seq[idx] if seq is not None else None)
        metrics[name] = classification_metrics(y[idx], p)
    if kind == "transformer":
        import torch

        sub = te[:512]
        with torch.no_grad():
            pt, _ = model(torch.from_numpy(ds.x[sub]), torch.from_numpy(ds.seq[sub]))
        po = pred.predict(ds.x[sub], ds.seq[sub])
        entry["onnx_max_abs_diff"] = float(np.max(np.abs(pt.numpy().astype(np.float64) - po)))
    entry["metrics"] = metrics
    registry.write_entry(out, entry)
    if kind == "transformer" and similar_source is not None:
        from memelab.research.models.similar import build_index

        build_index(out, similar_source)
    return {
        "model": kind,
        "out": str(out),
        "test_auc": metrics["test"]["auc"],
        "valid_auc": metrics["valid"]["auc"],
        "train_auc": metrics["train"]["auc"],
        "test_log_loss": metrics["test"]["log_loss"],
        "test_log_loss_constant": metrics["test"].get("log_loss_constant"),
        "n_train": len(tr),
        "n_valid": len(va),
        "n_test": len(te),
        "device": used_device,
        "seconds": seconds,
        "seed": seed,
        "backtest_from": split.backtest_from,
    }


def _grad_importance(model: Any, x: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """Mean |d logit / d feature| x feature std on validation rows (saliency of the features
    token; the event sequence's influence is not in this number)."""
    import torch

    xt = torch.from_numpy(x).requires_grad_(True)
    logit, _ = model.logit_and_embedding(xt, torch.from_numpy(seq))
    logit.sum().backward()
    g = xt.grad.abs().mean(0).numpy()
    return g * x.std(0)
