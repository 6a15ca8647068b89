"""Walk-forward selection: sweep on each training window, pick the best, judge it on the test
window that follows -- the out-of-sample record a promotion should rest on.

For every fold both the training and the test window are swept over all combinations (each
window is its own replay, starting flat), so besides the selected combination's OOS results we
know its OOS rank among all combinations. The selected combinations' test-window bucket returns,
stitched in time, give the walk-forward equity path and its deflated Sharpe (trials = all
combinations); the test windows' full returns matrix gives the PBO by CSCV.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from memelab.engine.config import EngineConfig
from memelab.research.sweeps.sweep import SweepError, _Source, bucket_sharpe, run_sweep
from memelab.research.validation.gates import (
    ValidationError,
    deflated_sharpe_ratio,
    pbo_cscv,
    walk_forward_windows,
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(text: str) -> int:
    """``90``, ``90s``, ``15m``, ``6h``, ``2d``, ``1w`` -> nanoseconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", str(text))
    if not m:
        raise ValidationError(f"duration {text!r}: expected a number with unit s, m, h, d or w")
    return int(float(m.group(1)) * _UNITS[m.group(2) or "s"] * 1_000_000_000)


def parse_walk_forward(text: str) -> tuple[int, int]:
    """``TRAIN/TEST`` (e.g. ``6h/2h``) -> (train ns, test ns)."""
    if "/" not in text:
        raise ValidationError(f"--walk-forward {text!r}: expected TRAIN/TEST, e.g. 6h/2h")
    a, b = text.split("/", 1)
    return parse_duration(a), parse_duration(b)


@dataclass
class WalkForwardResult:
    folds: pd.DataFrame  # one row per fold: windows, selection, IS and OOS metrics, OOS rank
    oos_returns: np.ndarray  # stitched per-bucket returns of each fold's selection
    oos_matrix: np.ndarray  # (folds x buckets) x combos: every combination's test returns
    gates: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)


def walk_forward_validate(
    source: Any,
    strategy: Any,
    space: np.ndarray,
    train: int,
    test: int,
    step: int | None = None,
    expanding: bool = False,
    purge: int = 0,
    embargo: int = 0,
    config: EngineConfig | None = None,
    select_by: str = "bucket_sharpe",
    buckets_per_fold: int = 16,
    n_blocks: int = 16,
    progress: Any = None,
    client: Any = None,
    prior_trials: int = 0,
    scheduler: str | None = None,
    **sweep_kwargs: Any,
) -> WalkForwardResult:
    """Rolling (or ``expanding``) walk-forward over the lake's time range (durations in ns).

    With a Dask ``client`` (and a lake path as ``source``) every fold's train and test sweeps
    run as separate tasks at once: the walk-forward is split by time ranges, each worker reading
    its window from the lake. Results equal the in-process path's. ``scheduler``
    (``tcp://host:port``) connects to a running cluster for the duration of the call instead.
    ``prior_trials`` (configurations tried on this lake and strategy before, from the trials
    ledger) is added to this run's to deflate the Sharpe ratio.
    """
    from memelab.engine.source import require_strategy

    strategy = require_strategy(strategy)  # a strategy module
    config = config or EngineConfig()
    lo, hi = _Source(source, config, None, None).time_range()
    windows = walk_forward_windows(lo, hi + 1, train, test, step, expanding, purge, embargo)
    if not windows:
        raise ValidationError(
            f"--walk-forward: no fold fits in the data ({(hi - lo) / 3.6e12:.2f} h): "
            "shorten TRAIN/TEST"
        )
    if client is not None or scheduler:
        sweeps = _fold_sweeps_dask(
            client or scheduler,
            source,
            strategy,
            space,
            config,
            windows,
            buckets_per_fold,
            progress,
        )
    else:
        sweeps = _fold_sweeps_local(
            source, strategy, space, config, windows, buckets_per_fold, progress, sweep_kwargs
        )
    rows, oos_paths, oos_blocks = [], [], []
    for w, is_res, oos_res in sweeps:
        if oos_res is None:
            continue  # a test window without events says nothing
        pick = is_res.best(select_by)
        k = int(pick["combo"])
        oos = oos_res.table.iloc[k]
        oos_vals = oos_res.table[select_by].to_numpy()
        rank = (
            np.sum(oos_vals < oos[select_by]) + (np.sum(oos_vals == oos[select_by]) + 1) / 2
        ) / (len(oos_vals) + 1)
        row = {
            "fold": w.fold,
            "train_start": pd.Timestamp(w.train_start, unit="ns", tz="UTC"),
            "train_end": pd.Timestamp(w.train_end, unit="ns", tz="UTC"),
            "test_start": pd.Timestamp(w.test_start, unit="ns", tz="UTC"),
            "test_end": pd.Timestamp(w.test_end, unit="ns", tz="UTC"),
            "combo": k,
            **{f"param_{n}": pick[n] for n in space.dtype.names},
            f"is_{select_by}": pick[select_by],
            "is_total_return": pick["total_return"],
            f"oos_{select_by}": oos[select_by],
            "oos_total_return": oos["total_return"],
            "oos_n_trades": int(oos["n_trades"]),
            "oos_win_rate": oos["win_rate"],
            "oos_max_drawdown": oos["max_drawdown"],
            "oos_relative_rank": float(rank),
        }
        rows.append(row)
        oos_paths.append(oos_res.bucket_returns[:, k])
        oos_blocks.append(oos_res.bucket_returns)
    if not rows:
        raise ValidationError("--walk-forward: every test window was empty")
    folds = pd.DataFrame(rows)
    path = np.concatenate(oos_paths)
    matrix = np.vstack(oos_blocks)
    total = int(len(space)) + int(prior_trials)
    gates: dict[str, Any] = {
        "select_by": select_by, "n_trials": int(len(space)), "n_trials_total": total,
    }  # fmt: skip
    gates["oos_total_return"] = float(np.prod(1.0 + path) - 1.0)
    gates["folds_oos_positive"] = int((folds["oos_total_return"] > 0).sum())
    gates["mean_oos_relative_rank"] = float(folds["oos_relative_rank"].mean())
    if len(path) >= 3 and matrix.shape[1] >= 2:
        d = deflated_sharpe_ratio(path, trial_sharpes=bucket_sharpe(matrix), n_trials=total)
        gates["dsr"] = d.summary()
    if matrix.shape[1] >= 2 and matrix.shape[0] >= n_blocks:
        p = pbo_cscv(matrix, n_blocks=n_blocks)
        gates["pbo"] = p.summary()
    gates["passed"] = bool(
        gates.get("dsr", {}).get("passed", False) and gates.get("pbo", {}).get("passed", False)
    )
    meta = {
        "strategy": strategy.NAME,
        "combos": int(len(space)),
        "folds": len(rows),
        "train_ns": int(train),
        "test_ns": int(test),
        "step_ns": int(step or test),
        "expanding": bool(expanding),
        "purge_ns": int(purge),
        "embargo_ns": int(embargo),
        "buckets_per_fold": int(buckets_per_fold),
        "config": config.to_dict(),
    }
    return WalkForwardResult(folds, path, matrix, gates, meta)


def _fold_sweeps_local(source, strategy, space, config, windows, n_buckets, progress, kwargs):
    it = windows if progress is None else progress(windows, total=len(windows), desc="folds")
    for w in it:
        try:
            is_res = run_sweep(
                source, strategy, space, config=config, start=w.train_start, end=w.train_end,
                n_buckets=n_buckets, **kwargs,
            )  # fmt: skip
        except SweepError:
            continue  # nothing to select on
        try:
            oos_res = run_sweep(
                source, strategy, space, config=config, start=w.test_start, end=w.test_end,
                n_buckets=n_buckets, **kwargs,
            )  # fmt: skip
        except SweepError:
            oos_res = None
        yield w, is_res, oos_res


def _fold_sweeps_dask(client, source, strategy, space, config, windows, n_buckets, progress):
    """Fold sweeps on ``client`` (a Dask client, or a scheduler address to connect to and close)."""
    from memelab.research.sweeps.distributed import TASK_RETRIES, _sweep_task, connect

    own = isinstance(client, str)
    client = connect(client) if own else client
    try:
        yield from _fold_sweeps_on(client, source, strategy, space, config, windows, n_buckets,
                                   progress, TASK_RETRIES, _sweep_task)  # fmt: skip
    finally:
        if own:
            client.close()


def _fold_sweeps_on(client, source, strategy, space, config, windows, n_buckets, progress,
                    retries, _sweep_task):  # fmt: skip
    import os

    from dask.distributed import as_completed
    from memelab.research.sweeps.sweep import SweepResult, default_bucket_edges

    lake_path = os.path.abspath(os.fspath(source))
    ids = np.arange(len(space))
    futures = {}
    for w in windows:
        for kind, lo, hi in (("is", w.train_start, w.train_end), ("oos", w.test_start, w.test_end)):
            try:
                t0, t1 = _Source(lake_path, config, lo, hi).time_range()
            except SweepError:
                continue
            edges = default_bucket_edges(t0, t1, n_buckets)
            fut = client.submit(
                _sweep_task, lake_path, strategy.__name__, space, ids, config, lo, hi, edges, 1, 1024.0,
                pure=False, retries=retries,
            )  # fmt: skip
            futures[fut] = (w.fold, kind, edges)
    done = as_completed(list(futures))
    if progress is not None:
        done = progress(done, total=len(futures), desc="fold sweeps (dask)", unit="sweep")
    got = {}
    for fut in done:
        fold, kind, edges = futures[fut]
        table, returns, _, _ = fut.result()
        got[(fold, kind)] = SweepResult(strategy.NAME, space, table, returns, edges)
        fut.release()
    for w in windows:
        if (w.fold, "is") in got:
            yield w, got[(w.fold, "is")], got.get((w.fold, "oos"))
