"""Our backtest as a vectorbt Portfolio that agrees with our books, row for row.

Layout (why each choice):

- **Index**: our equity grid (``equity_every_s`` bars, regular, real timestamps), one extra bar
  before the first sample holding the initial cash. Bar ``r`` shows the state at the equity
  sample taken in it, so vectorbt's ``value()`` on every bar equals our equity curve and its
  drawdown, returns and ``freq``-based figures are about the same series as ours.
- **Columns**: one per position (MultiIndex ``position``, ``mint``), plus a ``failed_tx_fees``
  column. A position can buy and sell several times within one bar (fast round trips, TP
  ladders); its own column keeps the fills in order and ``positions.count()`` equal to our trade
  count. The orders are fed by a flexible order function in our fill order, at their effective
  prices; venue and transaction fees are ``fixed_fees``, so vectorbt's fees are ours.
- **Close prices** are our own marks: the liquidation value per token (0 once a position is
  written off as a honeypot, and after it closes). Our equity records carry the total mark of
  the open positions per sample, not a mark per position: when several positions are open in one
  bar, the total is apportioned by each position's tokens times its last fill price (exact when
  one position is open; the total, hence the portfolio value, is exact always).
- **Failed transactions** pay their priority fee without a trade: each is a cash outflow, booked
  as a buy of ``fee`` units at price 1 in the ``failed_tx_fees`` column, whose close is 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from memelab.engine import records

FAILED_COLUMN = "failed_tx_fees"


def _grid_rows(sample_ts: np.ndarray, every_ns: int) -> tuple[np.ndarray, int]:
    """Row of each equity sample on the regular grid (a later sample in an already-used bar
    moves to the next bar, so every sample keeps its own row); row 0 is the initial bar."""
    bucket = sample_ts // every_ns
    rows = np.empty(len(bucket), dtype=np.int64)
    prev = bucket[0] - 1
    for k, b in enumerate(bucket):
        prev = max(int(b), prev + 1)
        rows[k] = prev
    origin = int(bucket[0]) - 1
    return rows - origin, origin


def build_portfolio(result: Any):
    """The ``vectorbt.Portfolio`` of a :class:`BacktestResult` (see the module docstring)."""
    import vectorbt as vbt
    from memelab.engine import vbt_export_nb as xnb

    raw, cfg = result.raw, result.config
    eq = raw.equity
    if len(eq) == 0:
        raise ValueError("no equity samples: nothing was replayed")
    every = int(round(cfg.equity_every_s * 1e9))
    rows_of_sample, origin = _grid_rows(eq["ts"].astype(np.int64), every)
    n_rows = int(rows_of_sample[-1]) + 1
    index = pd.DatetimeIndex(
        ((origin + np.arange(n_rows)) * every).astype("datetime64[ns]"), name="ts"
    )

    f = raw.fills  # in booking order
    ok = f["status"] == records.FILL_OK
    positions = np.unique(f["position"][ok & (f["position"] >= 0)])
    col_of = {int(p): j for j, p in enumerate(positions)}
    n_cols = len(positions) + 1
    failed_col = n_cols - 1
    # Each fill lands in the bar of the first sample taken at or after it.
    fill_row = rows_of_sample[
        np.minimum(np.searchsorted(eq["ts"], f["ts"], side="left"), len(eq) - 1)
    ]

    # end-of-data liquidation comes after every sample at the last timestamp
    fill_row[(f["reason"] == records.EXIT_END) & (f["side"] < 0)] = rows_of_sample[-1]
    size = np.zeros(len(f))
    price = np.ones(len(f))
    fixed = np.zeros(len(f))
    col = np.full(len(f), failed_col, dtype=np.int64)
    for k in range(len(f)):
        if ok[k]:
            j = col_of[int(f["position"][k])]
            col[k] = j
            venue, tx, sol, qty = f["venue_fee"][k], f["tx_fee"][k], f["sol"][k], f["tokens"][k]
            if f["side"][k] > 0:  # cash -= sol + tx; sol is gross of the venue fee
                size[k], price[k] = qty, (sol - venue) / qty
            else:  # cash += sol - tx; sol is net of the venue fee
                size[k], price[k] = -qty, (sol + venue) / qty
            fixed[k] = venue + tx
        else:
            size[k], price[k] = f["tx_fee"][k], 1.0  # a cash outflow: see the module docstring
    order = np.lexsort((np.arange(len(f)), fill_row))
    row_start = np.searchsorted(fill_row[order], np.arange(n_rows), side="left")
    row_end = np.searchsorted(fill_row[order], np.arange(n_rows), side="right")

    close = _marks(result, f, ok, col_of, n_cols, eq, rows_of_sample, fill_row, n_rows)
    columns = pd.MultiIndex.from_arrays(
        [
            np.append(positions.astype(object), FAILED_COLUMN),
            np.append(result._mint(f["mint"][_first_fill(f, ok, positions)]), ""),
        ],
        names=["position", "mint"],
    )
    return vbt.Portfolio.from_order_func(
        pd.DataFrame(close, index=index, columns=columns),
        xnb.fill_order_nb,
        row_start.astype(np.int64), row_end.astype(np.int64), col[order], size[order],
        price[order], fixed[order],
        flexible=True, init_cash=cfg.initial_equity, cash_sharing=True, group_by=True,
        max_orders=len(f) + 1, freq=pd.Timedelta(every, unit="ns"),
    )  # fmt: skip


def _first_fill(f: np.ndarray, ok: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Index of each position's first successful fill (to name its mint)."""
    idx = np.flatnonzero(ok & (f["position"] >= 0))
    pos = f["position"][idx]
    first = np.unique(pos, return_index=True)[1]
    out = idx[first]
    assert np.array_equal(pos[first], positions)
    return out


def _marks(result, f, ok, col_of, n_cols, eq, rows_of_sample, fill_row, n_rows) -> np.ndarray:
    """Close per bar and column: the open positions' total mark (the sample's ``exposure``)
    apportioned by tokens times last fill price; 0 for closed or written-off positions."""
    close = np.zeros((n_rows, n_cols))
    trades = result.raw.trades
    closed_at = {
        int(p): int(ts) for p, ts in zip(trades["position"], trades["exit_ts"], strict=True)
    }
    held = np.zeros(n_cols)  # tokens our books hold, per column
    last_price = np.ones(n_cols)
    k = 0
    order = np.lexsort((np.arange(len(f)), fill_row))
    for s in range(len(eq)):
        r = int(rows_of_sample[s])
        while k < len(order) and fill_row[order[k]] <= r:
            i = order[k]
            if ok[i]:
                j = col_of[int(f["position"][i])]
                held[j] += f["tokens"][i] * f["side"][i]
                last_price[j] = f["price"][i]
            k += 1
        sample_ts = int(eq["ts"][s])
        open_now = np.zeros(n_cols, dtype=bool)
        for p, j in col_of.items():
            open_now[j] = held[j] > 0 and closed_at.get(p, np.iinfo(np.int64).max) > sample_ts
        weight = np.where(open_now, held * last_price, 0.0)
        total = weight.sum()
        if total > 0:
            close[r, open_now] = eq["exposure"][s] * last_price[open_now] / total
        # bars without a sample (quiet minutes) carry the last marks
        nxt = int(rows_of_sample[s + 1]) if s + 1 < len(eq) else n_rows
        close[r + 1 : nxt] = close[r]
    return close
