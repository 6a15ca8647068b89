"""Parameter sweeps: every combination of a strategy's params replayed by the engine's own kernel,
many at once, with per-combination metrics and the overfitting gates of the selection.

``run_sweep`` owns batching, state allocation and the metric table; ``sweep_nb`` holds the
compiled kernel. Combinations are processed in batches sized to a memory budget, each batch
reading the events chunk by chunk (date partitions), so memory is flat in the number of
combinations and in the length of the history. Every combination's result equals a
one-at-a-time ``engine.run_replay`` of the same params, bit for bit (tested).

Besides the metrics, each combination's mark-to-market equity is sampled at the end of
``n_buckets`` equal slices of event time: the per-bucket returns (T x K) feed the deflated Sharpe
ratio and the PBO of picking the best combination (``selection_gates``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numba
import numpy as np
import pandas as pd
from memelab.datasets.jsonio import to_jsonable, write_json
from memelab.engine.config import MAX_SLOTS, EngineConfig
from memelab.engine.records import EQUITY_DTYPE, FILL_DTYPE, ORDER_DTYPE, POS_DTYPE, TRADE_DTYPE
from memelab.engine.replay_nb import HEADROOM, M_CREATOR, M_MINT, MARKET_FIELDS, bind_pools_nb
from memelab.engine.risk import (
    I_EXPOSURE_NS,
    I_FIRST_TS,
    I_LAST_TS,
    N_REJECT,
    REJECT_REASONS,
)
from memelab.engine.state import ReplayState
from memelab.research.sweeps import sweep_nb as snb
from memelab.research.sweeps.params import build_space
from memelab.research.validation.gates import (
    deflated_sharpe_ratio,
    pbo_cscv,
)

BUFFER_CAPACITY = 4 * HEADROOM  # records per combination between drains
METRIC_COLUMNS = (
    "n_trades",
    "win_rate",
    "total_return",
    "final_equity",
    "pnl_sol",
    "avg_winner_sol",
    "avg_loser_sol",
    "ev_per_trade_sol",
    "profit_factor",
    "mean_trade_return",
    "trade_return_std",
    "bucket_sharpe",
    "max_drawdown",
    "exposure",
    "max_consecutive_wins",
    "max_consecutive_losses",
    "fills",
    "failed_fills",
    "fees_sol",
)


class SweepError(ValueError):
    """A sweep cannot run as asked; the message names the parameter or input."""


@dataclass
class SweepResult:
    """One row per combination (``table``: ``combo``, the params, the metrics) plus the
    per-bucket returns matrix (``bucket_returns``: n_buckets x combos) the gates are computed on."""

    strategy: str
    space: np.ndarray
    table: pd.DataFrame
    bucket_returns: np.ndarray
    bucket_edges: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    top_trades: pd.DataFrame | None = None  # each combination's best trades, when asked for
    prior_trials: int = 0  # configurations tried on this lake and strategy before this sweep

    def best(self, select_by: str = "bucket_sharpe") -> pd.Series:
        """The row with the highest ``select_by`` (first on ties: lowest combo id)."""
        if select_by not in self.table.columns:
            raise SweepError(f"--select {select_by!r}: not a metric; known: {list(METRIC_COLUMNS)}")
        return self.table.loc[self.table[select_by].to_numpy().argmax()]

    def gates(self, select_by: str = "bucket_sharpe", n_blocks: int = 16) -> dict[str, Any]:
        """DSR and PBO of choosing the best combination by ``select_by``."""
        return selection_gates(self, select_by, n_blocks)

    def save(
        self, out_dir: str | os.PathLike[str], select_by: str = "bucket_sharpe"
    ) -> dict[str, Any]:
        """Write ``results.parquet`` (one row per combination), ``bucket_returns.npy``,
        ``best.json`` (the selection, its metrics and gates) and ``report.html``; returns
        best.json's content."""
        from pathlib import Path

        from memelab.research.sweeps.report import write_sweep_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.table.to_parquet(out / "results.parquet", index=False)
        if self.top_trades is not None:
            self.top_trades.to_parquet(out / "top_trades.parquet", index=False)
        np.save(out / "bucket_returns.npy", self.bucket_returns)
        gates = self.gates(select_by)
        best = self.best(select_by)
        doc = {
            "strategy": self.strategy,
            "select_by": select_by,
            "combo": int(best["combo"]),
            "params": {n: _py(self.space[int(best.name)][n]) for n in self.space.dtype.names},
            "metrics": {m: _py(best[m]) for m in METRIC_COLUMNS},
            "gates": {k: v for k, v in gates.items() if not k.startswith("pbo_")},
            "meta": self.meta,
        }
        doc = _py(doc)
        write_json(out / "best.json", doc)
        write_sweep_report(out / "report.html", self.table, self.space, gates, self.meta, select_by)
        return doc


def _py(v: Any) -> Any:
    """JSON-friendly values (numpy scalars to Python, inf/nan to null), recursively."""
    return to_jsonable(v)


def bucket_sharpe(returns: np.ndarray) -> np.ndarray:
    """Per-column Sharpe of per-bucket returns (mean / std, ddof=1; 0 when the std is 0).

    Each column is reduced as its own contiguous row, so a column's value does not depend on
    how many other columns share the array (a distributed sweep's chunk of one combination
    must give the same bits as the whole table; numpy sums a lone column in another order)."""
    r = np.asarray(returns, dtype=np.float64)
    if r.shape[0] < 2:
        return np.zeros(r.shape[1])
    rows = np.ascontiguousarray(r.T)
    sd = rows.std(axis=1, ddof=1)
    mean = rows.mean(axis=1)
    out = np.zeros(r.shape[1])
    ok = sd > 0
    out[ok] = mean[ok] / sd[ok]
    return out


def selection_gates(
    result: SweepResult, select_by: str = "bucket_sharpe", n_blocks: int = 16
) -> dict:
    """The overfitting gates of the sweep's selection.

    DSR: the selected combination's per-bucket returns against the expected best Sharpe of as
    many unskilled trials as configurations ever tried on this lake and strategy (this sweep's
    plus ``result.prior_trials`` from the trials ledger; the variance is this sweep's bucket
    Sharpes'). PBO: CSCV over the bucket-returns matrix (in-sample choice by bucket Sharpe).
    Pass: DSR >= 0.95 and PBO < 0.5.
    """
    best = result.best(select_by)
    k = int(best["combo"])
    r = result.bucket_returns
    col = int(np.flatnonzero(result.table["combo"].to_numpy() == k)[0])
    total = r.shape[1] + int(result.prior_trials)
    out: dict[str, Any] = {
        "select_by": select_by, "selected_combo": k, "n_trials": r.shape[1],
        "n_trials_total": total,
    }  # fmt: skip
    sharpes = bucket_sharpe(r)
    if r.shape[0] >= 3 and r.shape[1] >= 2:
        d = deflated_sharpe_ratio(r[:, col], trial_sharpes=sharpes, n_trials=total)
        out["dsr"] = d.summary()
    if r.shape[1] >= 2 and r.shape[0] >= n_blocks:
        p = pbo_cscv(r, n_blocks=n_blocks)
        out["pbo"] = p.summary()
        out["pbo_logits"] = p.logits
        out["pbo_perf"] = (p.perf_is, p.perf_oos)
    out["passed"] = bool(
        out.get("dsr", {}).get("passed", False) and out.get("pbo", {}).get("passed", False)
    )
    return out


# ------------------------------------------------------------------ driver
def _strategy(strategy: ModuleType) -> ModuleType:
    from memelab.engine.source import require_strategy

    return require_strategy(strategy)


def space_for(
    strategy: ModuleType,
    grid: Mapping[str, list] | None = None,
    n_random: int | None = None,
    constraint: str | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The combinations to sweep: ``grid`` (default: the strategy's ``SWEEP``), optionally a
    seeded random draw of ``n_random`` of them, filtered by ``constraint``."""
    mod = _strategy(strategy)
    return build_space(
        mod.PARAMS_DTYPE, mod.DEFAULTS, grid or mod.SWEEP, n_random, constraint, seed
    )


class _Source:
    """The sweep's view of an ``engine.source.Source``: chunks kept in memory when small."""

    def __init__(self, source: Any, config: EngineConfig, start: int | None, end: int | None):
        from memelab.engine.source import Source

        self.src = Source.open(source, start, end, config)
        self.start, self.end = start, end
        self.lake = self.src.lake
        self.ctx = self.src.ctx
        self.first_index = self.src.first_index
        self.honeypot = self.src.honeypot.astype(np.uint8)
        self._chunks: list[np.ndarray] | None = None
        if self.lake is None:
            self._chunks = list(self.src.chunks())

    def cache(self, max_events: int) -> None:
        """Keep the chunks in memory when the window has at most ``max_events`` events."""
        if self._chunks is None and self.lake.event_count() <= max_events:
            self._chunks = list(self.src.chunks(stream=False))

    def chunks(self) -> Iterator[np.ndarray]:
        if self._chunks is not None:
            return iter(self._chunks)
        return self.src.chunks(stream=False)

    def time_range(self) -> tuple[int, int]:
        try:
            return self.src.time_range()
        except ValueError as exc:
            raise SweepError(str(exc)) from None


def default_bucket_edges(lo: int, hi: int, n_buckets: int) -> np.ndarray:
    """``n_buckets`` equal slices of ``[lo, hi]`` (ns) as ``n_buckets + 1`` int64 edges."""
    if n_buckets < 2:
        raise SweepError(f"n_buckets must be >= 2, got {n_buckets}")
    span = hi + 1 - lo
    return lo + (np.arange(n_buckets + 1, dtype=np.int64) * span) // n_buckets


def _per_combo_bytes(n_mints: int, state_bytes: int) -> int:
    buffers = BUFFER_CAPACITY * (
        ORDER_DTYPE.itemsize + FILL_DTYPE.itemsize + TRADE_DTYPE.itemsize + EQUITY_DTYPE.itemsize
    )
    return (
        n_mints * (MARKET_FIELDS * 8 + 8) + state_bytes + buffers + MAX_SLOTS * POS_DTYPE.itemsize
    )


def run_sweep(
    source: Any,
    strategy: ModuleType,
    space: np.ndarray | None = None,
    config: EngineConfig | None = None,
    start: int | None = None,
    end: int | None = None,
    n_buckets: int = 64,
    bucket_edges: np.ndarray | None = None,
    batch_size: int | None = None,
    memory_mb: float = 1024.0,
    max_events_in_memory: int = 20_000_000,
    threads: int | None = None,
    progress: Callable[..., Iterable] | None = None,
    combo_ids: np.ndarray | None = None,
    tile_events: int = 1 << 22,
    top_k: int = 0,
) -> SweepResult:
    """Replay every combination of ``space`` (default: the strategy's ``SWEEP`` grid) over a lake
    or ``EVENT_DTYPE`` array; one row of metrics per combination.

    ``batch_size`` combinations run per kernel call (default: as many as fit ``memory_mb``);
    ``threads`` caps numba's threads (Dask workers pass their share). Events are fed to the
    kernel in tiles of ``tile_events`` so that a tile stays in cache while every combination of
    the batch replays it (the replay resumes exactly across tiles). ``top_k > 0`` keeps each
    combination's ``top_k`` best trades by P&L (``SweepResult.top_trades``); the others are
    folded into the metrics and dropped. ``combo_ids`` labels the
    rows (default ``0..K-1``; the distributed driver passes the global ids of its chunk).
    """

    t_start = time.perf_counter()
    mod = _strategy(strategy)
    config = config or EngineConfig()
    space = space_for(mod) if space is None else np.asarray(space)
    if space.dtype != mod.PARAMS_DTYPE:
        raise SweepError(f"space dtype {space.dtype} is not {mod.NAME}.PARAMS_DTYPE")
    if len(space) == 0:
        raise SweepError("empty parameter space")
    combo_ids = np.arange(len(space)) if combo_ids is None else np.asarray(combo_ids)
    src = _Source(source, config, start, end)
    src.cache(max_events_in_memory)
    lo, hi = src.time_range()
    edges = default_bucket_edges(lo, hi, n_buckets) if bucket_edges is None else bucket_edges
    edges = np.ascontiguousarray(edges, dtype=np.int64)
    cfg, venues = config.pack()
    cfg_arr = np.array([cfg])
    if threads is not None:
        numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))

    ctx = src.ctx
    probe = tuple(mod.init_state(ctx, space[0]))
    state_bytes = sum(a.nbytes for a in probe)
    if batch_size is None:
        per = _per_combo_bytes(ctx.n_mints, state_bytes)
        batch_size = int(max(1, min(len(space), memory_mb * 2**20 // per, 2048)))
    k_total = len(space)
    acc_f = np.zeros((k_total, snb.N_ACC_F))
    acc_i = np.zeros((k_total, snb.N_ACC_I), dtype=np.int64)
    rejects_all = np.zeros((k_total, N_REJECT), dtype=np.int64)
    exposure = np.zeros(k_total)
    bucket_eq = np.full((k_total, len(edges) - 1), np.nan)
    n_events = 0
    top_all: list[tuple[int, np.ndarray]] = []
    batches = [np.arange(i, min(i + batch_size, k_total)) for i in range(0, k_total, batch_size)]
    it: Iterable = batches
    if progress is not None:
        it = progress(batches, total=len(batches), desc=f"sweep {mod.NAME}", unit="batch")
    for idx in it:
        for group in _state_groups(mod, ctx, space, idx):
            n_events = _run_batch(
                mod, src, space[group.idx], group.states, cfg, cfg_arr, venues, config,
                edges, acc_f, acc_i, rejects_all, exposure, bucket_eq, group.idx, tile_events,
                top_k, top_all,
            )  # fmt: skip
    table = _metrics_table(mod, space, combo_ids, acc_f, acc_i, rejects_all, exposure, config)
    returns = _bucket_returns(bucket_eq, config.initial_equity)
    table["bucket_sharpe"] = bucket_sharpe(returns)
    seconds = time.perf_counter() - t_start
    meta = {
        "strategy": mod.NAME,
        "combos": int(k_total),
        "events": int(n_events),
        "batch_size": int(batch_size),
        "seconds": seconds,
        "start": start,
        "end": end,
        "time_range": [lo, hi],
        "n_buckets": int(len(edges) - 1),
        "config": config.to_dict(),
        "source": str(src.lake.root) if src.lake is not None else "events",
    }
    top_trades = _top_trades_frame(top_all, combo_ids) if top_k > 0 else None
    return SweepResult(mod.NAME, space, table, returns, edges, meta, top_trades)


def _top_trades_frame(top_all: list[tuple[int, np.ndarray]], combo_ids: np.ndarray) -> pd.DataFrame:
    """The kept best trades as one frame: ``combo`` then the engine's trade record fields."""
    from memelab.engine.records import EXIT_REASONS

    top_all = sorted(top_all, key=lambda x: x[0])
    recs = [r for _, r in top_all]
    frame = pd.DataFrame(np.concatenate(recs) if recs else np.zeros(0, dtype=TRADE_DTYPE))
    frame.insert(0, "combo", np.repeat([combo_ids[i] for i, _ in top_all], [len(r) for r in recs]))
    frame["pnl_sol"] = frame["exit_sol"] - frame["entry_sol"]
    frame["exit_reason"] = np.asarray(EXIT_REASONS, dtype=object)[frame["exit_reason"].to_numpy()]
    return frame


@dataclass
class _Group:
    idx: np.ndarray
    states: tuple[np.ndarray, ...]


def _state_groups(mod: ModuleType, ctx: Any, space: np.ndarray, idx: np.ndarray) -> list[_Group]:
    """Strategy states of a batch, stacked per array; combinations whose state shapes differ
    (params that size a buffer) run as separate groups so nothing is padded."""
    by_sig: dict[tuple, list[tuple[int, tuple]]] = {}
    for i in idx:
        st = tuple(mod.init_state(ctx, space[i]))
        sig = tuple((a.shape, a.dtype.str) for a in st)
        by_sig.setdefault(sig, []).append((int(i), st))
    groups = []
    for members in by_sig.values():
        ids = np.array([m[0] for m in members])
        n_arrays = len(members[0][1])
        stacked = tuple(
            np.ascontiguousarray(np.stack([m[1][a] for m in members])) for a in range(n_arrays)
        )
        groups.append(_Group(ids, stacked))
    return groups


def _run_batch(
    mod, src, params, sstates, cfg, cfg_arr, venues, config, edges,
    acc_f_all, acc_i_all, rejects_all, exposure_all, bucket_eq_all, idx, tile_events,
    top_k, top_all,
) -> int:  # fmt: skip
    b = len(params)
    n = int(src.ctx.n_mints)
    st = ReplayState.new(n, BUFFER_CAPACITY, batch=b, n_pools=src.ctx.pools)
    # Pool -> mint and creator bindings are the same for every combination: bound once per
    # chunk on a template and copied (the engine's Replay.feed does the same binding).
    template = ReplayState.new(1, 0, n_pools=src.ctx.pools).market
    creator = np.full(n, -1, dtype=np.int64)
    creator[: len(src.ctx.creator)] = src.ctx.creator[:n]
    acc_f = np.zeros((b, snb.N_ACC_F))
    acc_f[:, snb.F_PEAK_EQ] = config.initial_equity
    acc_i = np.zeros((b, snb.N_ACC_I), dtype=np.int64)
    bucket_eq = np.full((b, len(edges) - 1), np.nan)
    top = np.zeros((b, top_k), dtype=TRADE_DTYPE)
    top_n = np.zeros(b, dtype=np.int64)
    params = np.ascontiguousarray(params)
    kernel = snb.sweep_chunk_nb if numba.get_num_threads() > 1 else snb.sweep_chunk_serial_nb
    offset = src.first_index  # global event index, as the engine numbers signals in a window
    for chunk in src.chunks():
        top_mint = int(chunk["mint"].max()) if len(chunk) else -1
        if top_mint >= n:
            raise SweepError(f"event mint id {top_mint} outside the lake's {n} mints")
        top_pool = int(chunk["pool"].max()) if len(chunk) else -1
        if top_pool >= src.ctx.pools:
            raise SweepError(f"event pool id {top_pool} outside the lake's {src.ctx.pools} pools")
        clash = bind_pools_nb(chunk, template, creator)
        if clash >= 0:
            raise SweepError(f"event {clash} of a chunk: its pool already trades another mint")
        st.market[:, :, [M_MINT, M_CREATOR]] = template[None, :, [M_MINT, M_CREATOR]]
        # Tiles small enough to stay in cache while every combination of the batch reads them.
        for lo in range(0, len(chunk), tile_events):
            tile = chunk[lo : lo + tile_events]
            kernel(
                tile, offset + lo, np.zeros((len(tile), 0)), cfg_arr, venues, src.honeypot,
                mod.on_event, params, sstates, *st.arrays(), acc_f, acc_i, edges, bucket_eq,
                top, top_n,
            )  # fmt: skip
        offset += len(chunk)
    n_events = offset - src.first_index
    snb.sweep_finish_nb(
        cfg_arr, venues, st.market, st.mint_slot, st.slots, st.acct, st.iacct, st.fills,
        st.trades, st.equity, acc_f, acc_i, edges, bucket_eq, top, top_n,
    )  # fmt: skip
    for j, i in enumerate(idx):
        if top_n[j]:
            kept = top[j, : top_n[j]]
            order = np.argsort(-(kept["exit_sol"] - kept["entry_sol"]), kind="stable")
            top_all.append((int(i), kept[order].copy()))
    acc_f_all[idx] = acc_f
    acc_i_all[idx] = acc_i
    rejects_all[idx] = st.rejects
    iacct = st.iacct
    span = (iacct[:, I_LAST_TS] - iacct[:, I_FIRST_TS]).astype(np.float64)
    exposure_all[idx] = np.divide(
        iacct[:, I_EXPOSURE_NS].astype(np.float64), span, out=np.zeros(b), where=span > 0
    )
    bucket_eq_all[idx] = bucket_eq
    return n_events


def _bucket_returns(bucket_eq: np.ndarray, initial_equity: float) -> np.ndarray:
    """Per-bucket returns (T x K) from the last equity sample of each bucket (carried forward
    through empty buckets; the account starts at ``initial_equity``)."""
    eq = pd.DataFrame(bucket_eq.T).ffill().fillna(initial_equity).to_numpy()
    prev = np.vstack([np.full((1, eq.shape[1]), initial_equity), eq[:-1]])
    return eq / prev - 1.0


def _metrics_table(mod, space, combo_ids, acc_f, acc_i, rejects, exposure, config) -> pd.DataFrame:
    n = acc_i[:, snb.I_TRADES].astype(np.float64)
    wins = acc_i[:, snb.I_WINS].astype(np.float64)
    losses = n - wins
    gw, gl = acc_f[:, snb.F_GROSS_WIN], acc_f[:, snb.F_GROSS_LOSS]

    def div(a, b, fill=0.0):
        return np.divide(a, b, out=np.full(len(a), fill), where=b > 0)

    mean_r = div(acc_f[:, snb.F_SUM_RET], n)
    var_r = div(acc_f[:, snb.F_SUM_RET2] - n * mean_r * mean_r, n - 1)
    cols: dict[str, Any] = {"combo": combo_ids.astype(np.int64)}
    for name in space.dtype.names:
        cols[name] = space[name]
    cols.update(
        n_trades=acc_i[:, snb.I_TRADES],
        win_rate=div(wins, n),
        total_return=acc_f[:, snb.F_FINAL_EQ] / config.initial_equity - 1.0,
        final_equity=acc_f[:, snb.F_FINAL_EQ],
        pnl_sol=acc_f[:, snb.F_SUM_PNL],
        avg_winner_sol=div(gw, wins),
        avg_loser_sol=-div(gl, losses),
        ev_per_trade_sol=div(acc_f[:, snb.F_SUM_PNL], n),
        profit_factor=np.where(gl > 0, div(gw, gl), np.where(gw > 0, np.inf, 0.0)),
        mean_trade_return=mean_r,
        trade_return_std=np.sqrt(np.maximum(var_r, 0.0)),
        bucket_sharpe=np.zeros(len(n)),
        max_drawdown=acc_f[:, snb.F_MAX_DD],
        exposure=exposure,
        max_consecutive_wins=acc_i[:, snb.I_MAX_WIN_STREAK],
        max_consecutive_losses=acc_i[:, snb.I_MAX_LOSS_STREAK],
        fills=acc_i[:, snb.I_FILLS],
        failed_fills=acc_i[:, snb.I_FAILED_FILLS],
        fees_sol=acc_f[:, snb.F_FEES],
    )
    for r, reason in enumerate(REJECT_REASONS):
        if r:
            cols[f"rejected_{reason}"] = rejects[:, r]
    cols["entries_accepted"] = rejects[:, 0]
    return pd.DataFrame(cols)
