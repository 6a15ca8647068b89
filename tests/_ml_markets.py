"""Small in-test markets for the ML tests, as EVENT_DTYPE arrays.

- ``null_market``: prices are random walks whose steps are independent of everything before
  (sides, sizes, traders and timing drawn independently): the sign of any forward return is a
  coin flip whatever the past, so no model may beat AUC 0.5 out of sample. (Built here until the
  synthetic market's ``null`` scenario lands.)
- ``planted_market``: each token has a persistent hidden regime (up or down, flipping rarely);
  trades lean to the regime's side and move the price with it, so recent flow and returns
  predict the forward return: every model should beat a constant predictor.
"""

from __future__ import annotations

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE

T0 = 1_735_689_600 * 10**9  # 2025-01-01


def _market(seed: int, tokens: int, span_s: float, mean_gap_s: float, life_s: float,
            wallets: int, planted: bool) -> np.ndarray:  # fmt: skip
    rng = np.random.default_rng(seed)
    parts = []
    for m in range(tokens):
        start = rng.uniform(0, span_s)
        gaps = rng.exponential(mean_gap_s, int(life_s / mean_gap_s * 1.5))
        t = start + np.cumsum(gaps)
        t = t[t < start + life_s]
        n = len(t)
        if planted:
            flips = rng.random(n) < 0.03
            regime = np.where(np.cumsum(flips) % 2 == 0, 1, -1) * rng.choice([-1, 1])
            side = np.where(rng.random(n) < 0.75, regime, -regime)
            step = 0.004 * side + rng.normal(0, 0.006, n)
        else:
            side = rng.choice([-1, 1], n)
            step = rng.normal(0, 0.01, n)
        ev = np.zeros(n, EVENT_DTYPE)
        ev["ts"] = T0 + (t * 1e9).astype(np.int64)
        ev["mint"] = m
        ev["trader"] = rng.integers(0, wallets, n)
        ev["side"] = side
        ev["sol"] = np.exp(rng.normal(-2.5, 1.3, n))
        ev["price"] = 2.8e-8 * np.exp(np.cumsum(step))
        ev["tokens"] = ev["sol"] / ev["price"]
        ev["vsol"] = np.nan
        ev["vtok"] = np.nan
        ev["fee"] = 0.0
        if "pool" in EVENT_DTYPE.names:  # the engine's pool key: one pool per token here
            ev["pool"] = m
        parts.append(ev)
    out = np.concatenate(parts)
    out = out[np.argsort(out["ts"], kind="stable")]
    out["slot"] = (out["ts"] - T0) // 400_000_000
    return out


def null_market(seed: int = 1, tokens: int = 120, span_s: float = 12 * 3600.0) -> np.ndarray:
    return _market(seed, tokens, span_s, 2.0, 1800.0, 3000, planted=False)


def planted_market(seed: int = 2, tokens: int = 80, span_s: float = 12 * 3600.0) -> np.ndarray:
    return _market(seed, tokens, span_s, 2.0, 1800.0, 3000, planted=True)
