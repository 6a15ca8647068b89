"""The predictor that backtest and live share: same code, same thread count, same numbers.

A transformer runs through onnxruntime (one intra-op and one inter-op thread, sequential
execution), fed in fixed-size blocks of ``BLOCK`` rows (the last one zero-padded), so that a row's
probability never depends on how many rows came with it: one event at a time (live) and a whole
chunk (backtest) give the same bits, and a prediction near the threshold cannot flip between
modes. The scikit-learn baselines are evaluated row by row in NumPy (a fixed-order sum for the
regression, tree traversal for the boosting): batch-invariant as well.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np

BLOCK = 64
ORT_THREADS = 1


def ort_session(path: str | Path):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = ORT_THREADS
    so.inter_op_num_threads = ORT_THREADS
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class Predictor:
    """``predict(x, seq) -> float64 probabilities``; ``embed`` for the sequence model."""

    def __init__(self, model_dir: str | Path):
        self.dir = Path(model_dir)
        meta_path = self.dir / "model.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"{meta_path}: not a model directory (train one first)")
        self.meta: dict[str, Any] = json.loads(meta_path.read_text())
        from memelab.research.features.spec import check_spec

        check_spec(self.meta["feature_spec"])
        self.kind = self.meta["kind"]
        self.needs_seq = self.kind == "transformer"
        if self.kind == "transformer":
            self.session = ort_session(self.dir / "model.onnx")
        elif self.kind == "logreg":
            lin = json.loads((self.dir / "linear.json").read_text())
            self.mean = np.asarray(lin["mean"])
            self.scale = np.asarray(lin["scale"])
            self.coef = np.asarray(lin["coef"])
            self.intercept = float(lin["intercept"])
        elif self.kind == "gbm":
            with open(self.dir / "model.pkl", "rb") as fh:
                self.model = pickle.load(fh)  # our own artifact, written by registry.save
        else:
            raise ValueError(f"{meta_path}: unknown model kind {self.kind!r}")

    def _run(self, x: np.ndarray, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(x)
        probs = np.zeros(n, dtype=np.float64)
        embs: list[np.ndarray] = []
        bx = np.zeros((BLOCK, x.shape[1]), np.float32)
        bs = np.zeros((BLOCK, seq.shape[1], seq.shape[2]), np.float32)
        for a in range(0, n, BLOCK):
            k = min(BLOCK, n - a)
            bx[:k] = x[a : a + k]
            bs[:k] = seq[a : a + k]
            bx[k:] = 0.0
            bs[k:] = 0.0
            p, e = self.session.run(None, {"x": bx, "seq": bs})
            probs[a : a + k] = p[:k]
            embs.append(e[:k].copy())
        emb = np.concatenate(embs) if embs else np.zeros((0, 0), np.float32)
        return probs, emb

    def predict(self, x: np.ndarray, seq: np.ndarray | None = None) -> np.ndarray:
        x = np.ascontiguousarray(x, dtype=np.float32)
        if self.kind == "transformer":
            if seq is None:
                raise ValueError("the transformer needs the event sequences (seq)")
            return self._run(x, np.ascontiguousarray(seq, dtype=np.float32))[0]
        if self.kind == "logreg":
            z = ((x.astype(np.float64) - self.mean) / self.scale) * self.coef
            logit = z.sum(axis=1) + self.intercept  # per-row reduction: batch-invariant
            return 1.0 / (1.0 + np.exp(-logit))
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):  # see baselines: one thread, fixed order
            return self.model.predict_proba(x)[:, 1].astype(np.float64)

    def embed(self, x: np.ndarray, seq: np.ndarray) -> np.ndarray:
        if self.kind != "transformer":
            raise ValueError(f"a {self.kind} model has no embedding (use a transformer)")
        return self._run(
            np.ascontiguousarray(x, np.float32), np.ascontiguousarray(seq, np.float32)
        )[1]


def export_onnx(model: Any, path: str | Path, n_features: int, seq_len: int, n_seq: int) -> Path:
    """Export the sequence model to ONNX (inputs ``x``, ``seq``; outputs ``prob``, ``emb``).

    The exporter writes large weights beside the model (``model.onnx.data``): keep both files.
    """
    import torch

    path = Path(path)
    model = model.to("cpu").eval()
    x = torch.zeros(BLOCK, n_features)
    s = torch.zeros(BLOCK, seq_len, n_seq)
    import contextlib
    import io
    import logging
    import warnings

    # the exporter reports its steps on stdout (the CLI's --json output) and logs warnings
    # about optional packages it does not need (torchvision): keep both quiet
    log = logging.getLogger("torch.onnx")
    level = log.level
    log.setLevel(logging.ERROR)
    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model, (x, s), str(path), input_names=["x", "seq"], output_names=["prob", "emb"],
            dynamo=True, external_data=True, verbose=False,
        )  # fmt: skip
    log.setLevel(level)
    return path
