"""Walk-forward training: one model per fold, each tested on the period right after its data.

Folds come from ``research.validation.gates.walk_forward_windows`` (rolling or expanding), with
the label horizon as the purge and the embargo. Inside a fold's training window the last
``valid_frac`` of time is the validation period (early stopping, model selection), purged and
embargoed like the default split; the fold's test period is the window the gates give. Each
fold's model is registered in ``out_dir/fold_<k>`` with its own ``backtest_from``, so a
walk-forward backtest can use, for each test period, the model that never saw it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from memelab.research.features.build import Dataset
from memelab.research.models.splits import TimeSplit
from memelab.research.models.train import train_model
from memelab.research.validation.gates import walk_forward_windows


def fold_split(ts: np.ndarray, horizon_ns: int, embargo_ns: int, train_start: int,
               train_end: int, test_start: int, test_end: int,
               valid_frac: float = 0.25) -> TimeSplit:  # fmt: skip
    """Train / valid inside ``[train_start, train_end)``, test in ``[test_start, test_end)``;
    every sample's label window inside its period."""
    v_end = int(train_end)
    t_end = int(train_start + (1.0 - valid_frac) * (train_end - train_start))
    v_start = t_end + embargo_ns
    if not train_start < t_end < v_start < v_end:
        raise ValueError("fold too short for a validation period after the embargo")
    end = ts + horizon_ns
    train = np.flatnonzero((ts >= train_start) & (end < t_end))
    valid = np.flatnonzero((ts >= v_start) & (end < v_end))
    test = np.flatnonzero((ts >= test_start) & (end < test_end))
    return TimeSplit(train, valid, test, (int(train_start), t_end), (v_start, v_end),
                     (int(test_start), int(test_end)), int(horizon_ns), int(embargo_ns))  # fmt: skip


def walk_forward_train(
    ds: Dataset,
    kind: str,
    out_dir: str | Path,
    train_s: float,
    test_s: float,
    step_s: float | None = None,
    expanding: bool = False,
    valid_frac: float = 0.25,
    device: str = "auto",
    seed: int = 0,
    params: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Retrain ``kind`` per walk-forward fold; one summary per fold (test AUC, ranges...)."""
    h = int(ds.meta.get("horizon_s", 60.0) * 1e9)
    if len(ds) == 0:
        raise ValueError("the dataset has no samples")
    windows = walk_forward_windows(
        int(ds.ts.min()), int(ds.ts.max()) + 1, int(train_s * 1e9), int(test_s * 1e9),
        None if step_s is None else int(step_s * 1e9), expanding, purge=h, embargo=h,
    )  # fmt: skip
    if not windows:
        raise ValueError("the data is shorter than one fold (train + embargo + test)")
    out = []
    for w in windows:
        # the gates' train end is already purged by h; the fold's valid period ends there
        split = fold_split(ds.ts, h, h, w.train_start, w.train_end, w.test_start, w.test_end,
                           valid_frac)  # fmt: skip
        res = train_model(ds, kind, Path(out_dir) / f"fold_{w.fold}", device, seed, params,
                          split=split)  # fmt: skip
        res["fold"] = w.fold
        res["test_range"] = [w.test_start, w.test_end]
        out.append(res)
    return out
