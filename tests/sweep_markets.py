"""Synthetic markets for the sweep tests: bonding-curve trades with or without a planted edge."""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE
from memelab.engine import EngineConfig

T0 = 1_700_000_000 * 10**9
K_CURVE = 30.0 * 1_073_000_000.0


def make_market(
    seed: int, n_mints: int = 96, trades: int = 160, pump: bool = False, sigma: float = 0.03
) -> np.ndarray:
    """Bonding-curve trades of mints launched a minute apart.

    Without ``pump`` each mint's price is a martingale (log steps ``N(-s^2/2, s)``): no strategy
    has an edge before costs, so after fees every combination should lose. With ``pump`` each
    mint has 50 trades of +2% drift (a sustained run a momentum entry can ride) and three traps
    outside it (4 trades up 3%, then 4 down 3%): strict entry thresholds catch the runs and skip
    the traps, lax ones pay for the traps -- an edge that ranks the parameters consistently.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(n_mints):
        t = T0 + m * 60 * 10**9
        vs = 60.0
        pump_at = rng.integers(20, 60)
        drift = np.zeros(trades)
        if pump:
            drift[pump_at : pump_at + 50] = 0.02
            for a in rng.integers(0, trades - 12, 3):
                if not pump_at - 12 <= a < pump_at + 50:
                    drift[a : a + 4] = 0.03
                    drift[a + 4 : a + 8] = -0.03
        for j in range(trades):
            t += int(rng.exponential(2.0) * 1e9) + 1
            # price = vs^2 / K on the curve: a log-price step x scales vs by exp(x / 2)
            x = rng.normal(drift[j] - sigma * sigma / 2, sigma)
            new_vs = vs * np.exp(x / 2)
            side = 1 if new_vs > vs else -1
            tokens = abs(K_CURVE / vs - K_CURVE / new_vs)
            sol = abs(new_vs - vs)
            vs = new_vs
            vt = K_CURVE / vs
            rows.append((t, 0, m, j % 37, side, 0, 0, m, sol, tokens, vs / vt, vs, vt, np.nan))
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
