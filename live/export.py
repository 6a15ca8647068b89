"""Ledger -> ``trades.parquet`` / ``fills.parquet`` with the backtest's columns and dtypes.

The same notebooks and commands (``memelab sprt --outcomes``, reports) then read a live or
paper run exactly as they read a backtest (``engine.results.BacktestResult.trades/fills``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from memelab.engine import records
from memelab.live.ledger import Ledger

TRADE_COLUMNS = (
    "position", "signal_id", "mint", "mint_id", "entry_ts", "exit_ts", "entry_sol", "exit_sol",
    "pnl_sol", "return_pct", "win", "exit_reason", "tokens", "entry_price", "exit_price",
    "fees_sol", "peak_return_pct", "n_sells", "hold_s",
)  # fmt: skip


def _mint_ids(mints: pd.Series, order: list[str]) -> np.ndarray:
    ids = {m: i for i, m in enumerate(dict.fromkeys(order))}
    return np.array([ids[m] for m in mints], dtype=np.int32)


def trades_frame(ledger: Ledger) -> pd.DataFrame:
    rows = ledger.trades()
    t = pd.DataFrame(rows, columns=[n for n in records.TRADE_DTYPE.names])
    order = [f["mint"] for f in ledger.fills()]
    pnl = t["exit_sol"].astype(float) - t["entry_sol"].astype(float)
    entry = t["entry_sol"].astype(float)
    ret = np.where(entry > 0, pnl / entry.where(entry > 0, 1.0), 0.0)
    df = pd.DataFrame(
        {
            "position": t["position"].astype(np.int64),
            "signal_id": t["signal_id"].astype(np.int64),
            "mint": pd.array(t["mint"].astype(object), dtype="str"),
            "mint_id": _mint_ids(t["mint"], order),
            "entry_ts": t["entry_ts"].astype(np.int64),
            "exit_ts": t["exit_ts"].astype(np.int64),
            "entry_sol": entry,
            "exit_sol": t["exit_sol"].astype(float),
            "pnl_sol": pnl,
            "return_pct": ret * 100.0,
            "win": (pnl > 0).astype(bool),
            "exit_reason": pd.array(t["exit_reason"].astype(object), dtype="str"),
            "tokens": t["tokens"].astype(float),
            "entry_price": t["entry_price"].astype(float),
            "exit_price": t["exit_price"].astype(float),
            "fees_sol": t["fees_sol"].astype(float),
            "peak_return_pct": t["peak_return"].astype(float) * 100.0,
            "n_sells": t["n_sells"].astype(np.int64),
            "hold_s": (t["exit_ts"].astype(np.int64) - t["entry_ts"].astype(np.int64)) / 1e9,
        },
        columns=TRADE_COLUMNS,
    )
    return df.sort_values(["exit_ts", "position"], kind="stable").reset_index(drop=True)


def fills_frame(ledger: Ledger) -> pd.DataFrame:
    f = pd.DataFrame(ledger.fills())
    cols = list(records.FILL_DTYPE.names)
    if f.empty:
        f = pd.DataFrame({c: [] for c in cols})
    if "pool" not in f:  # the ledger names mints, not the engine's pool ids
        f["pool"] = -1
    df = pd.DataFrame({name: f[name].to_numpy().astype(records.FILL_DTYPE[name])
                       for name in cols if name not in ("mint", "status", "reason")})  # fmt: skip
    df["mint"] = pd.array(f["mint"].astype(object), dtype="str")
    df["status"] = f["status"].astype(object).to_numpy()
    df["reason"] = np.where(df["side"] > 0, "entry", f["reason"].astype(object))
    with np.errstate(divide="ignore", invalid="ignore"):
        df["slippage_pct"] = (df["price"] / df["quote_price"] - 1.0) * 100.0 * df["side"]
    return df[[*cols, "slippage_pct"]]  # the backtest's column order


def export_parquet(ledger: Ledger, out_dir: str | Path) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"trades": out / "trades.parquet", "fills": out / "fills.parquet"}
    trades_frame(ledger).to_parquet(paths["trades"], index=False)
    fills_frame(ledger).to_parquet(paths["fills"], index=False)
    return paths
