"""Tiny hand-made event streams for the wallet-research tests (one helper, no fixtures)."""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE

S = 1_000_000_000  # ns per second


def make_events(rows: list[tuple]) -> np.ndarray:
    """Rows of (t_seconds, mint, trader, side, price[, sol]); tokens = sol / price (sol default 1)."""
    ev = np.zeros(len(rows), dtype=EVENT_DTYPE)
    for i, row in enumerate(rows):
        t, mint, trader, side, price = row[:5]
        sol = row[5] if len(row) > 5 else 1.0
        ev[i]["ts"] = int(round(t * S))
        ev[i]["slot"] = i
        ev[i]["mint"] = mint
        ev[i]["trader"] = trader
        ev[i]["side"] = side
        ev[i]["sol"] = sol
        ev[i]["price"] = price
        ev[i]["tokens"] = sol / price if price > 0 else np.nan
        ev[i]["vsol"] = np.nan
        ev[i]["vtok"] = np.nan
        ev[i]["fee"] = np.nan
    return ev
