"""Big first buy: enter a new mint when one early buy is large (someone with conviction, or a
dev buying their own launch; the engine's exits decide how long to stay).

A worked example of the strategy contract (``memelab.engine``), used by ``docs/guide.md``:
run it with ``backtest(lake, strategy=module)`` after importing this file as a module.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NAME = "big_first_buy"
PARAMS_DTYPE = np.dtype([("early_s", np.float64), ("min_sol", np.float64), ("size", np.float64)])
DEFAULTS = {"early_s": 60.0, "min_sol": 2.0, "size": 1.0}
SWEEP = {"early_s": [30.0, 60.0, 120.0], "min_sol": [1.0, 2.0, 5.0]}

FIRST_SEEN = 0  # per-mint state columns (int64): first event time, ns
ENTERED = 1  # 1 once we asked to buy this mint


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """One row per mint of the replay's dictionary; nothing seen yet."""
    return (np.zeros((int(ctx.n_mints), 2), dtype=np.int64),)


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Sees only this event and its own state: the future is out of reach by construction."""
    if ev["side"] == 0:
        return 0.0  # liquidity events are not trades
    m = ev["mint"]
    if state[0][m, FIRST_SEEN] == 0:
        state[0][m, FIRST_SEEN] = ev["ts"]
    early = ev["ts"] - state[0][m, FIRST_SEEN] <= params["early_s"] * 1e9
    if ev["side"] > 0 and early and ev["sol"] >= params["min_sol"] and state[0][m, ENTERED] == 0:
        state[0][m, ENTERED] = 1
        return params["size"]  # ask for a buy of size x the base position; risk sizes it
    return 0.0
