"""The frozen single-pool fixture: 8000 synthetic events and the momentum / copytrade records the
engine produced on them before the replay-core rework (``fixtures/engine/make_frozen.py``).

Events are stored column by column, so the fixture outlives changes of ``EVENT_DTYPE``: fields
it lacks take their defaults here (each mint trades on one pool, the pool id is the mint id).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from memelab.datasets.schemas import EVENT_DTYPE

HERE = Path(__file__).resolve().parent / "fixtures" / "engine"
RUNS = {
    "momentum": {"min_return": 0.05, "min_buy_sol": 1.0},
    "copytrade": {"min_weight": 1.5, "min_top_score": 0.5, "vote_min_outcomes": 1},
}
CONFIG = {"latency_s": 0.8}


def frozen_inputs() -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(events, creator per mint, honeypot flags per mint, n_wallets)."""
    d = np.load(HERE / "frozen_events.npz")
    n = len(d["ts"])
    events = np.zeros(n, dtype=EVENT_DTYPE)
    for name in EVENT_DTYPE.names:
        if name in d.files:
            events[name] = d[name]
    names = EVENT_DTYPE.names
    if "pool" in names:
        events["pool"] = events["mint"]
    if "kind" in names:
        from memelab.datasets.schemas import KIND_LIQUIDITY, KIND_TRADE

        events["kind"] = np.where(events["side"] == 0, KIND_LIQUIDITY, KIND_TRADE)
    return events, d["creator"].copy(), d["honeypot"].copy(), int(d["n_wallets"])


def expected(name: str) -> dict[str, np.ndarray]:
    d = np.load(HERE / f"frozen_{name}.npz")
    return {k: d[k] for k in d.files}


def differences(out, name: str) -> list[str]:
    """Every recorded field of the frozen run that the new output does not reproduce bit for bit."""
    want = expected(name)
    bad = []
    for key, value in want.items():
        if key in ("rejects", "acct"):
            got = getattr(out, key)[: len(value)]
        else:
            what, field = key.split(".")
            rec = getattr(out, what)
            if field not in rec.dtype.names:
                bad.append(f"{key}: field missing")
                continue
            got = rec[field]
        if got.shape != value.shape or got.tobytes() != np.asarray(value, got.dtype).tobytes():
            bad.append(key)
    return bad
