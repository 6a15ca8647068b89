"""The figures of a backtest tear sheet, derived from the records (the report draws them).

- ``drawdown_periods``: the worst peak-to-trough episodes of the equity curve;
- ``cost_breakdown``: where the fees went (venue, priority fees and tips, failed transactions)
  and what slippage against the quote at send time cost; the fee items add up to ``fees_sol``;
- ``daily_pnl``: P&L per UTC day from the equity curve;
- ``rolling_sharpe``: per-hour Sharpe over a trailing window of hourly returns (not annualised);
- ``provenance``: what reproduces the run (lake content hash, seed, config, code version).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from memelab.engine import records
from memelab.engine.metrics import DAY_NS, HOUR_NS, period_returns


def _utc(ns: list[int | None]) -> pd.DatetimeIndex:
    """Epoch nanoseconds (None: NaT) as UTC times. The dtype is explicit: a column of NaT alone
    (the only drawdown still under water) would otherwise come out tz-naive, and filling it with
    a UTC end time would turn it into objects that cannot be subtracted from the peaks."""
    return pd.to_datetime(pd.array(ns, dtype="Int64"), unit="ns", utc=True)


def drawdown_periods(
    ts: np.ndarray, equity: np.ndarray, initial: float, top: int = 5
) -> pd.DataFrame:
    """The ``top`` deepest drawdowns: peak, trough, recovery (NaT while still under water),
    depth (fraction of the peak) and duration, deepest first."""
    ts = np.asarray(ts, dtype=np.int64)
    curve = np.concatenate([[initial], np.asarray(equity, dtype=np.float64)])
    times = np.concatenate([[ts[0] if len(ts) else 0], ts])
    rows = []
    peak_i = 0
    trough_i = 0
    in_dd = False
    for i in range(1, len(curve)):
        if curve[i] >= curve[peak_i]:
            if in_dd:
                rows.append((peak_i, trough_i, i))
                in_dd = False
            peak_i = trough_i = i
        else:
            in_dd = True
            if curve[i] < curve[trough_i]:
                trough_i = i
    if in_dd:
        rows.append((peak_i, trough_i, -1))
    out = pd.DataFrame(
        {
            "peak": _utc([int(times[p]) for p, _, _ in rows]),
            "trough": _utc([int(times[t]) for _, t, _ in rows]),
            "recovery": _utc([int(times[r]) if r >= 0 else None for *_, r in rows]),
            "depth": [1.0 - curve[t] / curve[p] for p, t, _ in rows],
        }
    )
    end = out["recovery"].fillna(pd.Timestamp(int(times[-1]), unit="ns", tz="UTC"))
    out["duration"] = end - out["peak"]
    return out.sort_values("depth", ascending=False, kind="stable").head(top).reset_index(drop=True)


def cost_breakdown(fills: np.ndarray) -> dict[str, float]:
    """SOL spent on costs, by kind. ``venue_fees + priority_fees_and_tips + failed_tx_fees``
    equals the run's ``fees_sol``; ``slippage_vs_quote`` is the SOL lost against the price quoted
    when the order was sent (latency and others' trades in between; negative when it helped)."""
    ok = fills["status"] == records.FILL_OK
    side = fills["side"].astype(np.float64)
    live = ok & (fills["tokens"] > 0) & np.isfinite(fills["quote_price"])
    slip = (fills["price"] - fills["quote_price"]) * fills["tokens"] * side
    live &= fills["reason"] != records.EXIT_END  # the end-of-data liquidation is a quote
    return {
        "venue_fees": float(fills["venue_fee"][ok].sum()),
        "priority_fees_and_tips": float(fills["tx_fee"][ok].sum()),
        "failed_tx_fees": float(fills["tx_fee"][~ok].sum()),
        "failed_tx": int((~ok).sum()),
        "slippage_vs_quote": float(slip[live].sum()),
    }


def daily_pnl(ts: np.ndarray, equity: np.ndarray, initial: float) -> pd.Series:
    """SOL gained or lost per UTC day (the equity at each day's end against the day before)."""
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) == 0:
        return pd.Series(dtype=float)
    r = period_returns(ts, equity, initial, DAY_NS)
    level = initial * np.cumprod(1.0 + r)
    pnl = np.diff(np.concatenate([[initial], level]))
    days = pd.to_datetime((ts[0] // DAY_NS + np.arange(len(r))) * DAY_NS, unit="ns", utc=True)
    return pd.Series(pnl, index=days, name="pnl_sol")


def rolling_sharpe(
    ts: np.ndarray, equity: np.ndarray, initial: float, window_h: int = 24
) -> pd.Series:
    """Sharpe of the trailing ``window_h`` hourly returns, per hour (not annualised)."""
    ts = np.asarray(ts, dtype=np.int64)
    if len(ts) == 0:
        return pd.Series(dtype=float)
    r = pd.Series(period_returns(ts, equity, initial, HOUR_NS))
    roll = r.rolling(window_h, min_periods=window_h)
    sharpe = (roll.mean() / roll.std(ddof=1)).replace([np.inf, -np.inf], np.nan)
    hours = pd.to_datetime(
        (ts[0] // HOUR_NS + 1 + np.arange(len(r))) * HOUR_NS, unit="ns", utc=True
    )
    return pd.Series(sharpe.to_numpy(), index=hours, name="rolling_sharpe")


def benchmark_curve(result: Any, ts: np.ndarray) -> pd.Series | None:
    """Equal-weight buy-and-hold of the traded mints, on the equity sample times: the initial
    equity split equally, each share held from our first entry in that mint (at its spot price
    then) to the end, marked at the mint's spot price (P&L is in SOL, so SOL itself is no
    benchmark). ``None`` when the run has no lake to read prices from or no trade."""
    t = result.trades
    if result.mint_names is None or len(t) == 0 or len(ts) == 0:
        return None
    from memelab.datasets.lake import Lake

    entries = t.groupby("mint")["entry_ts"].min()
    names = ", ".join("'" + str(m).replace("'", "") + "'" for m in entries.index)
    lo, hi = int(entries.min()), int(np.max(ts))
    try:
        px = Lake(result.source).sql(
            f"SELECT mint, ts, price FROM swaps WHERE mint IN ({names}) "
            f"AND ts >= {lo} AND ts <= {hi} AND price > 0 ORDER BY ts"
        )
    except Exception:  # a lake without the price column or moved: no benchmark, no crash
        return None
    ts = np.asarray(ts, dtype=np.int64)
    value = np.zeros(len(ts))
    for mint, entry in entries.items():
        p = px[px["mint"] == mint]
        pts = p["ts"].astype("int64").to_numpy()
        prices = p["price"].to_numpy(dtype=np.float64)
        k0 = np.searchsorted(pts, entry, side="left")
        if k0 >= len(pts):
            value += 1.0  # no price after our entry: the share stays as it was
            continue
        at = np.searchsorted(pts, ts, side="right") - 1
        held = ts >= entry
        rel = np.where(held & (at >= k0), prices[np.maximum(at, 0)] / prices[k0], 1.0)
        value += rel
    curve = result.config.initial_equity * value / len(entries)
    return pd.Series(curve, index=pd.to_datetime(ts, unit="ns", utc=True), name="benchmark")


def provenance(result: Any) -> dict[str, Any]:
    """What reproduces the run: lake and its swaps' content hash, seed, config, code version."""
    from importlib.metadata import PackageNotFoundError, version

    from memelab.datasets import numba_cache

    doc: dict[str, Any] = {
        "strategy": result.strategy,
        "params": result.params,
        "source": result.source,
        "seed": result.seed,
        "window": [result.start, result.end],
        "config": result.config.to_dict(),
    }
    try:
        doc["memelab"] = version("memelab")
    except PackageNotFoundError:
        doc["memelab"] = None
    doc["source_hash"] = numba_cache.source_hash()  # the code that ran, byte for byte
    if result.mint_names is not None:
        try:
            from memelab.datasets.lake import Lake

            doc["lake_content_hash"] = Lake(result.source).manifest("swaps").get("content_hash")
        except Exception:  # a moved or partial lake: the report still renders
            doc["lake_content_hash"] = None
    return doc
