"""Synthetic markets for the sweep tests: bonding-curve trades with or without a planted edge."""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.engine import EngineConfig

T0 = 1_700_000_000 * 10**9
K_CURVE = 30.0 * 1_073_000_000.0


def make_market(seed: int, n_mints: int = 96, trades: int = 160, pump: bool = False) -> np.ndarray:
    """Bonding-curve trades of mints launched a minute apart. ``pump``: each mint has a phase of
    persistent buying (a real, exploitable momentum edge); otherwise sides are coin flips."""
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n_mints):
        t = T0 + m * 60 * 10**9
        vs, vt = 30.0, K_CURVE / 30.0
        pump_at = rng.integers(20, 60)
        for j in range(trades):
            t += int(rng.exponential(2.0) * 1e9) + 1
            in_pump = pump and pump_at <= j < pump_at + 50
            p_buy = 0.92 if in_pump else 0.5
            side = 1 if rng.random() < p_buy else -1
            sol = rng.exponential(1.5 if in_pump else 0.8)
            if side > 0:
                nvs = vs + sol
                tokens = vt - K_CURVE / nvs
            else:
                sol = min(sol, vs - 31.0) if vs > 31.5 else 0.0
                if sol <= 0.0:
                    side, sol = 1, 0.2
                    nvs = vs + sol
                    tokens = vt - K_CURVE / nvs
                else:
                    nvs = vs - sol
                    tokens = K_CURVE / nvs - vt
            vs, vt = nvs, K_CURVE / nvs
            rows.append((t, 0, m, j % 37, side, 0, sol, abs(tokens), vs / vt, vs, vt, np.nan))
    ev = np.array(rows, dtype=EVENT_DTYPE)
    return ev[np.argsort(ev["ts"], kind="stable")]


GRID = {
    "window_s": [10.0, 30.0],
    "min_return": [0.02, 0.05, 0.1],
    "min_buy_ratio": [0.55, 0.7],
    "min_trades": [3, 6],
}


# Risk limits opened up so that the market, not the daily caps, decides the trades.
CONFIG = EngineConfig(
    tier_daily_cap=(10_000,) * 4,
    tier_spacing_s=(0.0,) * 4,
    daily_dd_limit=1.0,
    weekly_dd_limit=1.0,
    portfolio_stop=0.99,
    max_open_positions=20,
)
