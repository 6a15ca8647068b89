"""Momentum / volume breakout: buy a mint whose price is running up on buy-dominated flow.

Idea: on a bonding curve, a burst of net buying moves the price along the curve; when the move
over a short window is large *and* carried by many trades with most volume on the buy side, the
burst tends to continue for a while (FOMO, bots chasing). We enter once per mint per cooldown and
let the engine's exits (stop, TP ladder, trailing, max hold) manage the position; a sharp reversal
of the window return asks to close early.

State per mint: a tumbling window of ``window_s`` seconds (opening price, buy SOL, sell SOL,
trade count). As the day goes badly (risk tier ``knobs[KNOB_TIER]`` 1..3) the return and flow
thresholds are raised by ``tier_tighten`` per tier.
"""

from __future__ import annotations

import numpy as np
from memelab.engine.risk import KNOB_TIER
from numba import njit

NAME = "momentum"

PARAMS_DTYPE = np.dtype(
    [
        ("window_s", np.float64),
        ("min_return", np.float64),
        ("min_buy_ratio", np.float64),
        ("min_buy_sol", np.float64),
        ("min_trades", np.int64),
        ("cooldown_s", np.float64),
        ("exit_drop", np.float64),
        ("size", np.float64),
        ("tier_tighten", np.float64),
    ]
)

DEFAULTS: dict[str, float | int] = {
    "window_s": 30.0,
    "min_return": 0.10,
    "min_buy_ratio": 0.65,
    "min_buy_sol": 3.0,
    "min_trades": 6,
    "cooldown_s": 900.0,
    "exit_drop": 0.25,
    "size": 1.0,
    "tier_tighten": 0.25,
}

SWEEP: dict[str, list] = {
    "window_s": [15.0, 30.0, 60.0, 120.0],
    "min_return": [0.05, 0.10, 0.20, 0.30],
    "min_buy_ratio": [0.55, 0.65, 0.75],
    "min_buy_sol": [1.0, 3.0, 10.0],
    "min_trades": [3, 6, 12],
}

# State: two per-mint tables (one row per mint keeps each event's reads on one cache line).
I_WIN_START = 0  # istate columns (int64): window start ns
I_LAST_SIGNAL = 1  # last entry request ns
I_TRADES = 2  # trades in the window
F_OPEN_PX = 0  # fstate columns (float64): price at the window start
F_BUY_SOL = 1
F_SELL_SOL = 2


def init_state(ctx, params) -> tuple[np.ndarray, ...]:
    """Per-mint window state, sized to the replay's mint dictionary."""
    n = int(ctx.n_mints)
    istate = np.zeros((n, 3), dtype=np.int64)
    istate[:, I_WIN_START] = np.iinfo(np.int64).min // 2
    istate[:, I_LAST_SIGNAL] = np.iinfo(np.int64).min // 2
    return (istate, np.zeros((n, 3)))


@njit(cache=True)
def on_event(ev, params, state, knobs) -> float:
    """Update the mint's window with this trade; +size on a breakout, -1 on a sharp reversal."""
    # Speed: index the state tuple in place (state[0][m, k]) and read knobs unconditionally up
    # front. Binding tuple items to locals, or touching an array only inside a branch, leaves
    # numba reference-count calls on every event (several times the cost of the decision).
    tier = knobs[KNOB_TIER]
    if ev["side"] == 0:
        return 0.0
    m = ev["mint"]
    ts = ev["ts"]
    vt = ev["vtok"]
    px = ev["vsol"] / vt if vt == vt and vt > 0.0 else ev["price"]
    if not px > 0.0:
        return 0.0
    if ts - state[0][m, I_WIN_START] >= params["window_s"] * 1e9:
        state[0][m, I_WIN_START] = ts
        state[0][m, I_TRADES] = 0
        state[1][m, F_OPEN_PX] = px
        state[1][m, F_BUY_SOL] = 0.0
        state[1][m, F_SELL_SOL] = 0.0
    if ev["side"] > 0:
        state[1][m, F_BUY_SOL] += ev["sol"]
    else:
        state[1][m, F_SELL_SOL] += ev["sol"]
    state[0][m, I_TRADES] += 1
    open_px = state[1][m, F_OPEN_PX]
    if px <= open_px * (1.0 - params["exit_drop"]):
        return -1.0
    if state[0][m, I_TRADES] < params["min_trades"] or px < open_px * (1.0 + params["min_return"]):
        return 0.0  # the common case, decided without a division: no breakout
    ret = px / open_px - 1.0
    tighten = 1.0 + params["tier_tighten"] * tier
    buys = state[1][m, F_BUY_SOL]
    flow = buys + state[1][m, F_SELL_SOL]
    if (
        ret >= params["min_return"] * tighten
        and buys >= params["min_buy_sol"]
        and buys >= min(params["min_buy_ratio"] * tighten, 0.99) * flow
        and ts - state[0][m, I_LAST_SIGNAL] >= params["cooldown_s"] * 1e9
    ):
        state[0][m, I_LAST_SIGNAL] = ts
        return params["size"]
    return 0.0
