"""The model registry: one directory per model, ``model.json`` describing it completely.

``model.json``: kind, feature spec, the lake's hash and date range, the label horizon, the train /
valid / test ranges with the purge and embargo (and ``backtest_from``), params and seed, device
and seconds, metrics (valid and test: AUC, log loss, Brier, calibration curve, precision at top-k,
ROC points), feature importances, and the code version (git commit). Beside it: the model itself
(``model.onnx`` + ``model.onnx.data``, ``linear.json`` or ``model.pkl``) and the similar-setups
index (``similar.npz``) of a transformer.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path
from typing import Any

MODEL_FILE = "model.json"


def code_version() -> str:
    """The git commit of this code (``+dirty`` when the work tree has changes), or ``unknown``."""
    here = Path(__file__).resolve().parent
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10
        )
        if rev.returncode != 0:
            return "unknown"
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        return rev.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _clean(obj: Any) -> Any:
    """Strict JSON: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str | bytes):
        try:
            obj = obj.item()
        except (ValueError, AttributeError):
            obj = obj.tolist()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def write_entry(model_dir: str | os.PathLike[str], entry: dict[str, Any]) -> Path:
    out = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / MODEL_FILE
    tmp = out / (MODEL_FILE + ".tmp")
    tmp.write_text(json.dumps(_clean(entry), indent=2, sort_keys=True, allow_nan=False))
    os.replace(tmp, path)
    return path


def read_entry(model_dir: str | os.PathLike[str]) -> dict[str, Any]:
    path = Path(model_dir) / MODEL_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: no model there (memelab train ... --out DIR)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None


def list_models(root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every model under ``root`` (the root itself when it is a model), one summary row each."""
    root = Path(root)
    dirs = (
        [root]
        if (root / MODEL_FILE).exists()
        else sorted(p.parent for p in root.glob(f"*/{MODEL_FILE}"))
    )
    rows = []
    for d in dirs:
        try:
            e = read_entry(d)
        except (ValueError, OSError) as exc:
            rows.append({"dir": str(d), "error": str(exc)})
            continue
        rows.append(summary_row(d, e))
    return rows


def summary_row(model_dir: Path | str, e: dict[str, Any]) -> dict[str, Any]:
    test = e.get("metrics", {}).get("test", {})
    valid = e.get("metrics", {}).get("valid", {})
    return {
        "dir": str(model_dir),
        "kind": e.get("kind"),
        "created": e.get("created"),
        "seed": e.get("seed"),
        "device": e.get("device"),
        "test_auc": test.get("auc"),
        "valid_auc": valid.get("auc"),
        "test_log_loss": test.get("log_loss"),
        "test_brier": test.get("brier"),
        "n_train": e.get("ranges", {}).get("n_train"),
        "n_test": e.get("ranges", {}).get("n_test"),
        "lake_hash": (e.get("dataset", {}).get("lake", {}).get("swaps_hash") or "")[:12],
        "code_version": (e.get("code_version") or "")[:12],
    }


def compare(dirs: list[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Summary rows of several models, with a warning when their test sets differ."""
    rows = [summary_row(d, read_entry(d)) for d in dirs]
    keys = {
        (r["lake_hash"], str(read_entry(d).get("ranges", {}).get("test_range")))
        for r, d in zip(rows, dirs, strict=True)
    }
    for r in rows:
        r["same_test_set"] = len(keys) == 1
    return rows
