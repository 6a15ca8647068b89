"""Backtest results: pandas views of the replay's record arrays, metrics, saving, vectorbt export.

Every figure is derived from the records (trades, fills, equity) so it can be re-derived and
checked; ``to_vectorbt`` rebuilds the run as a vectorbt Portfolio from our own fills.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from memelab.datasets.jsonio import write_json
from memelab.engine import records
from memelab.engine.config import EngineConfig
from memelab.engine.metrics import return_metrics
from memelab.engine.replay import ReplayOutput, run_replay
from memelab.engine.risk import (
    A_CASH,
    A_FAILED_ENTRY_FEES,
    A_MARK,
    I_EVENTS,
    I_EXPOSURE_NS,
    I_FIRST_TS,
    I_LAST_TS,
    REJECT_REASONS,
)


def _streaks(flags: np.ndarray) -> tuple[int, int]:
    """Longest run of True and of False."""
    best = [0, 0]
    run = 0
    prev = None
    for f in flags:
        run = run + 1 if f == prev else 1
        prev = f
        k = 0 if f else 1
        best[k] = max(best[k], run)
    return best[0], best[1]


@dataclass
class BacktestResult:
    """One backtest: raw records plus the pandas views and metrics built from them."""

    raw: ReplayOutput
    config: EngineConfig
    strategy: str
    params: dict[str, Any]
    source: str
    start: int | None = None
    end: int | None = None
    seed: int = 0
    mint_names: np.ndarray | None = None  # base58 per mint id (None: ids as strings)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ---------------------------------------------------------------- frames
    def _mint(self, ids: np.ndarray) -> np.ndarray:
        if self.mint_names is None:
            return np.asarray(ids).astype(str).astype(object)
        return self.mint_names[np.asarray(ids, dtype=np.int64)]

    @property
    def trades(self) -> pd.DataFrame:
        """One row per closed position (see ``docs/engine.md`` for the columns)."""
        if "trades" not in self._cache:
            t = self.raw.trades
            pnl = t["exit_sol"] - t["entry_sol"]
            with np.errstate(divide="ignore", invalid="ignore"):
                ret = np.where(t["entry_sol"] > 0, pnl / t["entry_sol"], 0.0)
            df = pd.DataFrame(
                {
                    "position": t["position"],
                    "signal_id": t["signal_id"],
                    "mint": pd.array(self._mint(t["mint"]), dtype="str"),
                    "mint_id": t["mint"],
                    "entry_ts": t["entry_ts"],
                    "exit_ts": t["exit_ts"],
                    "entry_sol": t["entry_sol"],
                    "exit_sol": t["exit_sol"],
                    "pnl_sol": pnl,
                    "return_pct": ret * 100.0,
                    "win": pnl > 0,
                    "exit_reason": pd.array(
                        np.array(records.EXIT_REASONS, dtype=object)[t["exit_reason"]], dtype="str"
                    ),
                    "tokens": t["tokens"],
                    "entry_price": t["entry_price"],
                    "exit_price": t["exit_price"],
                    "fees_sol": t["fees_sol"],
                    "peak_return_pct": t["peak_return"] * 100.0,
                    "n_sells": t["n_sells"],
                    "hold_s": (t["exit_ts"] - t["entry_ts"]) / 1e9,
                }
            )
            self._cache["trades"] = df.sort_values(
                ["exit_ts", "position"], kind="stable"
            ).reset_index(drop=True)
        return self._cache["trades"]

    @property
    def fills(self) -> pd.DataFrame:
        """Every transaction we sent, failed ones included, with its fees and quoted price."""
        f = self.raw.fills
        df = pd.DataFrame({name: f[name] for name in f.dtype.names})
        df["mint"] = pd.array(self._mint(f["mint"]), dtype="str")
        df["status"] = np.array(records.FILL_STATUS, dtype=object)[f["status"]]
        df["reason"] = np.where(
            f["side"] > 0, "entry", np.array(records.EXIT_REASONS, dtype=object)[f["reason"]]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            df["slippage_pct"] = (f["price"] / f["quote_price"] - 1.0) * 100.0 * f["side"]
        return df

    @property
    def orders(self) -> pd.DataFrame:
        """Every decision: entry requests with the risk verdict, and exit orders."""
        o = self.raw.orders
        df = pd.DataFrame({name: o[name] for name in o.dtype.names})
        df["mint"] = pd.array(self._mint(o["mint"]), dtype="str")
        df["verdict"] = np.array(REJECT_REASONS, dtype=object)[o["verdict"]]
        return df

    @property
    def equity(self) -> pd.DataFrame:
        """Equity (cash + open positions at mark) on the ``equity_every_s`` time grid."""
        e = self.raw.equity
        return pd.DataFrame({"ts": e["ts"], "equity": e["equity"], "exposure": e["exposure"]})

    @property
    def rejections(self) -> dict[str, int]:
        """Entry requests refused, by reason (only reasons that occurred)."""
        return {
            REJECT_REASONS[k]: int(v) for k, v in enumerate(self.raw.rejects) if k > 0 and v > 0
        }

    # --------------------------------------------------------------- metrics
    @property
    def metrics(self) -> dict[str, Any]:
        if "metrics" not in self._cache:
            self._cache["metrics"] = self._compute_metrics()
        return self._cache["metrics"]

    def _compute_metrics(self) -> dict[str, Any]:
        t = self.trades
        init = self.config.initial_equity
        final = float(self.raw.acct[A_CASH] + self.raw.acct[A_MARK])
        if int(self.raw.iacct[I_EVENTS]) == 0:
            final = init  # nothing replayed: the account never opened, nothing was lost
        n = len(t)
        wins = t[t["win"]]
        losses = t[~t["win"]]
        gross_win = float(wins["pnl_sol"].sum())
        gross_loss = float(-losses["pnl_sol"].sum())
        eq = self.equity
        returns = return_metrics(eq["ts"].to_numpy(), eq["equity"].to_numpy(), init)
        curve = np.concatenate([[init], eq["equity"].to_numpy()])
        peak = np.maximum.accumulate(curve)
        dd = float(np.max(1.0 - curve / peak)) if len(curve) else 0.0
        first, last = int(self.raw.iacct[I_FIRST_TS]), int(self.raw.iacct[I_LAST_TS])
        span = max(last - first, 1)
        fills = self.raw.fills
        failed = fills["status"] != records.FILL_OK
        max_w, max_l = _streaks(t["win"].to_numpy())
        trade_ret = t["return_pct"].to_numpy() / 100.0
        return {
            "trades": n,
            "win_rate": float(len(wins) / n) if n else 0.0,
            "avg_winner_sol": float(wins["pnl_sol"].mean()) if len(wins) else 0.0,
            "avg_loser_sol": float(losses["pnl_sol"].mean()) if len(losses) else 0.0,
            "avg_winner_pct": float(wins["return_pct"].mean()) if len(wins) else 0.0,
            "avg_loser_pct": float(losses["return_pct"].mean()) if len(losses) else 0.0,
            "ev_per_trade_sol": float(t["pnl_sol"].mean()) if n else 0.0,
            "ev_per_trade_pct": float(t["return_pct"].mean()) if n else 0.0,
            "profit_factor": gross_win / gross_loss
            if gross_loss > 0
            else (math.inf if gross_win > 0 else 0.0),
            "initial_equity": init,
            "final_equity": final,
            "total_return": final / init - 1.0,
            "pnl_sol": final - init,
            **returns,
            "max_drawdown": dd,
            "var_95_trade": float(-np.quantile(trade_ret, 0.05)) + 0.0 if n else 0.0,
            "exposure": float(self.raw.iacct[I_EXPOSURE_NS] / span),
            "max_consecutive_wins": max_w,
            "max_consecutive_losses": max_l,
            "fills": int(len(fills)),
            "failed_tx": int(failed.sum()),
            "failed_tx_by_status": {
                records.FILL_STATUS[s]: int((fills["status"] == s).sum())
                for s in range(1, len(records.FILL_STATUS))
                if (fills["status"] == s).any()
            },
            "fees_sol": float(t["fees_sol"].sum() + self.raw.acct[A_FAILED_ENTRY_FEES]),
            "exit_reasons": {
                str(k): int(v) for k, v in t["exit_reason"].value_counts().sort_index().items()
            },
            "rejections": self.rejections,
            "entry_requests": int((self.raw.orders["side"] > 0).sum()),
            "events": int(self.raw.iacct[I_EVENTS]),
            "first_ts": first,
            "last_ts": last,
        }

    # ---------------------------------------------------------------- export
    def to_vectorbt(self):
        """A ``vectorbt.Portfolio`` that agrees with our books: same equity on every bar of our
        equity grid, same trade count, fees and drawdown (layout in ``engine/vbt_export.py``)."""
        from memelab.engine.vbt_export import build_portfolio

        return build_portfolio(self)

    def run_info(self) -> dict[str, Any]:
        return {
            "strategy": self.strategy,
            "params": self.params,
            "config": self.config.to_dict(),
            "source": self.source,
            "lake": self.source if self.mint_names is not None else None,
            "start": self.start,
            "end": self.end,
            "time_range": [self.metrics["first_ts"], self.metrics["last_ts"]],
            "events": self.metrics["events"],
            "seed": self.seed,
        }

    def save(self, out_dir: str | os.PathLike[str]) -> dict[str, Path]:
        """Write trades.parquet, fills.parquet, equity.parquet, metrics.json, run.json, report.html."""
        from memelab.engine.report import write_report

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {
            "trades": out / "trades.parquet",
            "fills": out / "fills.parquet",
            "equity": out / "equity.parquet",
            "metrics": out / "metrics.json",
            "run": out / "run.json",
            "report": out / "report.html",
        }
        self.trades.to_parquet(paths["trades"], index=False)
        self.fills.to_parquet(paths["fills"], index=False)
        self.equity.to_parquet(paths["equity"], index=False)
        write_json(paths["metrics"], self.metrics, sort_keys=True)
        write_json(paths["run"], self.run_info(), sort_keys=True)
        write_report(self, paths["report"])
        return paths


def backtest(
    lake_or_events: Any,
    strategy: Any,
    params: Mapping[str, Any] | None = None,
    config: EngineConfig | Mapping[str, Any] | None = None,
    start: Any = None,
    end: Any = None,
    honeypot: np.ndarray | None = None,
    seed: int = 0,
    progress: Any = None,
    event_cache: bool = False,
    inputs: Any = None,
) -> BacktestResult:
    """Backtest ``strategy`` (a strategy module) over a lake (path or ``Lake``), an
    ``EVENT_DTYPE`` array or an ``engine.source.Source``.

    ``start``/``end`` bound the replay to ``[start, end)`` (ISO dates or epoch); ``params``
    override the strategy's DEFAULTS; ``config`` an :class:`EngineConfig` or a dict of its fields.
    ``event_cache`` keeps decoded partitions under ``<lake>/_cache`` for faster re-runs; a
    non-zero ``seed`` sets ``config.seed`` (the latency jitter's seed). ``inputs``: an input
    stage whose columns the strategy reads at ``knobs[KNOB_INPUTS + j]`` (``engine.replay``).
    """
    from memelab.datasets.lake import parse_time
    from memelab.engine.source import Source, require_strategy

    module = require_strategy(strategy)
    if isinstance(config, Mapping):
        config = EngineConfig.from_dict(config)
    config = config or EngineConfig()
    if seed:
        config = config.replace(seed=seed)
    lo, hi = parse_time(start), parse_time(end)
    if lo is not None and hi is not None and lo >= hi:
        raise ValueError(f"start {start!r} is not before end {end!r}: the window is empty")
    for key, value in (params or {}).items():
        names = module.PARAMS_DTYPE.names
        if key in names and module.PARAMS_DTYPE[key].kind == "i":
            if not isinstance(value, int | np.integer) and float(value) != int(float(value)):
                raise ValueError(f"parameter {key}={value!r} of {module.NAME!r} must be an integer")
    src = Source.open(lake_or_events, lo, hi, config, honeypot)
    replay, raw = run_replay(
        src, module, params, config, progress=progress, event_cache=event_cache, inputs=inputs
    )
    source = src.label
    mint_names = src.mint_names()
    used = {k: replay.params[k].item() for k in replay.params.dtype.names}
    return BacktestResult(
        raw=raw,
        config=config,
        strategy=module.NAME,
        params=used,
        source=source,
        start=lo,
        end=hi,
        seed=config.seed,
        mint_names=mint_names,
    )
